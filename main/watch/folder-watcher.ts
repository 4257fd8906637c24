import { isAbsolute, relative, sep } from 'node:path';
import { classifyWatchError, describeWatchError } from '../domain/watch-errors.js';
import type { FileIdentity } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';
import type { WatchRow, WatchStatus } from '../store/watches-repo.js';
import { readWatchLimits, type LiveWatch, type StartLiveWatch } from './live-watch.js';
import { makePathRules, type PathRules } from './path-rules.js';
import { PendingGate, type GateBatch, type PathLook, type SettledFile } from './pending-gate.js';
import { folderIdOf, lookAt, statFolder, whyFolderUnusable } from './folder-probe.js';
import { SyncWriter } from './sync-writer.js';
import { reconcileTree } from './tree-reconcile.js';
import { VanishedFiles } from './vanished-files.js';
import type { WatchEventSink } from './watch-events.js';
import type { WatchOptions } from './watch-options.js';

export interface FolderWatcherDeps {
  store: Store;
  watch: WatchRow;
  options: WatchOptions;
  nowMs: () => number;
  events: WatchEventSink;
  startLiveWatch: StartLiveWatch;
  /** Jobs were created: wake the scheduler. */
  onJobsQueued(): void;
  /** Rows became 'pending': let the service create jobs as room allows. */
  onPending(): void;
  /** Settles 'queued' rows whose jobs ended while nobody listened (run after each full scan). */
  settleUnsettled(watchId: number): void;
  /** Absolute folders never looked at (Hoist's own data folder). */
  excludedDirs?: readonly string[];
}

const toPosix = sep === '/' ? (p: string) => p : (p: string) => p.split(sep).join('/');

/**
 * One watched folder: live watch (chokidar, folders only) → pending gate (settled files) → sync writer (jobs, index),
 * with a full reconcile against the index at start, every rescanIntervalMs and after any gap (missing folder,
 * fallback). States: starting → scanning → watching | polling (live watch refused by the OS) | missing (folder gone,
 * looked for every missingPollMs). Every async step checks `generation`, so work started before a stop or restart
 * never writes after it.
 */
export class FolderWatcher {
  private readonly gate: PendingGate;
  private readonly writer: SyncWriter;
  private rules: PathRules;
  private live: LiveWatch | undefined;
  private mode: 'live' | 'fallback';
  private fallbackMessage: string | undefined;
  private status: WatchStatus = 'idle';
  private statusMessage: string | null = null;
  private generation = 0;
  private scanAbort = new AbortController();
  private rootId: string | undefined;
  private scanChain: Promise<void> = Promise.resolve();
  private isFullScanQueued = false;
  private readonly queuedSubtrees = new Set<string>();
  private readonly vanished = new VanishedFiles();
  private readonly timers = new Map<'rescan' | 'delete' | 'missing' | 'root' | 'root-touched', NodeJS.Timeout>();
  private isStopped = false;
  private warningsLeft = 5;
  private markIndexed!: () => void;
  /** Resolves when the tree has been reconciled with the index once (the queue is decided); watching follows. */
  readonly indexed = new Promise<void>((resolve) => (this.markIndexed = resolve));
  /** Ends the wait for the live watch's 'ready' early when it was given up for the fallback. */
  private endLiveWait: (() => void) | undefined;

  constructor(private readonly deps: FolderWatcherDeps) {
    const { watch, options } = deps;
    this.mode = options.isPollingOnly ? 'fallback' : 'live';
    this.rules = this.makeRules();
    this.gate = new PendingGate({
      look: (relPath) => this.look(relPath),
      nowMs: deps.nowMs,
      policy: options.stability,
      tickMs: Math.max(20, Math.min(250, Math.floor(options.stability.quietMs / 4))),
      maxLooksPerTick: 2_000,
      onBatch: (batch) => this.onGateBatch(batch),
      onOverdue: (relPath, waitedMs) => deps.events({ type: 'file-unsettled', watchId: watch.id, relPath, waitedMs }),
    });
    this.writer = new SyncWriter({
      store: deps.store,
      watch,
      nowMs: deps.nowMs,
      options,
      events: deps.events,
      takeVanished: (identity, relPath) => this.vanished.takeRenamed(identity, relPath),
    });
  }

  get watchId(): number {
    return this.deps.watch.id;
  }

  /** Resolves once the folder is indexed and watched (or found missing, which is retried in the background). */
  async start(): Promise<void> {
    await this.establish();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.markIndexed();
    await this.teardown();
    await this.scanChain.catch(() => undefined);
  }

  /** Looks at a file again after quietMs (its upload finished; it may have changed meanwhile). */
  recheck(relPath: string): void {
    if (!this.isStopped && (this.status === 'watching' || this.status === 'polling')) this.gate.noteEvent(relPath);
  }

  /** Queues a full reconcile now (and waits for it); the periodic rescan calls the same. */
  rescanNow(): Promise<void> {
    return this.enqueueScan('', this.generation);
  }

  private makeRules(): PathRules {
    const { watch } = this.deps;
    const excludedDirs = (this.deps.excludedDirs ?? [])
      .map((d) => relative(watch.dir, d))
      .filter((d) => d !== '' && !d.startsWith('..') && !isAbsolute(d))
      .map(toPosix);
    return makePathRules({ patterns: watch.ignorePatterns, includeHidden: watch.includeHidden, excludedDirs });
  }

  private async establish(): Promise<void> {
    if (this.isStopped) return;
    const generation = ++this.generation;
    this.scanAbort = new AbortController();
    this.setStatus('starting', null);
    const root = statFolder(this.deps.watch.dir);
    if (!root?.isDirectory()) return this.enterMissing(`${this.deps.watch.dir} is not there (an unplugged drive, or a moved or deleted folder?)`);
    const unusable = whyFolderUnusable(this.deps.store, this.deps.watch);
    if (unusable) return this.enterMissing(unusable);
    this.rootId = folderIdOf(root);
    // Index first: the queue is decided as soon as the tree has been read once. chokidar's own walk (an lstat per
    // entry) comes after, and a second, read-only reconcile closes the gap between the two: a change made before a
    // folder's watch was attached is found by it, one made after is reported by the watch.
    this.setStatus('scanning', null);
    await this.enqueueScan('', generation);
    if (generation !== this.generation) return;
    this.markIndexed();
    if (this.writer.retryUploadsThatFoundNoFile((relPath) => this.look(relPath).kind === 'file') > 0) this.deps.onJobsQueued();
    if (this.mode === 'live') {
      const live = this.deps.startLiveWatch({
        root: this.deps.watch.dir,
        followSymlinks: this.deps.watch.symlinkPolicy === 'follow',
        isIgnoredDir: (absPath) => this.rules.isIgnoredDir(this.relOf(absPath) ?? ''),
        onPathChanged: (absPath) => this.onPathChanged(absPath, generation),
        onRootTouched: () => this.onRootTouched(generation),
        onError: (error) => this.onLiveError(error, generation),
      });
      this.live = live;
      await new Promise<void>((resolve) => {
        this.endLiveWait = resolve;
        void live.ready.then(resolve);
      });
      this.endLiveWait = undefined;
      if (generation !== this.generation) return;
      await this.enqueueScan('', generation);
      if (generation !== this.generation) return;
    }
    this.setStatus(this.mode === 'live' ? 'watching' : 'polling', this.mode === 'live' ? null : (this.fallbackMessage ?? 'live watching is off; rescanning periodically'));
    this.scheduleRescan(generation);
    this.scheduleRootCheck(generation);
  }

  private async teardown(): Promise<void> {
    this.generation++;
    this.scanAbort.abort(new Error('watch stopped'));
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.gate.clear();
    this.vanished.clear();
    this.isFullScanQueued = false;
    this.queuedSubtrees.clear();
    const live = this.live;
    this.live = undefined;
    this.endLiveWait?.();
    await live?.close().catch(() => undefined);
  }

  private async enterMissing(reason: string): Promise<void> {
    await this.teardown();
    this.markIndexed(); // nothing to index while it is gone; the return triggers a full reconcile
    if (this.isStopped) return;
    this.setStatus('missing', reason);
    const generation = this.generation;
    const poll = () => {
      if (generation !== this.generation || this.isStopped) return;
      const root = statFolder(this.deps.watch.dir);
      if (root?.isDirectory() && whyFolderUnusable(this.deps.store, this.deps.watch) === undefined) {
        void this.establish();
        return;
      }
      this.setTimer('missing', poll, this.deps.options.missingPollMs);
    };
    this.setTimer('missing', poll, this.deps.options.missingPollMs);
  }

  private checkRoot(generation: number): void {
    if (generation !== this.generation || this.isStopped) return;
    const root = statFolder(this.deps.watch.dir);
    if (!root?.isDirectory()) {
      void this.enterMissing(`${this.deps.watch.dir} disappeared (an unplugged drive, or a moved or deleted folder?)`);
      return;
    }
    if (folderIdOf(root) !== this.rootId) {
      // Replaced (deleted and re-created, remounted): the old watches point at nothing. Start over.
      void this.teardown().then(() => this.establish());
    }
  }

  private scheduleRootCheck(generation: number): void {
    this.setTimer(
      'root',
      () => {
        this.checkRoot(generation);
        if (generation === this.generation) this.scheduleRootCheck(generation);
      },
      this.deps.options.rootCheckMs,
    );
  }

  private onRootTouched(generation: number): void {
    if (generation !== this.generation || this.timers.has('root-touched')) return;
    this.setTimer('root-touched', () => {
      this.timers.delete('root-touched');
      this.checkRoot(generation);
    }, 50);
  }

  private scheduleRescan(generation: number): void {
    const every = this.mode === 'live' ? this.deps.options.rescanIntervalMs : this.deps.options.fallbackRescanMs;
    this.setTimer(
      'rescan',
      () => {
        if (generation !== this.generation) return;
        void this.enqueueScan('', generation).then(() => {
          if (generation === this.generation) this.scheduleRescan(generation);
        });
      },
      every,
    );
  }

  private onLiveError(error: NodeJS.ErrnoException, generation: number): void {
    if (generation !== this.generation) return;
    const { watch, options, events } = this.deps;
    const kind = classifyWatchError(error.code);
    if (kind === 'other') {
      if (this.warningsLeft-- > 0) events({ type: 'watch-warning', watchId: watch.id, message: `watching ${watch.dir}: ${error.message}` });
      return;
    }
    if (this.mode === 'fallback') return;
    this.mode = 'fallback';
    this.fallbackMessage = describeWatchError({
      kind,
      folder: watch.dir,
      platform: process.platform,
      detail: error.message,
      rescanEveryMs: options.fallbackRescanMs,
      limits: readWatchLimits(),
    });
    events({ type: 'watch-warning', watchId: watch.id, message: this.fallbackMessage });
    // A partial watch would miss changes silently and hold watches other programs need: close it, rescan instead.
    const live = this.live;
    this.live = undefined;
    this.endLiveWait?.();
    void live?.close().catch(() => undefined);
    if (this.status === 'watching') {
      this.setStatus('polling', this.fallbackMessage);
      this.scheduleRescan(generation);
    }
  }

  private relOf(absPath: string): string | undefined {
    const rel = relative(this.deps.watch.dir, absPath);
    if (rel.startsWith('..') || rel.startsWith(sep)) return undefined;
    return toPosix(rel);
  }

  private onPathChanged(absPath: string, generation: number): void {
    if (generation !== this.generation) return;
    const rel = this.relOf(absPath);
    if (!rel || this.rules.isIgnoredFile(rel)) return;
    this.gate.noteEvent(rel);
  }

  private look(relPath: string): PathLook {
    return lookAt(this.deps.watch, relPath);
  }

  private onGateBatch(batch: GateBatch): void {
    const generation = this.generation;
    // Vanished first: a rename's two halves usually settle in the same tick, and the new path must find the old one.
    for (const relPath of batch.gone) {
      for (const row of this.deps.store.syncIndex.listLiveAtOrUnder(this.deps.watch.id, relPath)) this.addVanished(row.relPath, row);
    }
    this.applySettled(batch.settled);
    for (const relPath of batch.dirs) {
      if (!this.rules.isIgnoredDir(relPath)) void this.enqueueScan(relPath, generation);
    }
  }

  private applySettled(files: readonly SettledFile[]): void {
    if (files.length === 0) return;
    const counts = this.writer.applySettled(files);
    if (counts.queued > 0) this.deps.onJobsQueued();
    if (counts.pending > 0) this.deps.onPending();
  }

  private addVanished(relPath: string, identity: FileIdentity): void {
    this.vanished.add(relPath, identity, this.deps.nowMs());
    if (!this.timers.has('delete')) this.setTimer('delete', () => this.commitVanished(this.generation), this.deps.options.deleteDelayMs);
  }

  /** Records as deleted the vanished files still gone after deleteDelayMs, unless the whole folder went away. */
  private commitVanished(generation: number): void {
    this.timers.delete('delete');
    if (generation !== this.generation) return;
    const root = statFolder(this.deps.watch.dir);
    if (!root?.isDirectory() || folderIdOf(root) !== this.rootId) {
      // The whole folder went away: that is not 100,000 deletions, it is a missing folder.
      this.checkRoot(generation);
      return;
    }
    const now = this.deps.nowMs();
    const { due, nextDueAtMs } = this.vanished.takeDue(now, this.deps.options.deleteDelayMs);
    this.writer.recordDeletions(due.filter((f) => this.look(f.relPath).kind === 'gone').map((f) => f.relPath));
    if (Number.isFinite(nextDueAtMs)) this.setTimer('delete', () => this.commitVanished(this.generation), Math.max(10, nextDueAtMs - now));
  }

  /** Scans run one at a time per folder; a queued full scan makes queued subtree scans redundant. */
  private enqueueScan(underRel: string, generation: number): Promise<void> {
    if (underRel === '') {
      if (this.isFullScanQueued) return this.scanChain;
      this.isFullScanQueued = true;
    } else {
      if (this.isFullScanQueued || this.queuedSubtrees.has(underRel)) return this.scanChain;
      this.queuedSubtrees.add(underRel);
    }
    this.scanChain = this.scanChain
      .then(async () => {
        if (underRel === '') this.isFullScanQueued = false;
        else this.queuedSubtrees.delete(underRel);
        if (generation === this.generation) await this.reconcile(underRel, generation);
      })
      .catch((error: unknown) => {
        if (generation === this.generation && !this.isStopped) {
          this.deps.events({ type: 'watch-warning', watchId: this.deps.watch.id, message: `scan of ${this.deps.watch.dir} failed: ${(error as Error).message}` });
        }
      });
    return this.scanChain;
  }

  private async reconcile(underRel: string, generation: number): Promise<void> {
    const { store, watch, events } = this.deps;
    const isFull = underRel === '';
    if (isFull) this.rules = this.makeRules(); // also drops the matcher's per-path cache
    const result = await reconcileTree({
      store,
      watch,
      rules: this.rules,
      gate: this.gate,
      writer: this.writer,
      batchSize: this.deps.options.batchSize,
      sliceMs: this.deps.options.scanSliceMs,
      underRel,
      signal: this.scanAbort.signal,
      applySettled: (files) => this.applySettled(files),
      isCurrent: () => generation === this.generation,
      whyUnusable: () => whyFolderUnusable(this.deps.store, this.deps.watch),
    });
    if (result.kind === 'stale') return;
    if (result.kind === 'missing') return this.enterMissing(result.reason);
    if (isFull) {
      store.watches.markScanned(watch.id, this.deps.nowMs());
      this.deps.settleUnsettled(watch.id);
    }
    const { counts } = result;
    events({
      type: 'watch-scanned',
      watchId: watch.id,
      isFull,
      files: counts.files,
      changed: result.changed,
      deleted: result.deleted,
      renamed: result.renamed,
      ignored: counts.ignored,
      durationMs: Math.round(counts.durationMs),
    });
    if (counts.unreadableDirs.length > 0) {
      events({ type: 'watch-warning', watchId: watch.id, message: `cannot read ${counts.unreadableDirs.join(', ')} in ${watch.dir} (permissions); skipped` });
    }
  }

  private setStatus(status: WatchStatus, message: string | null): void {
    if (this.isStopped && status !== 'stopped') return;
    if (status === this.status && message === this.statusMessage) return;
    this.status = status;
    this.statusMessage = message;
    this.deps.store.watches.setStatus(this.deps.watch.id, status, message, this.deps.nowMs());
    this.deps.events({ type: 'watch-status', watchId: this.deps.watch.id, status, ...(message ? { message } : {}) });
  }

  private setTimer(name: 'rescan' | 'delete' | 'missing' | 'root' | 'root-touched', run: () => void, delayMs: number): void {
    const existing = this.timers.get(name);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(run, delayMs);
    timer.unref();
    this.timers.set(name, timer);
  }

  /** For the service: the status this watcher last reported. */
  get currentStatus(): WatchStatus {
    return this.status;
  }
}
