import { sameContentStamp } from '../domain/file-stability.js';
import type { Store } from '../store/store.js';
import type { WatchRow } from '../store/watches-repo.js';
import { FolderWatcher } from './folder-watcher.js';
import { settleRowFromJob } from './job-outcome.js';
import { startChokidarWatch, type StartLiveWatch } from './live-watch.js';
import { queueJob } from './sync-writer.js';
import type { WatchEventSink } from './watch-events.js';
import type { WatchOptions } from './watch-options.js';

export interface WatchServiceDeps {
  store: Store;
  options: WatchOptions;
  nowMs: () => number;
  events: WatchEventSink;
  /** Jobs were created: start them (Scheduler.wake). */
  onJobsQueued(): void;
  startLiveWatch?: StartLiveWatch;
  /** Folders never watched even inside a watched one (Hoist's data folder: its database changes all the time). */
  excludedDirs?: readonly string[];
  /** How often the watches table is read again, so `hoist watch add/remove/pause` from a terminal take effect. */
  configPollMs?: number;
}

interface Running {
  watcher: FolderWatcher;
  watch: WatchRow;
  signature: string;
  started: Promise<void>;
}

const signatureOf = (w: WatchRow) =>
  JSON.stringify([w.dir, w.destinationId, w.remoteDir, w.ignorePatterns, w.symlinkPolicy, w.includeHidden, w.mirrorDeletes]);

/**
 * Every watched folder of the database, kept in step with the watches table; the bridge between the sync index and
 * the job queue: creates jobs for pending rows as room frees up (at most maxQueuedJobs waiting, so a 100,000-file
 * first scan never puts 100,000 jobs in front of the scheduler), and records finished jobs in the index.
 */
export class WatchService {
  private readonly running = new Map<number, Running>();
  private configTimer: NodeJS.Timeout | undefined;
  private isStopped = false;
  private syncing: Promise<void> | undefined;
  private dataVersion: number | undefined;

  constructor(private readonly deps: WatchServiceDeps) {}

  /** Starts every non-paused watch; resolves when each has finished its first reconcile (or was found missing). */
  async start(): Promise<void> {
    await this.syncWithTable();
    await Promise.all([...this.running.values()].map((r) => r.started));
    this.armConfigPoll();
  }

  /** Resolves when every running watch has reconciled its tree with the index once (before live watching is attached). */
  async indexed(): Promise<void> {
    await this.syncing;
    await Promise.all([...this.running.values()].map((r) => r.watcher.indexed));
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.configTimer) clearTimeout(this.configTimer);
    await this.syncing;
    await Promise.all([...this.running.keys()].map((id) => this.stopWatcher(id, 'stopped')));
  }

  watcher(watchId: number): FolderWatcher | undefined {
    return this.running.get(watchId)?.watcher;
  }

  /** Re-reads the watches table: starts new and resumed watches, stops removed and paused ones, restarts edited ones. */
  syncWithTable(): Promise<void> {
    this.syncing ??= this.doSync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /** The engine finished a job (any outcome): if it was a watched file, the index learns the result. */
  onJobFinished(jobId: number): void {
    const { store } = this.deps;
    const row = store.syncIndex.byJob(jobId);
    if (!row) return;
    const job = store.jobs.get(jobId);
    settleRowFromJob(store, row, job, this.deps.nowMs());
    // The file changed while it was uploading and the engine had already sent the older version: look again.
    if (job?.state === 'done' && row.state !== 'deleted' && !sameContentStamp(row, job)) this.running.get(row.watchId)?.watcher.recheck(row.relPath);
    this.fill('drained');
  }

  /**
   * Creates jobs for pending rows of running watches while fewer than maxQueuedJobs wait; one transaction per batch.
   * `drained` (one upload finished) refills in chunks only; rows a scan just made pending are queued up to the limit.
   */
  fill(cause: 'drained' | 'pending' = 'pending'): void {
    if (this.isStopped) return;
    const { store, options } = this.deps;
    const watches = new Map([...this.running.values()].map((r) => [r.watch.id, r.watch]));
    const queued = store.syncIndex.countInState('queued');
    let room = options.maxQueuedJobs - queued;
    // Refill in chunks, not one job per finished upload: the scheduler still has plenty to do meanwhile.
    if (cause === 'drained' && queued > 0 && room < Math.min(options.batchSize, Math.ceil(options.maxQueuedJobs / 4))) return;
    let created = 0;
    const perWatch = new Map<number, number>();
    while (room > 0) {
      const rows = store.syncIndex.listPending([...watches.keys()], Math.min(room, options.batchSize));
      if (rows.length === 0) break;
      store.db.transaction(() => {
        const nowMs = this.deps.nowMs();
        for (const row of rows) {
          const watch = watches.get(row.watchId)!;
          store.syncIndex.recordQueued(row.watchId, row.relPath, row, queueJob(store, watch, row.relPath, row, nowMs), nowMs);
          perWatch.set(row.watchId, (perWatch.get(row.watchId) ?? 0) + 1);
        }
      })();
      room -= rows.length;
      created += rows.length;
    }
    if (created === 0) return;
    for (const [watchId, queued] of perWatch) this.deps.events({ type: 'files-queued', watchId, queued, pending: 0, renamed: 0, restored: 0 });
    this.deps.onJobsQueued();
  }

  /** Queued rows whose jobs ended without us hearing (daemon down, `hoist resume` in a terminal) are settled now. */
  settleUnsettled(watchId: number): void {
    const { store } = this.deps;
    const rows = store.syncIndex.listUnsettled(watchId);
    if (rows.length === 0) return;
    store.db.transaction(() => {
      const nowMs = this.deps.nowMs();
      for (const row of rows) settleRowFromJob(store, row, row.jobId === null ? undefined : store.jobs.get(row.jobId), nowMs);
    })();
    this.fill();
  }

  private async doSync(): Promise<void> {
    if (this.isStopped) return;
    const rows = this.deps.store.watches.list();
    const wanted = new Map(rows.filter((w) => !w.isPaused).map((w) => [w.id, w]));
    for (const [id, run] of this.running) {
      const row = wanted.get(id);
      if (!row || signatureOf(row) !== run.signature) await this.stopWatcher(id, row ? 'idle' : undefined);
    }
    for (const watch of wanted.values()) {
      if (this.running.has(watch.id) || this.isStopped) continue;
      const destination = this.deps.store.destinations.byId(watch.destinationId);
      if (!destination) continue;
      const watcher = new FolderWatcher({
        store: this.deps.store,
        watch,
        options: this.deps.options,
        nowMs: this.deps.nowMs,
        events: this.deps.events,
        startLiveWatch: this.deps.startLiveWatch ?? startChokidarWatch,
        onJobsQueued: this.deps.onJobsQueued,
        onPending: () => this.fill(),
        settleUnsettled: (id) => this.settleUnsettled(id),
        excludedDirs: this.deps.excludedDirs,
      });
      const started = watcher.start().catch((error: unknown) => {
        this.deps.events({ type: 'watch-warning', watchId: watch.id, message: `could not start watching ${watch.dir}: ${(error as Error).message}` });
      });
      this.running.set(watch.id, { watcher, watch, signature: signatureOf(watch), started });
    }
    // Jobs that finished in another process, and room that freed up meanwhile.
    if (this.deps.store.syncIndex.countInState('queued') > 0) for (const id of this.running.keys()) this.settleUnsettled(id);
    this.fill();
  }

  private async stopWatcher(watchId: number, status: 'stopped' | 'idle' | undefined): Promise<void> {
    const run = this.running.get(watchId);
    if (!run) return;
    this.running.delete(watchId);
    await run.watcher.stop();
    const row = this.deps.store.watches.get(watchId);
    if (row && status && !row.isPaused) this.deps.store.watches.setStatus(watchId, status, null, this.deps.nowMs());
  }

  /**
   * Another process (`hoist watch add`, `hoist resume`) changed the database when SQLite's data_version moved; only
   * then is the table read again. An idle daemon thus costs one pragma every configPollMs.
   */
  private armConfigPoll(): void {
    if (this.isStopped) return;
    this.configTimer = setTimeout(() => {
      const version = this.deps.store.db.pragma('data_version', { simple: true }) as number;
      if (version === this.dataVersion) return this.armConfigPoll();
      this.dataVersion = version;
      void this.syncWithTable().finally(() => this.armConfigPoll());
    }, this.deps.configPollMs ?? 2_000);
    this.configTimer.unref();
  }
}
