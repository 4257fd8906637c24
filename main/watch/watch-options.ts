import { DEFAULT_STABILITY, type StabilityPolicy } from '../domain/file-stability.js';

/** Tunables of folder watching. Defaults follow Nextcloud (2 s file age) and Syncthing (hourly rescan). */
export interface WatchOptions {
  stability: StabilityPolicy;
  /** A vanished file is recorded deleted after this long, so a rename (gone + appeared) is seen as one. */
  deleteDelayMs: number;
  /** Full rescan against the index: the safety net for anything a watcher missed. */
  rescanIntervalMs: number;
  /** Rescan period for a folder whose live watch failed (inotify limit, EMFILE). */
  fallbackRescanMs: number;
  /** How often a missing folder (unplugged drive) is looked for. */
  missingPollMs: number;
  /** How often the watched folder itself is checked (identity, presence), besides the checks its events trigger. */
  rootCheckMs: number;
  /** Files per database transaction when queueing. */
  batchSize: number;
  /** Jobs waiting at once for files found by scans; the rest stay 'pending' in the index until the queue drains. */
  maxQueuedJobs: number;
  /** Files seen changing live are queued at once, up to this many waiting jobs. */
  maxLiveQueuedJobs: number;
  /** A scan hands what it found so far to the database and yields to the event loop after this much work. */
  scanSliceMs: number;
  /** Skip live watching entirely and rely on rescans (network shares where notifications do not arrive). */
  isPollingOnly: boolean;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = {
  stability: DEFAULT_STABILITY,
  deleteDelayMs: 4_000,
  rescanIntervalMs: 60 * 60_000,
  fallbackRescanMs: 60_000,
  missingPollMs: 5_000,
  rootCheckMs: 30_000,
  batchSize: 500,
  maxQueuedJobs: 1_000,
  maxLiveQueuedJobs: 10_000,
  scanSliceMs: 8,
  isPollingOnly: false,
};

/**
 * HOIST_WATCH_QUIET_MS, HOIST_WATCH_ZERO_BYTE_QUIET_MS, HOIST_WATCH_DELETE_DELAY_MS, HOIST_WATCH_RESCAN_MS,
 * HOIST_WATCH_FALLBACK_RESCAN_MS, HOIST_WATCH_MISSING_POLL_MS, HOIST_WATCH_POLLING=1: for slow shares and for tests.
 */
export function watchOptionsFrom(env: NodeJS.ProcessEnv, base: WatchOptions = DEFAULT_WATCH_OPTIONS): WatchOptions {
  const num = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  const quietMs = num('HOIST_WATCH_QUIET_MS', base.stability.quietMs);
  return {
    ...base,
    stability: {
      ...base.stability,
      quietMs,
      zeroByteQuietMs: num('HOIST_WATCH_ZERO_BYTE_QUIET_MS', base.stability.zeroByteQuietMs),
    },
    deleteDelayMs: num('HOIST_WATCH_DELETE_DELAY_MS', base.deleteDelayMs),
    rescanIntervalMs: num('HOIST_WATCH_RESCAN_MS', base.rescanIntervalMs),
    fallbackRescanMs: num('HOIST_WATCH_FALLBACK_RESCAN_MS', base.fallbackRescanMs),
    missingPollMs: num('HOIST_WATCH_MISSING_POLL_MS', base.missingPollMs),
    isPollingOnly: env.HOIST_WATCH_POLLING === '1' || base.isPollingOnly,
  };
}
