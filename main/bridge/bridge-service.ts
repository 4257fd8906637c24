import type { HoistCommands } from '../../preload/contract/commands.js';
import type { HoistEvent } from '../../preload/contract/events.js';
import type { EngineEvent } from '../engine/engine-events.js';
import type { FileSource } from '../engine/file-source.js';
import type { Scheduler } from '../engine/scheduler.js';
import type { Store } from '../store/store.js';
import type { WatchEvent } from '../watch/watch-events.js';
import { HoistError } from '../domain/hoist-error.js';
import { queueFiles, type QueuedFiles } from '../engine/queue-files.js';
import { timedPauseUntil } from '../engine/timed-pause.js';
import type { BridgePorts } from './bridge-ports.js';
import { commandsFor } from './commands.js';
import { expandFolders } from './folder-intake.js';
import { EventHub, type HubClient } from './event-hub.js';
import { LiveJobs } from './live-jobs.js';
import { defaultDestinationName, readSettings } from './settings.js';
import { watchViews } from './watch-views.js';

export interface BridgeServiceDeps {
  store: Store;
  scheduler: Pick<Scheduler, 'pauseIds' | 'cancel' | 'wake' | 'setMaxConcurrentFiles' | 'pauseAllUntil' | 'endTimedPause'>;
  files: Pick<FileSource, 'identity'>;
  ports: BridgePorts;
  /** Hoist's data folder (never watched, holds the log). */
  dataDir: string;
  nowMs: () => number;
  pid: number;
  /** Where files received from a browser tab wait for their upload (`hoist serve`'s intake). */
  receivedDir?: string;
  /** Whether windows give files as paths (Electron) or stream them (a browser tab). */
  fileIntake: 'paths' | 'stream';
  /** Local time of day, "14:32" (the app state's sentence). */
  clock?: (ms: number) => string;
  flushEveryMs?: number;
  /** The upload bandwidth limit in force (bytes per second), for the app state. */
  bandwidthLimitBytesPerSec?: () => number | null;
}

/** One connected window: its commands, and its end. */
export interface BridgeClient {
  commands: HoistCommands;
  close(): void;
}

const localClock = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

/**
 * The one implementation of the contract, shared by every transport (WebSocket for `hoist serve`, IPC for the desktop
 * app): commands over the store, the scheduler and the watch service, and an event hub that turns what the engine and
 * the watchers report into coalesced deltas per client.
 */
export class BridgeService {
  readonly live = new LiveJobs();
  readonly hub: EventHub;

  constructor(readonly deps: BridgeServiceDeps) {
    const { store } = deps;
    this.hub = new EventHub({
      store,
      live: this.live,
      nowMs: deps.nowMs,
      pid: deps.pid,
      clock: deps.clock ?? localClock,
      warningWindowMs: () => readSettings(store).warningWindowMin * 60_000,
      pausedUntilMs: () => timedPauseUntil(store),
      keepsPausedSessionsAlive: () => readSettings(store).keepPausedSessionsAlive,
      bandwidthLimitBytesPerSec: deps.bandwidthLimitBytesPerSec,
      flushEveryMs: deps.flushEveryMs,
      receivedDir: deps.receivedDir,
      lists: {
        destinations: () => deps.ports.destinationViews(defaultDestinationName(readSettings(store))),
        watches: () => watchViews(store),
        settings: () => readSettings(store),
      },
    });
  }

  /** The engine's events (this process's uploads): O(1) each; the hub reads what changed at its next flush. */
  onEngineEvent(event: EngineEvent): void {
    this.live.onEvent(event, this.deps.nowMs());
    if (!('jobId' in event)) {
      this.hub.markDestination(event.destinationId);
      return;
    }
    if (event.type === 'job-started' || event.type === 'job-finished' || event.type === 'job-restarted' || event.type === 'part-acked') this.hub.markJobs([event.jobId]);
  }

  /** What the folder watchers report: new jobs, and the watched folders' states and counts. */
  onWatchEvent(event: WatchEvent): void {
    if (event.type === 'files-queued') this.hub.markNewJobs();
    this.hub.markList('watches');
  }

  /** A new window: it gets its own part subscriptions and one batch of events per flush. */
  connect(send: (events: HoistEvent[]) => void): BridgeClient {
    const client: HubClient = { send, partJobs: new Set() };
    const detach = this.hub.attach(client);
    return { commands: commandsFor(this, client), close: detach };
  }

  /**
   * Queues files to a destination (default: the default one): "Add files…", a drop, a file streamed in, files opened with
   * the desktop app. A folder among them brings its files, in its own folder at the destination.
   */
  async addFiles(paths: readonly string[], destination?: string, remoteDir?: string): Promise<QueuedFiles> {
    const { store } = this.deps;
    const name = destination ?? defaultDestinationName(readSettings(store));
    const dest = store.destinations.byName(name);
    if (!dest) throw new HoistError('not-found', `There is no destination named "${name}".`);
    const expanded = await expandFolders(paths, remoteDir);
    const queued: QueuedFiles = { jobIds: [], problems: expanded.problems, alreadyUploaded: [] };
    for (const group of expanded.groups) {
      const some = await queueFiles(store, this.deps.files, dest, group.paths, group.remoteDir, this.deps.nowMs);
      queued.jobIds.push(...some.jobIds);
      queued.problems.push(...some.problems);
      queued.alreadyUploaded.push(...some.alreadyUploaded);
    }
    this.hub.markJobs(queued.jobIds);
    this.hub.markNewJobs();
    this.deps.scheduler.wake();
    return queued;
  }

  close(): void {
    this.hub.close();
  }
}
