import type { AppStateView, JobStateView, JobView, WarningView } from '../../../preload/contract/views.js';

/** A desktop notification to show. `jobId` is the upload it is about, when it is about one. */
export interface DesktopNotification {
  kind: 'batch-finished' | 'needs-attention' | 'session-expiring';
  title: string;
  body: string;
  jobId?: number;
}

/** The part of a job the planner keeps. */
export type JobBrief = Pick<JobView, 'id' | 'name' | 'state' | 'errorMessage'>;

/** What the planner remembers between inputs (so nothing is said twice). */
export interface NotifierMemory {
  jobs: ReadonlyMap<number, { name: string; state: JobStateView }>;
  /** The work since the queue last ran dry, with the lowest done/paused counts seen in it. */
  batch: { doneAtStart: number; pausedAtStart: number } | null;
  /** Failed jobs already told about (until they leave the failed state). */
  failedTold: ReadonlySet<number>;
  /** Failures held back by the quiet period, told in one notification once it ends. */
  failedHeld: readonly number[];
  lastAttentionAtMs: number | null;
  /** Expiry warnings already told about (until they disappear from the list). */
  warningsTold: ReadonlySet<string>;
  warnings: readonly WarningView[];
}

/** One thing that happened, as the bridge reports it; `nowMs` with each. */
export type NotifierInput =
  | { kind: 'snapshot'; jobs: JobBrief[]; appState: AppStateView; warnings: WarningView[] }
  | { kind: 'jobs'; jobs: JobBrief[] }
  | { kind: 'jobs-removed'; ids: number[] }
  | { kind: 'app-state'; appState: AppStateView }
  | { kind: 'warnings'; warnings: WarningView[] }
  /** Time passed (a periodic look): releases failures held back by the quiet period. */
  | { kind: 'tick' };

/** After a needs-attention notification, further failures wait this long and are then told together. */
export const ATTENTION_QUIET_MS = 60_000;

export const EMPTY_NOTIFIER_MEMORY: NotifierMemory = {
  jobs: new Map(),
  batch: null,
  failedTold: new Set(),
  failedHeld: [],
  lastAttentionAtMs: null,
  warningsTold: new Set(),
  warnings: [],
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Which notifications one input calls for: a batch finished (the queue ran dry with uploads done and nothing paused
 * meanwhile), a job needs attention (it failed; a burst of failures is one notification, not fifty), a paused upload's
 * session is about to expire. Nothing is said twice. A snapshot (the app starting) tells only of expiring sessions: the
 * failures in it were there before.
 */
export function planNotifications(
  memory: NotifierMemory,
  input: NotifierInput,
  env: { nowMs: number; clock: (ms: number) => string },
): { memory: NotifierMemory; notifications: DesktopNotification[] } {
  const out: DesktopNotification[] = [];
  let next: NotifierMemory = memory;
  switch (input.kind) {
    case 'snapshot': {
      const jobs = new Map(input.jobs.map((j) => [j.id, { name: j.name, state: j.state }]));
      const failedTold = new Set(input.jobs.filter((j) => j.state === 'failed').map((j) => j.id));
      next = { ...EMPTY_NOTIFIER_MEMORY, jobs, failedTold, warnings: input.warnings };
      next = { ...next, batch: batchAfter(null, input.appState).batch };
      break;
    }
    case 'jobs': {
      const jobs = new Map(memory.jobs);
      const failedTold = new Set(memory.failedTold);
      const newlyFailed: number[] = [];
      for (const job of input.jobs) {
        jobs.set(job.id, { name: job.name, state: job.state });
        if (job.state !== 'failed') failedTold.delete(job.id);
        else if (!failedTold.has(job.id)) {
          failedTold.add(job.id);
          newlyFailed.push(job.id);
        }
      }
      next = { ...memory, jobs, failedTold, failedHeld: [...memory.failedHeld, ...newlyFailed] };
      const errors = new Map(input.jobs.map((j) => [j.id, j.errorMessage]));
      next = tellFailures(next, env.nowMs, errors, out);
      break;
    }
    case 'jobs-removed': {
      const jobs = new Map(memory.jobs);
      const failedTold = new Set(memory.failedTold);
      for (const id of input.ids) {
        jobs.delete(id);
        failedTold.delete(id);
      }
      next = { ...memory, jobs, failedTold, failedHeld: memory.failedHeld.filter((id) => jobs.has(id)) };
      break;
    }
    case 'app-state': {
      const { batch, finished } = batchAfter(memory.batch, input.appState);
      next = { ...memory, batch };
      if (finished) out.push(finished);
      next = tellFailures(next, env.nowMs, new Map(), out);
      break;
    }
    case 'warnings':
      next = { ...memory, warnings: input.warnings };
      break;
    case 'tick':
      next = tellFailures(memory, env.nowMs, new Map(), out);
      break;
  }
  next = tellExpiring(next, env.clock, out);
  return { memory: next, notifications: out };
}

function batchAfter(batch: NotifierMemory['batch'], state: AppStateView): { batch: NotifierMemory['batch']; finished?: DesktopNotification } {
  const { counts } = state;
  const pending = counts.uploading + counts.queued;
  if (pending > 0) {
    // A cleared Finished group or a resumed job lowers the counts: the batch is measured from the lowest seen.
    return { batch: batch === null ? { doneAtStart: counts.done, pausedAtStart: counts.paused } : { doneAtStart: Math.min(batch.doneAtStart, counts.done), pausedAtStart: Math.min(batch.pausedAtStart, counts.paused) } };
  }
  if (batch === null) return { batch: null };
  const uploaded = counts.done - batch.doneAtStart;
  // Paused part-way (by hand or for a while): the user stopped it, which is no news to them.
  if (uploaded <= 0 || state.pausedUntilMs !== null || counts.paused > batch.pausedAtStart) return { batch: null };
  const failed = counts.failed > 0 ? ` ${plural(counts.failed, 'upload needs', 'uploads need')} attention.` : '';
  return { batch: null, finished: { kind: 'batch-finished', title: 'Uploads finished', body: `${plural(uploaded, 'file')} uploaded.${failed}` } };
}

function tellFailures(memory: NotifierMemory, nowMs: number, errors: ReadonlyMap<number, string | null>, out: DesktopNotification[]): NotifierMemory {
  const held = memory.failedHeld.filter((id) => memory.failedTold.has(id));
  if (held.length === 0) return { ...memory, failedHeld: [] };
  if (memory.lastAttentionAtMs !== null && nowMs - memory.lastAttentionAtMs < ATTENTION_QUIET_MS) return { ...memory, failedHeld: held };
  if (held.length === 1) {
    const id = held[0]!;
    const name = memory.jobs.get(id)?.name ?? `Upload ${id}`;
    out.push({ kind: 'needs-attention', title: `${name} needs attention`, body: errors.get(id) ?? 'The upload failed. Open Hoist to see why.', jobId: id });
  } else {
    out.push({ kind: 'needs-attention', title: `${plural(held.length, 'upload needs', 'uploads need')} attention`, body: 'Open Hoist to see why and retry them.' });
  }
  return { ...memory, failedHeld: [], lastAttentionAtMs: nowMs };
}

function tellExpiring(memory: NotifierMemory, clock: (ms: number) => string, out: DesktopNotification[]): NotifierMemory {
  const present = new Set(memory.warnings.map((w) => w.id));
  const told = new Set([...memory.warningsTold].filter((id) => present.has(id)));
  for (const warning of memory.warnings) {
    if (warning.kind !== 'session-expiring' || told.has(warning.id) || memory.jobs.get(warning.jobId)?.state !== 'paused') continue;
    told.add(warning.id);
    out.push({
      kind: 'session-expiring',
      title: `${warning.jobName} is paused and its upload session expires soon`,
      body: `Resume it before ${clock(warning.expiresAtMs)}, or ${formatMiB(warning.bytesAtRiskBytes)} already sent to ${warning.destination} must be sent again.`,
      jobId: warning.jobId,
    });
  }
  return { ...memory, warningsTold: told };
}

const formatMiB = (bytes: number): string => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.max(0.1, bytes / 1024 ** 2).toFixed(1)} MiB`);
