/**
 * The commands of the bridge: every domain verb the window (or a WebSocket client of `hoist serve`) may call. Main
 * validates every argument again (main/bridge/schemas.ts, typed against these signatures).
 */
import type {
  AddFilesResult,
  DestinationInput,
  DestinationView,
  DiagnosticsView,
  FailureCause,
  JobView,
  PartsView,
  RemoteLinkView,
  SettingsPatch,
  SettingsView,
  SignInView,
  SnapshotView,
  WatchInput,
  WatchView,
} from './views.js';

/** Which jobs a command acts on: some ids, or every job the command applies to. */
export type JobTarget = number[] | 'all';

/** Which failed jobs to retry: some ids, all of them, or every job failed for one cause. */
export type RetryTarget = JobTarget | { cause: FailureCause };

/** Commands, each a domain verb. Every one resolves with plain data or rejects with a `BridgeError`. */
export interface HoistCommands {
  /** Jobs (without parts), destinations, watched folders, settings and the app state, in a constant number of queries. */
  snapshot(): Promise<SnapshotView>;
  /** The finished jobs (done, cancelled) still in the queue, newest first: the Finished group when it opens. */
  listFinished(): Promise<JobView[]>;
  /** A job's parts (an expanded row); this client then receives `partsChanged` for it until `releaseParts`. */
  getParts(jobId: number): Promise<PartsView>;
  /** The row was collapsed: stop sending this client the job's part changes. */
  releaseParts(jobId: number): Promise<void>;
  /** Queues files (absolute paths on the machine running Hoist) to a destination (default: the default one). */
  addFiles(paths: string[], destination?: string, remoteDir?: string): Promise<AddFilesResult>;
  /** Pauses jobs; the pause persists across restarts. Resolves with how many changed. */
  pauseJobs(target: JobTarget): Promise<number>;
  /**
   * Pauses every upload for a while ("pause for 2 hours"; it survives restarts): nothing starts meanwhile, and the jobs
   * it paused resume when it ends. Resolves with how many it paused.
   */
  pauseAllFor(durationMs: number): Promise<number>;
  /** Resumes paused jobs ('all' also ends a timed pause). Resolves with how many changed. */
  resumeJobs(target: JobTarget): Promise<number>;
  /** Cancels jobs and discards what the server holds of them. Resolves with how many changed. */
  cancelJobs(target: JobTarget): Promise<number>;
  /** Runs failed jobs again. Resolves with how many changed. */
  retryJobs(target: RetryTarget): Promise<number>;
  /** Hides finished and cancelled jobs from the queue (they stay for `hoist status` and the sync index). */
  clearFinished(): Promise<number>;
  /** Configured destinations, without secrets. */
  listDestinations(): Promise<DestinationView[]>;
  /** Adds a destination with the fields `hoist dest add` takes. */
  addDestination(input: DestinationInput): Promise<DestinationView>;
  /** Removes a destination and its stored secrets. */
  removeDestination(name: string): Promise<void>;
  /** Starts signing a destination in; how it ends arrives as `signInChanged`. */
  signIn(destination: string): Promise<SignInView>;
  /** Stops a sign-in that is waiting for the user. */
  cancelSignIn(destination: string): Promise<void>;
  /** Watches a folder: its files, and later changes, upload to the destination. */
  addWatch(input: WatchInput): Promise<WatchView>;
  /** Stops watching a folder; uploads already queued continue. */
  removeWatch(watchId: number): Promise<void>;
  /** Stops watching a folder until resumed. */
  pauseWatch(watchId: number): Promise<WatchView>;
  /** Watches a paused folder again (a full scan finds what changed meanwhile). */
  resumeWatch(watchId: number): Promise<WatchView>;
  /** Changes settings; resolves with all of them. */
  updateSettings(patch: SettingsPatch): Promise<SettingsView>;
  /** The web address of a finished job's file at its destination, when the provider has one. */
  remoteLink(jobId: number): Promise<RemoteLinkView>;
  /** Shows the job's local file in the OS file manager of the machine running Hoist. */
  revealFile(jobId: number): Promise<void>;
  /** Opens the folder holding Hoist's log in the OS file manager. */
  openLog(): Promise<void>;
  /** The event log and versions as one text (no tokens), to save or attach to a bug report. */
  exportDiagnostics(): Promise<DiagnosticsView>;
}

/** Every command name, in one list: channel names, the preload object, WebSocket messages and handlers derive from it. */
export const COMMAND_NAMES = [
  'snapshot',
  'listFinished',
  'getParts',
  'releaseParts',
  'addFiles',
  'pauseJobs',
  'pauseAllFor',
  'resumeJobs',
  'cancelJobs',
  'retryJobs',
  'clearFinished',
  'listDestinations',
  'addDestination',
  'removeDestination',
  'signIn',
  'cancelSignIn',
  'addWatch',
  'removeWatch',
  'pauseWatch',
  'resumeWatch',
  'updateSettings',
  'remoteLink',
  'revealFile',
  'openLog',
  'exportDiagnostics',
] as const satisfies ReadonlyArray<keyof HoistCommands>;

/** A command's name. */
export type CommandName = (typeof COMMAND_NAMES)[number];

/** A command's arguments, as a tuple. */
export type CommandArgs<K extends CommandName> = Parameters<HoistCommands[K]>;

/** What a command resolves with. */
export type CommandResult<K extends CommandName> = Awaited<ReturnType<HoistCommands[K]>>;

// Compile-time proof that COMMAND_NAMES lists every command (a command missing from the list fails the build).
type MissingCommands = Exclude<keyof HoistCommands, CommandName>;
const everyCommandListed: [MissingCommands] extends [never] ? true : MissingCommands = true;
void everyCommandListed;
