import type { JobStateView, ProviderKind, SessionExpiryView, WarningView } from '../../preload/contract/views.js';

const HOUR_MS = 3_600_000;

/**
 * How each server ends an upload session. Graph: about 15 minutes, extended by each accepted fragment, never past about
 * 24 hours from creation. tus: `Upload-Expires`, refreshed by each PATCH. Box: 7 days from creation. Apideck: the
 * `expires_at` it reports. S3 multipart uploads do not expire.
 */
const RULES: Record<ProviderKind, { isSliding: boolean; defaultLifetimeMs: number | null; hardCapMs: number | null } | null> = {
  graph: { isSliding: true, defaultLifetimeMs: null, hardCapMs: 24 * HOUR_MS },
  tus: { isSliding: true, defaultLifetimeMs: null, hardCapMs: null },
  box: { isSliding: false, defaultLifetimeMs: 7 * 24 * HOUR_MS, hardCapMs: 7 * 24 * HOUR_MS },
  apideck: { isSliding: false, defaultLifetimeMs: null, hardCapMs: null },
  s3: null,
};

/** A job and its latest session, as far as expiry goes. */
export interface ExpiryInput {
  jobId: number;
  jobName: string;
  destination: string;
  provider: ProviderKind;
  state: JobStateView;
  /** Bytes are moving for it right now (each accepted part extends a sliding session). */
  isSending: boolean;
  /** A paused job whose sliding session Hoist keeps alive (the keep-alive setting): only the hard cap can end it. */
  isKeptAlive?: boolean;
  sizeBytes: number;
  restartReason: string | null;
  sessionLostAtMs: number | null;
  session: { state: string; expiresAtMs: number | null; createdAtMs: number; ackedBytes: number } | null;
}

/** When the job's open session ends and what is lost then; null without an open session or an expiry to know. */
export function sessionExpiry(input: ExpiryInput): SessionExpiryView | null {
  const rules = RULES[input.provider];
  const session = input.session;
  if (!rules || !session || session.state !== 'open') return null;
  const reported = session.expiresAtMs ?? (rules.defaultLifetimeMs === null ? null : session.createdAtMs + rules.defaultLifetimeMs);
  if (reported === null) return null;
  const expiresAtMs = rules.hardCapMs === null ? reported : Math.min(reported, session.createdAtMs + rules.hardCapMs);
  return { expiresAtMs, isSliding: rules.isSliding, bytesAtRiskBytes: session.ackedBytes };
}

/** How long after the server lost a session the "restarted on a new session" notice stays. */
export const SESSION_LOST_NOTICE_MS = 24 * HOUR_MS;

/**
 * The warning a job carries, if any. A job not sending (paused, queued, waiting, retrying) whose session expires within
 * the warning window: "expiring", with the bytes that would be sent again. Past the expiry: "expired". A job whose
 * session the server lost recently and that is not finished: "expired", with why it restarted.
 */
export function expiryWarning(input: ExpiryInput, nowMs: number, warningWindowMs: number): WarningView | null {
  const base = { jobId: input.jobId, jobName: input.jobName, destination: input.destination, provider: input.provider };
  const isUnfinished = input.state === 'queued' || input.state === 'running' || input.state === 'paused';
  if (!isUnfinished) return null;
  const expiry = sessionExpiry(input);
  const isCapped = expiry !== null && input.session !== null && RULES[input.provider]?.hardCapMs != null && expiry.expiresAtMs === input.session.createdAtMs + RULES[input.provider]!.hardCapMs!;
  const isSafe = input.isKeptAlive === true && input.state === 'paused' && !isCapped;
  if (expiry && !input.isSending && !isSafe && expiry.bytesAtRiskBytes > 0) {
    if (expiry.expiresAtMs <= nowMs) {
      return { kind: 'session-expired', id: `expired:${input.jobId}:${expiry.expiresAtMs}`, ...base, expiredAtMs: expiry.expiresAtMs, bytesAtRiskBytes: expiry.bytesAtRiskBytes, restartReason: null };
    }
    if (expiry.expiresAtMs - nowMs <= warningWindowMs) {
      return { kind: 'session-expiring', id: `expiring:${input.jobId}:${input.session!.createdAtMs}`, ...base, expiresAtMs: expiry.expiresAtMs, bytesAtRiskBytes: expiry.bytesAtRiskBytes };
    }
  }
  const lostAt = input.sessionLostAtMs;
  if (lostAt !== null && nowMs - lostAt < SESSION_LOST_NOTICE_MS) {
    return { kind: 'session-expired', id: `lost:${input.jobId}:${lostAt}`, ...base, expiredAtMs: lostAt, bytesAtRiskBytes: 0, restartReason: input.restartReason };
  }
  return null;
}
