import { realpathSync } from 'node:fs';
import type { EngineEvent } from '../../engine/engine-events.js';
import type { StartLiveWatch } from '../../watch/live-watch.js';
import { WatchService } from '../../watch/watch-service.js';
import type { WatchEvent } from '../../watch/watch-events.js';
import { DEFAULT_WATCH_OPTIONS, type WatchOptions } from '../../watch/watch-options.js';
import { makeScheduler, type CliContext } from '../cli/cli-context.js';
import { eventLogger } from '../event-log.js';
import { describeServeEvent } from './serve-log.js';

/** Everything `hoist serve` reports: upload progress and folder watching. */
export type ServeEvent = EngineEvent | WatchEvent;

export interface ServeInput {
  ctx: CliContext;
  /** Aborting it stops the daemon: running uploads are left queued (they resume on the next start), watchers close. */
  signal: AbortSignal;
  /**
   * The seam for the UI of `hoist serve`: the WebSocket transport of the bridge (a later task) subscribes here and
   * serves commands against the same Store; nothing else needs to change in the daemon.
   */
  onEvent?: (event: ServeEvent) => void;
  /** Human-readable lines (stderr for the CLI); per-file progress is never logged. */
  log?: (line: string) => void;
  watchOptions?: WatchOptions;
  startLiveWatch?: StartLiveWatch;
  maxConcurrentFiles?: number;
  /** Called once every watch has finished its first reconcile and the queue runs. */
  onReady?: () => void;
}

/**
 * The headless daemon (background sync): a Scheduler in daemon mode plus a watcher per non-paused watched folder.
 * Watchers queue jobs and wake the scheduler; finished jobs are recorded in the sync index.
 */
export async function runServe(input: ServeInput): Promise<void> {
  const { ctx, signal } = input;
  const log = input.log ?? (() => undefined);
  const writeLog = eventLogger(ctx.dataDir);
  let service: WatchService | undefined;
  const onEngineEvent = (event: EngineEvent) => {
    writeLog(event);
    input.onEvent?.(event);
    if (event.type === 'job-finished') {
      service?.onJobFinished(event.jobId);
      const line = describeServeEvent(ctx.store, event);
      if (line) log(line);
    }
  };
  const onWatchEvent = (event: WatchEvent) => {
    input.onEvent?.(event);
    const line = describeServeEvent(ctx.store, event);
    if (line) log(line);
  };
  const scheduler = makeScheduler(ctx, onEngineEvent, input.maxConcurrentFiles);
  service = new WatchService({
    store: ctx.store,
    options: input.watchOptions ?? DEFAULT_WATCH_OPTIONS,
    nowMs: Date.now,
    events: onWatchEvent,
    onJobsQueued: () => scheduler.wake(),
    startLiveWatch: input.startLiveWatch,
    excludedDirs: [ctx.dataDir, realpathOr(ctx.dataDir)],
  });
  if (signal.aborted) return;
  const watches = ctx.store.watches.list();
  log(`hoist serve: ${watches.filter((w) => !w.isPaused).length} watched folder(s) (${watches.filter((w) => w.isPaused).length} paused), data in ${ctx.dataDir}`);
  // The queue runs from the start: jobs left from before the restart continue while the folders are indexed.
  const queue = scheduler.runQueue(signal);
  const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.race([service.start(), stopped]);
  if (!signal.aborted) {
    log('hoist serve: ready (Ctrl-C to stop; unfinished uploads resume on the next start)');
    input.onReady?.();
  }
  await stopped;
  log('hoist serve: stopping…');
  await service.stop();
  await queue;
  log('hoist serve: stopped');
}

/** Watched folders are stored as real paths; the data folder must be compared the same way. */
function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
