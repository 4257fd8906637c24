import type {
  AppStateView,
  DestinationView,
  JobProgressView,
  JobView,
  PartsView,
  SettingsView,
  SignInStatusView,
  TotalsView,
  WarningView,
  WatchView,
} from '../../preload/contract/index.js';

/** The queue's groups, in the order the window shows them. */
export type GroupKey = 'uploading' | 'attention' | 'paused' | 'queued' | 'finished';

export const GROUP_ORDER: readonly GroupKey[] = ['uploading', 'attention', 'paused', 'queued', 'finished'];

/**
 * Finished jobs (done, cancelled: most of a long history) are not in the snapshot: it brings their number, and
 * `listFinished` brings them when the window shows them, once per snapshot.
 */
export interface FinishedJobs {
  /** `counted`: only their number is known; `loading`: `listFinished` was asked; `loaded`: every one is in `jobs`. */
  status: 'counted' | 'loading' | 'loaded';
  /** Finished jobs main holds that `jobs` does not (0 once loaded). */
  unloadedCount: number;
}

/** The projection of main's state: a snapshot, then events, normalised by id. */
export interface DomainState {
  /** Whether a snapshot arrived (before it, the window shows nothing rather than an empty queue). */
  isLoaded: boolean;
  jobs: Readonly<Record<number, JobView>>;
  /** Job ids per group, each in display order (finished ones only as far as they are in `jobs`). */
  groups: Readonly<Record<GroupKey, readonly number[]>>;
  finished: FinishedJobs;
  /** The latest progress tick of each running job; an unchanged job keeps its object across ticks. */
  live: Readonly<Record<number, JobProgressView>>;
  totals: TotalsView;
  /** Parts of the jobs whose rows asked for them; `null` while the first answer is on its way. */
  parts: Readonly<Record<number, PartsView | null>>;
  destinations: readonly DestinationView[];
  watches: readonly WatchView[];
  settings: SettingsView;
  appState: AppStateView;
  warnings: readonly WarningView[];
  fileIntake: 'paths' | 'stream';
  /** The last word on each destination's sign-in. */
  signIns: Readonly<Record<string, SignInStatusView>>;
  /** Main's clock minus ours, measured at the snapshot: "in 42 s" is computed on main's time. */
  clockSkewMs: number;
}

const EMPTY_COUNTS = { uploading: 0, queued: 0, paused: 0, failed: 0, done: 0 };

export const initialDomainState: DomainState = {
  isLoaded: false,
  jobs: {},
  groups: { uploading: [], attention: [], paused: [], queued: [], finished: [] },
  finished: { status: 'counted', unloadedCount: 0 },
  live: {},
  totals: { bytesPerSec: 0, etaSec: null, remainingBytes: 0 },
  parts: {},
  destinations: [],
  watches: [],
  settings: { filesAtOnce: 4, defaultDestination: null, warningWindowMin: 30, theme: 'system', bandwidthLimit: 'off', stallTimeoutSec: 60, keepPausedSessionsAlive: false },
  appState: {
    kind: 'idle',
    summary: 'Connecting…',
    counts: EMPTY_COUNTS,
    pausedUntilMs: null,
    waitingNetwork: [],
    rateLimited: [],
    bandwidthLimitBytesPerSec: null,
  },
  warnings: [],
  fileIntake: 'stream',
  signIns: {},
  clockSkewMs: 0,
};
