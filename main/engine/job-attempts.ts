import { decideRetry, type RetryCounters, type RetryPolicy } from '../domain/backoff.js';
import { UploadFailure, type Failure } from '../domain/failure.js';
import { HoistError, userMessage } from '../domain/hoist-error.js';
import type { UploadProtocol } from '../protocols/upload-protocol.js';
import type { JobRow } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';
import type { DestinationGate } from './destination-gate.js';
import type { EngineEvent, EngineEventSink } from './engine-events.js';
import type { FileSource } from './file-source.js';
import { uploadFile } from './file-upload.js';
import { isStopSignal } from './stop-signals.js';

export interface AttemptDeps {
  store: Store;
  files: FileSource;
  nowMs: () => number;
  rand: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  events: EngineEventSink;
  retryPolicy: RetryPolicy;
  gate: DestinationGate;
  refreshCredentials?: (job: JobRow) => Promise<boolean>;
  /** How often a full disk is looked at again. Default 5 s. */
  diskFullPollMs?: number;
  partBufferBudgetBytes?: number;
}

/** How one job's attempts ended: uploaded, failed for good, or stopped by a pause, cancel or shutdown (the error). */
export type AttemptsEnd = { kind: 'done' } | { kind: 'failed'; code: string; message: string } | { kind: 'stopped'; signal: unknown };

/**
 * Attempts one job until it is uploaded, fails for good or is stopped. Each failure is classified once (habit 8):
 * an outage waits for the network (not counted), a rate limit holds the whole destination, a refused token is
 * refreshed, a lost session starts a new one, replies that make no sense are retried twice, anything transient backs
 * off; every count resets after forward progress.
 */
export async function attemptUntilSettled(deps: AttemptDeps, job: JobRow, protocol: UploadProtocol, signal: AbortSignal): Promise<AttemptsEnd> {
  const { store, events, gate } = deps;
  const counters: RetryCounters = { attempts: 0, rateLimited: 0, sessionRestarts: 0, malformed: 0 };
  let authRefreshes = 0;
  let progressed = false;
  const sink = (event: EngineEvent) => {
    if (event.type === 'part-acked') progressed = true;
    events(event);
  };
  const beforePart = (partSignal: AbortSignal) => gate.whenOpen(job.destinationId, partSignal);
  for (;;) {
    try {
      await gate.whenOpen(job.destinationId, signal);
      const fileDeps = { store, files: deps.files, nowMs: deps.nowMs, events: sink, beforePart, partBufferBudgetBytes: deps.partBufferBudgetBytes, sleep: deps.sleep };
      await uploadFile(fileDeps, job.id, protocol, signal);
      return { kind: 'done' };
    } catch (error) {
      if (isStopSignal(error)) return { kind: 'stopped', signal: error };
      let failure = toFailure(error);
      if (progressed) {
        // Forward progress since the last failure: a flaky link (or an expired token) is not a dead one.
        authRefreshes = 0;
        counters.attempts = 0;
        counters.rateLimited = 0;
        counters.malformed = 0;
        progressed = false;
      }
      try {
        if (failure.kind === 'disk-full') {
          // Nothing was half-written (each record is one transaction): wait for room, then go on from the server's state.
          events({ type: 'job-retrying', jobId: job.id, delayMs: 0, reason: failure.reason, kind: 'disk-full' });
          await waitForRoom(deps, signal);
          continue;
        }
        if (failure.kind === 'retry' && failure.network && (await gate.confirmOutage(job.destinationId, failure.network, signal))) {
          // The host did not answer at all: the wait was for the network, not an attempt. Go on at once.
          continue;
        }
        if (failure.kind === 'auth' && authRefreshes < 2) {
          const refreshed = await tryRefresh(deps, job);
          if (refreshed === true) {
            // An access token outlived by a long upload: refreshed, so retry now without counting a failure.
            authRefreshes++;
            events({ type: 'job-retrying', jobId: job.id, delayMs: 0, reason: `${failure.reason}; signed in again with the refresh token`, kind: 'auth' });
            continue;
          }
          // "Sign in again with: hoist login NAME" says more than a bare 401.
          if (refreshed instanceof HoistError) failure = { kind: 'auth', reason: refreshed.message };
        }
        count(counters, failure);
        if (failure.kind === 'rate-limited') gate.rateLimit(job.destinationId, deps.nowMs() + failure.retryAfterMs);
        const decision = decideRetry(failure, counters, deps.rand, deps.retryPolicy);
        if (decision.action === 'give-up') return { kind: 'failed', ...givenUp(store, job, failure, decision.reason) };
        if (decision.action === 'new-session') {
          const session = store.sessions.openForJob(job.id);
          if (session) store.sessions.setState(session.id, 'expired');
          store.jobs.noteRestart(job.id, `${failure.reason}; started a new session`, deps.nowMs());
          events({ type: 'job-restarted', jobId: job.id, reason: `${failure.reason}; starting a new session` });
        } else {
          events({ type: 'job-retrying', jobId: job.id, delayMs: decision.delayMs, reason: failure.reason, kind: failure.kind });
        }
        await deps.sleep(decision.delayMs, signal);
      } catch (stopError) {
        if (isStopSignal(stopError)) return { kind: 'stopped', signal: stopError };
        throw stopError;
      }
    }
  }
}

function count(counters: RetryCounters, failure: Failure): void {
  if (failure.kind === 'rate-limited') counters.rateLimited++;
  else if (failure.kind === 'session-expired') counters.sessionRestarts++;
  else if (failure.kind === 'malformed') counters.malformed = (counters.malformed ?? 0) + 1;
  else counters.attempts++;
}

/** The stored error of a job that gave up: a plain sentence for the user; the details went to the log as retries. */
function givenUp(store: Store, job: JobRow, failure: Failure, reason: string): { code: string; message: string } {
  switch (failure.kind) {
    case 'fatal':
      return { code: failure.code, message: reason };
    case 'auth':
      return { code: 'auth-failed', message: reason };
    case 'malformed': {
      const dest = store.destinations.byId(job.destinationId);
      return { code: 'server-malformed-reply', message: `${dest?.name ?? 'The destination'} (${serverOf(dest?.config.endpoint)}) sent a reply Hoist cannot read.` };
    }
    default:
      return { code: 'retries-exhausted', message: reason };
  }
}

/** "graph.example:443": the host and port of a destination's endpoint, for messages. */
function serverOf(endpoint: unknown): string {
  try {
    const url = new URL(String(endpoint));
    return `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  } catch {
    return 'its server';
  }
}

const isDiskFull = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
};

/** Polls until the database takes a write again (someone freed space). */
async function waitForRoom(deps: AttemptDeps, signal: AbortSignal): Promise<void> {
  for (;;) {
    await deps.sleep(deps.diskFullPollMs ?? 5_000, signal);
    try {
      deps.store.settings.set('probe.writableAtMs', String(deps.nowMs()));
      return;
    } catch (error) {
      if (!isDiskFull(error)) throw error;
    }
  }
}

async function tryRefresh(deps: AttemptDeps, job: JobRow): Promise<boolean | HoistError> {
  try {
    return (await deps.refreshCredentials?.(job)) ?? false;
  } catch (error) {
    return error instanceof HoistError ? error : false;
  }
}

export function toFailure(error: unknown): Failure {
  if (error instanceof UploadFailure) return error.failure;
  if (isDiskFull(error)) return { kind: 'disk-full', reason: 'the disk holding Hoist\'s database is full; uploads go on once there is room' };
  // A file caught mid-change is worth another look once it settles; every other error of ours is final.
  if (error instanceof HoistError && error.code === 'file-changed') return { kind: 'retry', reason: error.message };
  if (error instanceof HoistError) return { kind: 'fatal', code: error.code, reason: error.message };
  return { kind: 'fatal', code: 'internal', reason: `unexpected error: ${userMessage(error)}` };
}
