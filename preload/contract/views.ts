/**
 * View DTOs shared by main, the preload bridge, the renderer and the CLI's --json output. Pure data: every value
 * crosses the Electron IPC and the WebSocket of `hoist serve` as JSON.
 */

/** The server kinds Hoist speaks. */
export type ProviderKind = 'graph' | 'box' | 'apideck' | 'tus' | 's3';

/**
 * The stored state of an upload job (the `jobs.state` column): what survives a restart. What a queued or running job
 * is doing right now is its `activity`, kept in memory by the process running it.
 */
export type JobStateView = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

/**
 * What a queued or running job is doing right now. In memory only (not stored): after a restart the engine asks the
 * network and the server again. Produced by the engine's events; `stalled` is decided in main from the byte flow.
 */
export type JobActivity =
  /** Nothing to report: waiting its turn, or not running in any process. */
  | { kind: 'none' }
  /** Asking the server what it holds and reconciling the parts (start or resume). */
  | { kind: 'checking' }
  /** Bytes are moving. */
  | { kind: 'sending' }
  /** A failed attempt; the next one starts at `atMs`. */
  | { kind: 'retrying'; atMs: number; reason: string }
  /** The job's destination cannot be reached; its queue waits (attempts are not counted). */
  | { kind: 'waiting-network'; sinceMs: number }
  /** The server asked Hoist to slow down: the destination's queue waits until `untilMs` (its Retry-After). */
  | { kind: 'rate-limited'; untilMs: number }
  /** Running, but no byte moved since `sinceMs`. */
  | { kind: 'stalled'; sinceMs: number }
  /** The disk holding Hoist's database is full: uploads wait (nothing is lost) until there is room again. */
  | { kind: 'waiting-disk'; sinceMs: number }
  /** The local file keeps changing; it is uploaded once it is stable. */
  | { kind: 'waiting-stable'; sinceMs: number }
  /** Another Hoist process (a `hoist upload` in a terminal) is running it; progress comes from the database. */
  | { kind: 'elsewhere'; pid: number };

/** Why a failed job failed, in the groups the window shows (each with its one fix). */
export type FailureCause =
  /** Credentials were refused or expired: sign in again. */
  | 'signed-out'
  /** The local file is gone or unreadable. */
  | 'file-gone'
  /** The server refused the upload (conflict, quota, bad request). */
  | 'server-refused'
  /** The server's copy did not match the local file. */
  | 'verification'
  /** The server could not be reached or kept failing. */
  | 'network'
  /** The server sent replies Hoist cannot read. */
  | 'server-broken'
  /** The destination was removed or is misconfigured. */
  | 'setup'
  /** Anything else. */
  | 'other';

/** A failed job's error. */
export interface JobErrorView {
  /** Stable code (HoistErrorCode or `http-NNN`). */
  code: string;
  /** The group the window files it under. */
  cause: FailureCause;
  /** The full message, in plain words. */
  message: string;
}

/** Where the job's current server session stands against its expiry. */
export interface SessionExpiryView {
  /** When the server drops the session (ms since epoch): the last expiry it reported, capped by the provider's limit. */
  expiresAtMs: number;
  /** Whether each accepted part moves the expiry (Graph, tus); else it is fixed (Box 7 days, Apideck). */
  isSliding: boolean;
  /** Bytes that would be sent again if the session expired now. */
  bytesAtRiskBytes: number;
}

/** One upload as the user sees it (without its parts: those come from `getParts` when a row is expanded). */
export interface JobView {
  /** Stable job id, used by every job command. */
  id: number;
  /** File name (the last segment of the local path). */
  name: string;
  /** Absolute local path of the file. */
  localPath: string;
  /** The file is Hoist's own copy of one a browser tab sent (removed once uploaded): its folder means nothing to the user. */
  isReceivedCopy: boolean;
  /** Path at the destination, with a leading slash. */
  remotePath: string;
  /** Destination name as the user gave it. */
  destination: string;
  /** The destination's server kind. */
  provider: ProviderKind;
  /** Stored state. */
  state: JobStateView;
  /** What it is doing right now (queued and running jobs). */
  activity: JobActivity;
  /** A timed pause ("pause all for 2 h") paused it until then; null when paused by hand or not paused. */
  pausedUntilMs: number | null;
  /** File size in bytes. */
  sizeBytes: number;
  /** Bytes the server has acknowledged. */
  ackedBytes: number;
  /** Bytes sent over the network for this job, including re-sends. */
  bytesSentTotal: number;
  /** Parts in the current session. */
  partsTotal: number;
  /** Parts the server acknowledged. */
  partsDone: number;
  /** When the current server session expires (ms since epoch), as the server last reported it. */
  sessionExpiresAtMs: number | null;
  /** The current session's expiry as the window shows it; null without an open session. */
  expiry: SessionExpiryView | null;
  /** Why the upload started over, if it did (file changed, session expired). */
  restartReason: string | null;
  /** When the server last lost its session (expired or unknown) and it started over on a new one. */
  sessionLostAtMs: number | null;
  /** Error code when failed (same as `error.code`; kept for the CLI's --json readers). */
  errorCode: string | null;
  /** Human-readable error when failed (same as `error.message`). */
  errorMessage: string | null;
  /** The error of a failed job, with its cause group. */
  error: JobErrorView | null;
  /** Remote item id once committed. */
  remoteItemId: string | null;
  /** The item's web address, when the provider returned one (OneDrive, Box). */
  remoteWebUrl: string | null;
  /** When the job was created and last changed (ms since epoch). */
  createdAtMs: number;
  updatedAtMs: number;
}

/** The live numbers of one job, sent about ten times a second while bytes move. */
export interface JobProgressView {
  id: number;
  /** Bytes the server acknowledged. */
  ackedBytes: number;
  /** Bytes on the wire for parts not yet acknowledged. */
  inFlightBytes: number;
  /** Smoothed speed (half-life about 2 s); 0 while stalled. */
  bytesPerSec: number;
  /** Seconds left at that speed; null when unknown or stalled. */
  etaSec: number | null;
  /** Set when no byte moved for a while: the row says "stalled" instead of a growing ETA. */
  stalledSinceMs: number | null;
}

/** Totals across every job running in this process. */
export interface TotalsView {
  /** Sum of the running jobs' speeds. */
  bytesPerSec: number;
  /** Seconds until every queued and running byte is sent at that speed; null when unknown. */
  etaSec: number | null;
  /** Bytes still to send across unfinished jobs (queued, running, paused). */
  remainingBytes: number;
}

/** One progress tick: only the jobs whose numbers changed since the last tick. */
export interface ProgressTickView {
  jobs: JobProgressView[];
  totals: TotalsView;
}

/** The state of one part as drawn in the part strip. */
export type PartStateView = 'done' | 'sending' | 'pending' | 'failed';

/** One part of a job's current session. */
export interface PartView {
  /** 0-based; the window shows it 1-based ("Part 3 of 10"). */
  index: number;
  offsetBytes: number;
  sizeBytes: number;
  state: PartStateView;
  /** Bytes of this part on the wire (sending) or acknowledged (done). */
  sentBytes: number;
  /** Attempts made at this part. */
  attempts: number;
  /** Why the last attempt at it failed (state `failed`). */
  lastError: string | null;
  /** When the failed part is tried again (ms since epoch). */
  retryAtMs: number | null;
}

/** A job's parts, as `getParts` returns them. */
export interface PartsView {
  jobId: number;
  /** The session they belong to; null when the job has no session (small files go in one request: one part). */
  sessionId: number | null;
  parts: PartView[];
}

/** A change to a job's parts: the parts that changed, or (`isComplete`) the whole new list after a re-plan. */
export interface PartsChangedView extends PartsView {
  /** True: `parts` replaces the list (a new session, or parts re-planned). False: merge `parts` by index. */
  isComplete: boolean;
}

/** How a destination authenticates, without any secret. */
export type DestinationAuthView =
  | { kind: 'none' }
  /** A token stored in Hoist's secret store. */
  | { kind: 'token'; isStored: boolean }
  /** A token read from an environment variable of the process running uploads. */
  | { kind: 'token-env'; variable: string; isSet: boolean }
  /** OAuth sign-in (Graph device code, Box browser); `isSignedIn` when Hoist holds a refresh token. */
  | { kind: 'sign-in'; isSignedIn: boolean };

/** A configured upload destination (never includes its token). */
export interface DestinationView {
  /** User-chosen name. */
  name: string;
  /** Provider kind. */
  provider: ProviderKind;
  /** Provider settings without secrets (endpoint, drive id, bucket, conflict policy…). */
  settings: Record<string, unknown>;
  /** How it authenticates. */
  auth: DestinationAuthView;
  /** Whether files without a chosen destination go here. */
  isDefault: boolean;
  /** Whether secrets are encrypted with the OS keychain (true) or only protected by the file mode (false). */
  isEncryptedAtRest: boolean;
}

/** Everything `addDestination` accepts: the fields of `hoist dest add`, by provider. */
export interface DestinationInput {
  /** Letters, digits, ".", "_" or "-", up to 64. */
  name: string;
  provider: ProviderKind;
  /** Service base URL (https, or http on 127.0.0.1); defaults to the real service. */
  endpoint?: string;
  /** Access token or API key; stored in the secret store, never returned. */
  token?: string;
  /** Read the token from this environment variable at upload time instead. */
  tokenEnv?: string;
  /** Graph, Box: sign in with OAuth instead of a token. */
  clientId?: string;
  /** Box: the app's client secret. */
  clientSecret?: string;
  /** Graph sign-in: common, organizations, consumers or a tenant id. */
  tenant?: string;
  /** Graph sign-in: identity platform host. */
  authority?: string;
  /** Box sign-in: authorize page. */
  authorizeUrl?: string;
  /** Sign-in token endpoint. */
  tokenUrl?: string;
  /** Graph: a drive other than the user's OneDrive. */
  driveId?: string;
  /** Box: API host base. */
  apiEndpoint?: string;
  /** Graph: replace, fail, rename. Box: version, rename, skip. */
  conflict?: string;
  /** Graph: bytes per request (a multiple of 327,680 under 60 MiB). */
  fragmentSizeBytes?: number;
  /** Apideck: Unify application id. */
  appId?: string;
  /** Apideck: consumer id. */
  consumerId?: string;
  /** Apideck: connector when the consumer has several. */
  serviceId?: string;
  /** Box: root folder id; Apideck: target folder id. */
  folderId?: string;
  /** S3: region. */
  region?: string;
  /** S3: bucket. */
  bucket?: string;
  /** S3: key prefix. */
  prefix?: string;
  /** S3: access key id (the secret goes in `token` or `tokenEnv`). */
  accessKeyId?: string;
  /** S3: path-style URLs (MinIO and most S3-compatible servers). */
  forcePathStyle?: boolean;
  /** S3: preferred part size; tus: bytes per PATCH. */
  partSizeBytes?: number;
}

/** What a watched folder is doing (as `hoist serve` last reported it). */
export type WatchStatusView = 'idle' | 'starting' | 'scanning' | 'watching' | 'polling' | 'missing' | 'paused' | 'stopped';

/** A watched folder with its counts. */
export interface WatchView {
  id: number;
  /** Absolute local folder. */
  dir: string;
  destination: string;
  /** Folder at the destination, `/`-rooted. */
  remoteDir: string;
  isPaused: boolean;
  status: WatchStatusView;
  /** Why it is polling or missing, and the command that fixes it. */
  statusMessage: string | null;
  ignorePatterns: string[];
  includeHidden: boolean;
  /** Files uploaded, waiting to upload, and failed. */
  counts: { uploaded: number; toUpload: number; failed: number };
}

/** What `addWatch` accepts (the fields of `hoist watch add`). */
export interface WatchInput {
  /** Absolute path of an existing folder on the machine running Hoist. */
  dir: string;
  destination: string;
  /** Folder at the destination (default `/`). */
  remoteDir?: string;
  /** Extra gitignore-style patterns. */
  ignorePatterns?: string[];
  includeHidden?: boolean;
}

/** The window's colour scheme; `system` follows the OS. */
export type ThemeView = 'system' | 'light' | 'dark';

/** User settings (stored in the database). */
export interface SettingsView {
  /** Files uploaded at once (1–16). */
  filesAtOnce: number;
  /** Destination for files added without one; null: the built-in `local`. */
  defaultDestination: string | null;
  /** How long before a paused upload's session expires the window warns (minutes, 1–1440). */
  warningWindowMin: number;
  theme: ThemeView;
  /** Upload bandwidth: a rate ("3M", binary units), "off", or a timetable ("08:00,1M 18:00,off"). */
  bandwidthLimit: string;
  /** Seconds without a byte moving before a request is abandoned and retried (1–3600). */
  stallTimeoutSec: number;
  /** Paused OneDrive uploads send one small fragment before their session would lapse, so resuming loses nothing. */
  keepPausedSessionsAlive: boolean;
}

/** A change to some settings. */
export type SettingsPatch = Partial<SettingsView>;

/** The app as a whole, in one word and counts: the page title, the favicon and the tray only display it. */
export type AppStateKind = 'idle' | 'uploading' | 'paused' | 'waiting-network' | 'rate-limited' | 'needs-attention';

/** Job counts by what the window groups them as. */
export interface JobCountsView {
  uploading: number;
  queued: number;
  paused: number;
  failed: number;
  done: number;
}

/** The app state: never `idle` while work is pending. */
export interface AppStateView {
  kind: AppStateKind;
  /** One sentence for the title bar and the tray tooltip, e.g. "Uploading 3 of 12". */
  summary: string;
  counts: JobCountsView;
  /** A timed pause holds every upload until then (ms since epoch). */
  pausedUntilMs: number | null;
  /** Destinations waiting for the network, and since when. */
  waitingNetwork: Array<{ destination: string; sinceMs: number }>;
  /** Destinations the server asked to wait, and until when. */
  rateLimited: Array<{ destination: string; untilMs: number }>;
  /** The bandwidth limit in force (bytes per second), or null. */
  bandwidthLimitBytesPerSec: number | null;
}

/** Something the user should act on before it costs them, shown in the job's row and in a banner. */
export type WarningView =
  | {
      kind: 'session-expiring';
      /** Stable while the condition lasts (for dismissal). */
      id: string;
      jobId: number;
      jobName: string;
      destination: string;
      provider: ProviderKind;
      expiresAtMs: number;
      /** Bytes that must be sent again once the session is gone. */
      bytesAtRiskBytes: number;
    }
  | {
      kind: 'session-expired';
      id: string;
      jobId: number;
      jobName: string;
      destination: string;
      provider: ProviderKind;
      /** The server dropped it then (a paused job: it restarts on a new session when resumed). */
      expiredAtMs: number;
      /** Bytes that will be (or were) sent again. */
      bytesAtRiskBytes: number;
      /** Set once the job restarted on a new session, with why. */
      restartReason: string | null;
    };

/**
 * Everything the window needs at start: unfinished jobs (without parts), destinations, watches, settings, app state.
 * Finished jobs (done, cancelled: most of a long history) come from `listFinished` when the window shows them, so the
 * first paint waits for the jobs that matter, not for 10,000 finished ones.
 */
export interface SnapshotView {
  /** Queued, running, paused and failed jobs. */
  jobs: JobView[];
  /** How many finished jobs are in the queue (not cleared). */
  finishedCount: number;
  destinations: DestinationView[];
  watches: WatchView[];
  settings: SettingsView;
  appState: AppStateView;
  warnings: WarningView[];
  totals: TotalsView;
  /** The machine's clock when the snapshot was taken, so the window can show "in 42 s" right. */
  nowMs: number;
  /** Whether files can be streamed to main (a browser tab of `hoist serve`) or are given as paths (Electron). */
  fileIntake: 'paths' | 'stream';
}

/** What `addFiles` did. */
export interface AddFilesResult {
  /** Jobs created or resumed. */
  jobIds: number[];
  /** Files that could not be queued, each in plain words. */
  problems: string[];
}

/** One way to sign a destination in, as `signIn` starts it. */
export type SignInView =
  /** Graph: open `verificationUrl` on any device and enter `userCode`. */
  | { kind: 'device-code'; destination: string; userCode: string; verificationUrl: string; expiresAtMs: number; message: string }
  /** Box: open `url` in a browser on this machine and allow access. */
  | { kind: 'browser'; destination: string; url: string; expiresAtMs: number };

/** How a sign-in ended (or that it is still waiting). */
export interface SignInStatusView {
  destination: string;
  state: 'waiting' | 'signed-in' | 'failed' | 'cancelled';
  message: string;
}

/** An address for a job's file at its destination. */
export interface RemoteLinkView {
  /** null when the provider gives none; `reason` says why. */
  url: string | null;
  reason: string | null;
}

/** A diagnostics bundle: the event log (ids, sizes, reasons; never a token) and versions. */
export interface DiagnosticsView {
  fileName: string;
  text: string;
}
