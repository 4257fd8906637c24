import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeService } from '../../bridge/bridge-service.js';
import { readSettings } from '../../bridge/settings.js';
import { startUiServer, type UiServer } from '../../bridge/transports/ui-server.js';
import { HoistError, userMessage } from '../../domain/hoist-error.js';
import { currentBandwidthLimitBytesPerSec, type TransferOptions } from '../transfer-options.js';
import type { EngineEvent } from '../../engine/engine-events.js';
import { diskFileSource } from '../../engine/file-source.js';
import type { StartLiveWatch } from '../../watch/live-watch.js';
import { WatchService } from '../../watch/watch-service.js';
import type { WatchEvent } from '../../watch/watch-events.js';
import { DEFAULT_WATCH_OPTIONS, type WatchOptions } from '../../watch/watch-options.js';
import { makeScheduler, type CliContext } from '../cli/cli-context.js';
import { currentProcessIdentity, isProcessAlive } from '../os/process-identity.js';
import { eventLogger } from '../event-log.js';
import { appPorts } from './app-ports.js';
import { acquireDaemonLock, type DaemonInfo } from './daemon-lock.js';
import { startIntake } from './intake.js';
import { describeServeEvent } from './serve-log.js';
import { sweepOrphans } from '../../engine/orphan-sweep.js';
import { keepPausedSessionsAlive, type KeepAliveDeps } from '../../engine/session-keepalive.js';
import { protocolFor } from '../protocol-factory.js';

const ORPHAN_SWEEP_EVERY_MS = 6 * 3_600_000;
/** A Graph session lives about 15 minutes past its last fragment: looked at every minute, refreshed in its last 4. */
const KEEPALIVE_EVERY_MS = 60_000;
const KEEPALIVE_WITHIN_MS = 4 * 60_000;

function keepAliveDeps(ctx: CliContext): KeepAliveDeps {
  return {
    store: ctx.store,
    files: diskFileSource,
    protocolFor: async (job) => {
      const dest = ctx.store.destinations.byId(job.destinationId);
      if (!dest) throw new HoistError('not-found', `The destination of upload ${job.id} was removed.`);
      return protocolFor(dest, ctx.secrets, ctx.env);
    },
    nowMs: Date.now,
    holder: currentProcessIdentity(),
    isHolderAlive: isProcessAlive,
  };
}
import { serveToken } from './serve-token.js';

/** Everything `hoist serve` reports: upload progress and folder watching. */
export type ServeEvent = EngineEvent | WatchEvent;

/** The window over HTTP: where to listen and what to serve. */
export interface UiOptions {
  host: string;
  /** 0 takes any free port. */
  port: number;
  /** The built window (dist/renderer). */
  staticDir: string;
  version: string;
}

export interface ServeInput {
  ctx: CliContext;
  /** Aborting it stops the daemon: running uploads are left queued (they resume on the next start), watchers close. */
  signal: AbortSignal;
  /** Every engine and watch event (the event log and the window's bridge get them too). */
  onEvent?: (event: ServeEvent) => void;
  /** Human-readable lines (stderr for the CLI); per-file progress is never logged. */
  log?: (line: string) => void;
  watchOptions?: WatchOptions;
  startLiveWatch?: StartLiveWatch;
  /** Files at once; without it, the `filesAtOnce` setting. */
  maxConcurrentFiles?: number;
  /** Serve the window (`hoist serve` does; tests of the daemon alone leave it out). */
  ui?: UiOptions;
  /** The window listens at `url` (called before the folders are indexed, which can take a while). */
  onListening?: (url: string) => void;
  /** How often paused sessions are looked at for the keep-alive setting, and how close to expiry they are refreshed. */
  keepAlive?: { everyMs: number; withinMs: number };
  /** `--bwlimit` / `--stall-timeout` given to this process: they win over the window's settings while it runs. */
  transferFlags?: TransferOptions;
  /** Called once every watch has finished its first reconcile and the queue runs; `url` is the window's address. */
  onReady?: (ready: { url: string | null; bridge: BridgeService }) => void;
  /**
   * Called as soon as the bridge exists, before the queue runs and the folders are indexed (the desktop app wires its
   * IPC and opens its window here). `probeNow` asks the scheduler to probe waiting destinations at once (a wake).
   */
  onBridge?: (started: { bridge: BridgeService; probeNow(): void }) => void;
  /** How windows give files: streamed (a browser tab, the default) or as local paths (the desktop app). */
  fileIntake?: 'paths' | 'stream';
  /** The app's version, for diagnostics, when there is no `ui` to carry it. */
  version?: string;
}

/** Another daemon already serves this data folder. */
export class DaemonRunning extends HoistError {
  constructor(readonly holder: DaemonInfo) {
    super('invalid-argument', `Hoist is already running for this data folder (process ${holder.pid}).`);
  }
}

/**
 * The headless daemon (background sync, and the window's back end): a Scheduler in daemon mode, a watcher per
 * non-paused watched folder, the bridge service and, with `ui`, its HTTP/WebSocket server. Watchers queue jobs and
 * wake the scheduler; finished jobs are recorded in the sync index; the bridge turns it all into window events.
 */
export async function runServe(input: ServeInput): Promise<void> {
  const { ctx, signal } = input;
  const log = input.log ?? (() => undefined);
  const lock = acquireDaemonLock(ctx.dataDir, currentProcessIdentity(), isProcessAlive);
  if (lock.kind === 'held') throw new DaemonRunning(lock.holder);
  const writeLog = eventLogger(ctx.dataDir);
  let service: WatchService | undefined;
  let bridge: BridgeService | undefined;
  let server: UiServer | undefined;
  const intakeDir = join(ctx.dataDir, 'intake');
  const intake = input.ui ? await startIntake({
    dir: intakeDir,
    hasDestination: (name) => name === undefined || ctx.store.destinations.byName(name) !== undefined,
    queue: async (path, destination, remoteDir) => {
      const queued = await bridge!.addFiles([path], destination, remoteDir);
      if (queued.problems.length > 0) throw new HoistError('invalid-argument', queued.problems.join(' '));
    },
    log,
  }) : undefined;
  const onEngineEvent = (event: EngineEvent) => {
    writeLog(event);
    bridge?.onEngineEvent(event);
    input.onEvent?.(event);
    if (event.type === 'job-finished') {
      service?.onJobFinished(event.jobId);
      const line = describeServeEvent(ctx.store, event);
      if (line) log(line);
      // A file received from the window is Hoist's own copy: gone once the server holds it (or the user cancelled).
      const path = intake && (event.state === 'done' || event.state === 'cancelled') ? ctx.store.jobs.get(event.jobId)?.localPath : undefined;
      if (path && intake!.owns(path)) void intake!.discard(path);
    }
  };
  const onWatchEvent = (event: WatchEvent) => {
    bridge?.onWatchEvent(event);
    input.onEvent?.(event);
    const line = describeServeEvent(ctx.store, event);
    if (line) log(line);
  };
  const scheduler = makeScheduler(ctx, onEngineEvent, input.maxConcurrentFiles ?? readSettings(ctx.store).filesAtOnce);
  service = new WatchService({
    store: ctx.store,
    options: input.watchOptions ?? DEFAULT_WATCH_OPTIONS,
    nowMs: Date.now,
    events: onWatchEvent,
    onJobsQueued: () => scheduler.wake(),
    startLiveWatch: input.startLiveWatch,
    excludedDirs: [ctx.dataDir, realpathOr(ctx.dataDir)],
  });
  const watches = service;
  const ports = appPorts(ctx, { watchesChanged: () => void watches.syncWithTable(), version: input.ui?.version ?? input.version ?? 'unknown', transferFlags: input.transferFlags });
  const stored = readSettings(ctx.store);
  try {
    ports.applySettings({ bandwidthLimit: stored.bandwidthLimit, stallTimeoutSec: stored.stallTimeoutSec });
  } catch (error) {
    log(`hoist serve: the stored transfer settings are not usable (${userMessage(error)}); using the defaults`);
  }
  bridge = new BridgeService({
    store: ctx.store,
    scheduler,
    files: diskFileSource,
    ports,
    dataDir: ctx.dataDir,
    nowMs: Date.now,
    pid: process.pid,
    fileIntake: input.fileIntake ?? 'stream',
    bandwidthLimitBytesPerSec: currentBandwidthLimitBytesPerSec,
    receivedDir: intakeDir,
  });
  try {
    input.onBridge?.({ bridge, probeNow: () => scheduler.probeNow() });
    if (input.ui) {
      server = await startUiServer({ service: bridge, host: input.ui.host, port: input.ui.port, token: serveToken(ctx.dataDir), staticDir: input.ui.staticDir, intake: intake?.handle });
      lock.setUrl(server.url);
      input.onListening?.(server.url);
    }
    if (signal.aborted) return;
    const list = ctx.store.watches.list();
    log(`hoist serve: ${list.filter((w) => !w.isPaused).length} watched folder(s) (${list.filter((w) => w.isPaused).length} paused), data in ${ctx.dataDir}`);
    // The queue runs from the start: jobs left from before the restart continue while the folders are indexed.
    const queue = scheduler.runQueue(signal);
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([service.start(), stopped]);
    if (!signal.aborted) {
      log('hoist serve: ready (Ctrl-C to stop; unfinished uploads resume on the next start)');
      input.onReady?.({ url: server?.url ?? null, bridge });
    }
    // Leftovers on the servers (replaced sessions, S3 uploads nobody finishes) are cleared now and every few hours.
    const sweep = () => void sweepOrphans({ store: ctx.store, protocolFor: (dest) => protocolFor(dest, ctx.secrets, ctx.env), log }, signal).catch(() => undefined);
    sweep();
    const sweeper = setInterval(sweep, ORPHAN_SWEEP_EVERY_MS);
    sweeper.unref();
    const keepAlive = setInterval(() => {
      if (!readSettings(ctx.store).keepPausedSessionsAlive) return;
      void keepPausedSessionsAlive(keepAliveDeps(ctx), input.keepAlive?.withinMs ?? KEEPALIVE_WITHIN_MS, signal).catch(() => undefined);
    }, input.keepAlive?.everyMs ?? KEEPALIVE_EVERY_MS);
    keepAlive.unref();
    await stopped;
    clearInterval(sweeper);
    clearInterval(keepAlive);
    log('hoist serve: stopping…');
    await service.stop();
    await queue;
    log('hoist serve: stopped');
  } finally {
    bridge.close();
    await server?.close();
    lock.release();
  }
}

/** Watched folders are stored as real paths; the data folder must be compared the same way. */
function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
