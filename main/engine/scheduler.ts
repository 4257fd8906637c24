import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/backoff.js';
import type { NetworkTarget } from '../domain/failure.js';
import type { ProcessIdentity } from '../domain/process-identity.js';
import type { JobRow } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';
import type { UploadProtocol } from '../protocols/upload-protocol.js';
import { DestinationGate } from './destination-gate.js';
import type { EngineEventSink } from './engine-events.js';
import type { FileSource } from './file-source.js';
import { handleOf } from './file-upload.js';
import { attemptUntilSettled, toFailure } from './job-attempts.js';
import { endTimedPause, startTimedPause, timedPauseUntil } from './timed-pause.js';
import { CancelRequested, PauseRequested, ShutdownRequested } from './stop-signals.js';

export interface SchedulerDeps {
  store: Store;
  files: FileSource;
  /** The adapter for a job's destination (may load it on first use). */
  protocolFor: (job: JobRow) => UploadProtocol | Promise<UploadProtocol>;
  nowMs: () => number;
  rand: () => number;
  /** Resolves after ms, or rejects with the signal's reason when it aborts first. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  events: EngineEventSink;
  /** This process, as recorded in the leases it takes. */
  holder: ProcessIdentity;
  /** Whether the process holding a lease still runs (not gone, not a zombie, not a newer process with its pid). */
  isHolderAlive: (holder: ProcessIdentity) => boolean;
  maxConcurrentFiles?: number;
  retryPolicy?: RetryPolicy;
  /** How often a running job looks for a pause/cancel written by another process, and renews its lease. */
  pollIntervalMs?: number;
  /**
   * Called when the server refused the credentials of a job's destination. Resolves true when fresh credentials were
   * obtained (OAuth refresh), so the request is retried at once; false when nothing can be refreshed.
   */
  refreshCredentials?: (job: JobRow) => Promise<boolean>;
  /**
   * Whether a host answers a fresh connection (tells an outage from a failed request). Without it every network failure
   * is an ordinary retry.
   */
  probe?: (target: NetworkTarget, signal: AbortSignal) => Promise<boolean>;
  /** Memory for one upload's part buffers (protocols with SHA-1 digests); default 64 MiB. */
  partBufferBudgetBytes?: number;
}

export type JobOutcome = { jobId: number; state: 'done' | 'failed' | 'paused' | 'cancelled' | 'busy'; message?: string };

const LEASE_TTL_MS = 30_000;

/**
 * Runs jobs with bounded concurrency across files: leases so two processes never upload the same job, pause and
 * cancel (also from another process, seen through the database), retries with backoff that reset on progress.
 */
export class Scheduler {
  private readonly running = new Map<number, AbortController>();
  private readonly deps: Required<Pick<SchedulerDeps, 'maxConcurrentFiles' | 'retryPolicy' | 'pollIntervalMs'>> & SchedulerDeps;

  /** Destinations whose queue waits for the network or a rate limit. */
  readonly gate: DestinationGate;

  constructor(deps: SchedulerDeps) {
    this.deps = {
      ...deps,
      maxConcurrentFiles: deps.maxConcurrentFiles ?? 3,
      retryPolicy: deps.retryPolicy ?? DEFAULT_RETRY_POLICY,
      pollIntervalMs: deps.pollIntervalMs ?? 500,
    };
    this.gate = new DestinationGate({
      nowMs: deps.nowMs,
      rand: deps.rand,
      probe: deps.probe ?? (async () => true),
      events: (event) => {
        deps.events(event);
        // The network is back: start the destination's queued jobs now, not at the next look.
        if (event.type === 'destination-online') this.wake();
      },
    });
  }

  /** The machine woke from sleep (or the network changed): probe waiting destinations at once. */
  probeNow(): void {
    this.gate.probeNow();
  }

  /** Runs the given jobs (skipping paused and finished ones) until each is done, failed, paused or cancelled. */
  async run(jobIds: readonly number[]): Promise<JobOutcome[]> {
    const pausedUntilMs = this.activeTimedPause();
    if (pausedUntilMs !== null) {
      const message = `every upload is paused until ${new Date(pausedUntilMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}; \`hoist resume --all\` resumes now`;
      return jobIds.map((jobId) => ({ jobId, state: 'paused', message }));
    }
    const queue = [...jobIds];
    const outcomes: JobOutcome[] = [];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) outcomes.push(await this.runJob(id));
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.deps.maxConcurrentFiles, queue.length)) }, worker));
    return outcomes.sort((a, b) => a.jobId - b.jobId);
  }

  /**
   * Daemon mode (`hoist serve`, the desktop app): keeps running queued jobs, up to the concurrency limit, until the
   * signal aborts. `wake()` makes newly queued jobs start at once; a periodic look also catches jobs queued by other
   * processes (`hoist resume` in a terminal).
   */
  async runQueue(signal: AbortSignal, lookEveryMs = 2_000): Promise<void> {
    const active = new Map<number, Promise<JobOutcome>>();
    // Jobs another process holds (a `hoist upload` in a terminal): looked at again only after a while, not in a hot loop.
    const busyUntilMs = new Map<number, number>();
    while (!signal.aborted) {
      const nowMs = this.deps.nowMs();
      for (const [id, untilMs] of busyUntilMs) if (untilMs <= nowMs) busyUntilMs.delete(id);
      const pausedUntilMs = this.activeTimedPause();
      const free = pausedUntilMs === null ? this.deps.maxConcurrentFiles - active.size : 0;
      const skip = new Set([...active.keys(), ...busyUntilMs.keys()]);
      const runnable = free > 0 ? this.lookForWork(free, skip) : [];
      for (const job of runnable) {
        const run = this.runJob(job.id).then((outcome) => {
          if (outcome.state === 'busy') busyUntilMs.set(job.id, this.deps.nowMs() + LEASE_TTL_MS);
          return outcome;
        });
        active.set(
          job.id,
          run.finally(() => {
            active.delete(job.id);
            this.wake();
          }),
        );
      }
      const nextLookMs = pausedUntilMs === null ? lookEveryMs : Math.min(lookEveryMs, Math.max(0, pausedUntilMs - this.deps.nowMs()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, nextLookMs);
        const onAbort = () => done();
        signal.addEventListener('abort', onAbort, { once: true });
        this.wakeUp = done;
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
    this.shutdown();
    await Promise.allSettled(active.values());
  }

  /** Tells a running `runQueue` loop to look for work now (a watcher queued a file, the user resumed a job). */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  private wakeUp: (() => void) | undefined;

  /**
   * Pauses every upload until then (a timed pause; it survives restarts): the jobs it pauses resume when it ends, and
   * nothing starts meanwhile. Returns the ids it paused.
   */
  pauseAllUntil(untilMs: number): number[] {
    const paused = startTimedPause(this.deps.store, untilMs, this.deps.nowMs());
    for (const id of paused) this.running.get(id)?.abort(new PauseRequested());
    return paused;
  }

  /** Ends a timed pause now ("Resume all"); returns the ids it resumed. */
  endTimedPause(): number[] {
    const resumed = endTimedPause(this.deps.store, this.deps.nowMs());
    this.wake();
    return resumed;
  }

  /** Runnable jobs; a locked or full database this time means none now (looked at again soon), never a crashed loop. */
  private lookForWork(free: number, skip: ReadonlySet<number>): JobRow[] {
    try {
      return this.deps.store.jobs.nextRunnable(free, skip, this.gate.heldDestinations());
    } catch {
      return [];
    }
  }

  /** The end of the timed pause in force, if any; one whose time has come is ended here. */
  private activeTimedPause(): number | null {
    let untilMs: number | null;
    try {
      untilMs = timedPauseUntil(this.deps.store);
    } catch {
      return null; // a locked database: lookForWork finds nothing either, and both are asked again soon
    }
    if (untilMs === null) return null;
    if (untilMs > this.deps.nowMs()) return untilMs;
    try {
      endTimedPause(this.deps.store, this.deps.nowMs());
    } catch {
      return untilMs; // not ended yet: the next look tries again
    }
    return null;
  }

  /** Persists the pause; a job running here stops at once, one running in another process within a poll interval. */
  pause(ids: readonly number[] | 'all'): number {
    return this.pauseIds(ids).length;
  }

  /** Like pause, returning the ids that changed. */
  pauseIds(ids: readonly number[] | 'all'): number[] {
    const changed = this.deps.store.jobs.pauseIds(ids, this.deps.nowMs());
    for (const id of changed) this.running.get(id)?.abort(new PauseRequested());
    return changed;
  }

  /**
   * Cancels jobs that can still run, recorded at once. A job running here stops and discards its server session; the
   * others are returned, for the caller to discard theirs (a job another process runs sees the cancel within a poll).
   */
  cancel(ids: readonly number[]): { cancelled: number[]; notRunningHere: number[] } {
    const { store } = this.deps;
    const cancelled: number[] = [];
    const notRunningHere: number[] = [];
    for (const id of ids) {
      const state = store.jobs.stateOf(id);
      if (state === undefined || state === 'done' || state === 'cancelled') continue;
      store.jobs.setState(id, 'cancelled', this.deps.nowMs());
      cancelled.push(id);
      const controller = this.running.get(id);
      if (controller) controller.abort(new CancelRequested());
      else notRunningHere.push(id);
    }
    return { cancelled, notRunningHere };
  }

  /** Files uploaded at once from now on (a setting changed while the daemon runs). */
  setMaxConcurrentFiles(n: number): void {
    this.deps.maxConcurrentFiles = n;
    this.wake();
  }

  /** Whether this process is running the job right now. */
  isRunning(jobId: number): boolean {
    return this.running.has(jobId);
  }

  /** Stops everything running in this process; the jobs stay resumable and start again with the next run. */
  shutdown(options: { isPause?: boolean } = {}): void {
    for (const controller of this.running.values()) controller.abort(new ShutdownRequested(options.isPause ?? false));
  }

  private async runJob(jobId: number): Promise<JobOutcome> {
    const { store } = this.deps;
    const job = store.jobs.get(jobId);
    if (!job) return { jobId, state: 'failed', message: `upload ${jobId} does not exist` };
    if (job.state === 'done' || job.state === 'cancelled' || job.state === 'paused') {
      return { jobId, state: job.state === 'done' ? 'done' : job.state };
    }
    if (!store.jobs.tryLease(jobId, this.deps.holder, this.deps.nowMs(), LEASE_TTL_MS, this.deps.isHolderAlive)) {
      return { jobId, state: 'busy', message: 'another Hoist process is uploading this file right now' };
    }
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const poll = setInterval(() => this.watchForRemoteStop(jobId, controller), this.deps.pollIntervalMs);
    try {
      store.jobs.setState(jobId, 'running', this.deps.nowMs());
      return await this.attemptUntilSettled(job, controller.signal);
    } finally {
      clearInterval(poll);
      this.running.delete(jobId);
      try {
        store.jobs.releaseLease(jobId, this.deps.holder);
      } catch {
        // A full or locked database: the lease lapses on its own (its holder's heartbeat stops).
      }
    }
  }

  private async attemptUntilSettled(job: JobRow, signal: AbortSignal): Promise<JobOutcome> {
    const { store } = this.deps;
    let protocol: UploadProtocol;
    try {
      protocol = await this.deps.protocolFor(job);
    } catch (error) {
      // A destination removed or misconfigured since the job was queued: this job fails, the others go on.
      const failure = toFailure(error);
      const code = failure.kind === 'fatal' ? failure.code : 'invalid-argument';
      store.jobs.setState(job.id, 'failed', this.deps.nowMs(), { code, message: failure.reason });
      return this.settle(job.id, 'failed', failure.reason);
    }
    const end = await attemptUntilSettled({ ...this.deps, gate: this.gate }, job, protocol, signal);
    switch (end.kind) {
      case 'done':
        return this.settle(job.id, 'done');
      case 'failed':
        store.jobs.setState(job.id, 'failed', this.deps.nowMs(), { code: end.code, message: end.message });
        return this.settle(job.id, 'failed', end.message);
      case 'stopped':
        return this.handleStop(job, protocol, end.signal);
    }
  }

  private async handleStop(job: JobRow, protocol: UploadProtocol, error: unknown): Promise<JobOutcome> {
    const { store } = this.deps;
    if (error instanceof CancelRequested) {
      await abortServerSession(store, job.id, protocol);
      store.jobs.setState(job.id, 'cancelled', this.deps.nowMs());
      return this.settle(job.id, 'cancelled');
    }
    if (error instanceof ShutdownRequested && error.isPause) {
      // Ctrl-C: recorded as a pause so nothing starts it behind the user's back; re-running the command resumes it.
      store.jobs.pause([job.id], this.deps.nowMs());
    } else if (error instanceof ShutdownRequested) {
      store.jobs.setState(job.id, 'queued', this.deps.nowMs());
    }
    return this.settle(job.id, 'paused');
  }

  private watchForRemoteStop(jobId: number, controller: AbortController): void {
    const { store } = this.deps;
    try {
      store.jobs.renewLease(jobId, this.deps.holder, this.deps.nowMs(), LEASE_TTL_MS);
      const state = store.jobs.stateOf(jobId);
      if (state === 'paused') controller.abort(new PauseRequested());
      if (state === 'cancelled' || state === undefined) controller.abort(new CancelRequested());
    } catch {
      // A busy database this tick is not a reason to stop uploading; the next tick tries again.
    }
  }

  private settle(jobId: number, state: 'done' | 'failed' | 'paused' | 'cancelled', message?: string): JobOutcome {
    this.deps.events({ type: 'job-finished', jobId, state, message });
    return { jobId, state, message };
  }
}

/** Cancels the job's server session so the provider drops the stored bytes (best effort: it expires anyway). */
export async function abortServerSession(store: Store, jobId: number, protocol: UploadProtocol): Promise<void> {
  const session = store.sessions.openForJob(jobId);
  if (!session) return;
  await protocol.abort(handleOf(session), AbortSignal.timeout(30_000)).catch(() => undefined);
  store.sessions.setState(session.id, 'aborted');
}
