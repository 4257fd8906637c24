/**
 * The events of the bridge: what main pushes to every window, coalesced to about ten batches a second per client, as
 * deltas (only what changed). A window takes a `snapshot()` first, then applies these in order.
 */
import type {
  AppStateView,
  DestinationView,
  JobView,
  PartsChangedView,
  ProgressTickView,
  SettingsView,
  SignInStatusView,
  WarningView,
  WatchView,
} from './views.js';

/** Event name → payload. */
export interface HoistEvents {
  /** New jobs (queued from the window, a watched folder or another process). */
  jobsAdded: { jobs: JobView[] };
  /** Jobs whose stored state, activity, error or session changed (the whole view of each, not a patch). */
  jobsChanged: { jobs: JobView[] };
  /** Jobs no longer in the queue (cleared, or gone from the database). */
  jobsRemoved: { ids: number[] };
  /** Live numbers of the jobs whose bytes moved since the last tick, and the totals. */
  progress: ProgressTickView;
  /** Parts of a job this client asked for with `getParts` changed (their states or bytes), or were re-planned. */
  partsChanged: PartsChangedView;
  /** The current warnings (the whole list; it is short). */
  warningsChanged: { warnings: WarningView[] };
  /** The app state changed. */
  appStateChanged: AppStateView;
  /** The destinations changed (the whole list). */
  destinationsChanged: { destinations: DestinationView[] };
  /** The watched folders or their counts changed (the whole list). */
  watchesChanged: { watches: WatchView[] };
  /** Settings changed (from any window or process). */
  settingsChanged: SettingsView;
  /** A sign-in started with `signIn` finished, failed or was cancelled. */
  signInChanged: SignInStatusView;
}

/** Every event name, in one list (the preload's `on…` functions and the WebSocket dispatch derive from it). */
export const EVENT_NAMES = [
  'jobsAdded',
  'jobsChanged',
  'jobsRemoved',
  'progress',
  'partsChanged',
  'warningsChanged',
  'appStateChanged',
  'destinationsChanged',
  'watchesChanged',
  'settingsChanged',
  'signInChanged',
] as const satisfies ReadonlyArray<keyof HoistEvents>;

/** An event's name. */
export type EventName = (typeof EVENT_NAMES)[number];

/** One event as it travels: its name and payload. */
export type HoistEvent = { [K in EventName]: { name: K; payload: HoistEvents[K] } }[EventName];

type MissingEvents = Exclude<keyof HoistEvents, EventName>;
const everyEventListed: [MissingEvents] extends [never] ? true : MissingEvents = true;
void everyEventListed;
