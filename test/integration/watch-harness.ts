/**
 * Real temp trees, real chokidar, real SQLite for the watch tests: a WatchService over a fresh database with one
 * graph destination (no uploader: tests complete jobs themselves, the emulator test uploads for real).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Store } from '../../main/store/store.js';
import type { NewWatch, WatchRow } from '../../main/store/watches-repo.js';
import type { JobRow } from '../../main/store/jobs-repo.js';
import type { SyncIndexRow } from '../../main/store/sync-index-repo.js';
import type { WatchEvent } from '../../main/watch/watch-events.js';
import { DEFAULT_WATCH_OPTIONS, type WatchOptions } from '../../main/watch/watch-options.js';
import { WatchService } from '../../main/watch/watch-service.js';
import type { StartLiveWatch } from '../../main/watch/live-watch.js';

export const FAST: WatchOptions = {
  ...DEFAULT_WATCH_OPTIONS,
  stability: { quietMs: 300, zeroByteQuietMs: 900, maxWaitMs: 60_000 },
  deleteDelayMs: 400,
  fallbackRescanMs: 400,
  missingPollMs: 100,
  rootCheckMs: 300,
};

export class WatchEnv {
  readonly base = mkdtempSync(join(tmpdir(), 'hoist-watch-'));
  readonly tree = join(this.base, 'tree');
  readonly store = Store.open(join(this.base, 'data', 'hoist.db'));
  readonly destinationId: number;
  readonly events: WatchEvent[] = [];
  wakes = 0;
  service: WatchService | undefined;

  constructor(
    private readonly options: WatchOptions = FAST,
    private readonly startLiveWatch?: StartLiveWatch,
  ) {
    mkdirSync(this.tree, { recursive: true });
    this.destinationId = this.store.destinations.add('od', 'graph', { endpoint: 'http://127.0.0.1:9', token: { kind: 'env', name: 'T' } }, Date.now()).id;
  }

  addWatch(extra: Partial<NewWatch> = {}): WatchRow {
    return this.store.watches.add(
      { dir: this.tree, destinationId: this.destinationId, remoteDir: '/Backup', ignorePatterns: [], symlinkPolicy: 'skip', includeHidden: false, mirrorDeletes: false, ...extra },
      Date.now(),
    );
  }

  async start(options: WatchOptions = this.options): Promise<WatchService> {
    this.service = new WatchService({
      store: this.store,
      options,
      nowMs: Date.now,
      events: (e) => this.events.push(e),
      onJobsQueued: () => this.wakes++,
      startLiveWatch: this.startLiveWatch,
      configPollMs: 100,
    });
    await this.service.start();
    return this.service;
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }

  path(rel: string): string {
    return join(this.tree, ...rel.split('/'));
  }

  write(rel: string, content: string | Buffer): void {
    mkdirSync(dirname(this.path(rel)), { recursive: true });
    writeFileSync(this.path(rel), content);
  }

  append(rel: string, content: string): void {
    appendFileSync(this.path(rel), content);
  }

  jobs(): JobRow[] {
    return this.store.jobs.list();
  }

  jobsFor(remotePath: string): JobRow[] {
    return this.jobs().filter((j) => j.remotePath === remotePath);
  }

  row(watchId: number, rel: string): SyncIndexRow | undefined {
    return this.store.syncIndex.get(watchId, rel);
  }

  /** What an uploader would do: the job is done with a remote item, and the daemon hears of it. */
  completeJob(jobId: number, itemId = `item-${jobId}`): void {
    this.store.jobs.complete(jobId, { id: itemId, name: 'x', sizeBytes: 0, hashes: { quickXorHash: `qx-${jobId}` }, raw: null }, Date.now());
    this.service?.onJobFinished(jobId);
  }

  completeAll(): void {
    for (const job of this.store.jobs.listByState(['queued'])) this.completeJob(job.id);
  }

  eventsOf<T extends WatchEvent['type']>(type: T): Extract<WatchEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<WatchEvent, { type: T }> => e.type === type);
  }

  async close(): Promise<void> {
    await this.stop();
    this.store.close();
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** Polls every 10 ms until `check` holds, at most `timeoutMs`: bounded, never a fixed sleep. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets `ms` pass to show that something does NOT happen in that time (bounded by construction). */
export function elapse(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
