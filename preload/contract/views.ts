/** View DTOs shared by main, the preload bridge, the renderer and the CLI's --json output. Pure data. */

/** Every state an upload job can be in. */
export type JobStateView = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

/** One upload as the user sees it. */
export interface JobView {
  /** Stable job id, used by pause/resume/cancel. */
  id: number;
  /** Absolute local path of the file. */
  localPath: string;
  /** Path at the destination, with a leading slash. */
  remotePath: string;
  /** Destination name as the user gave it. */
  destination: string;
  /** Current state. */
  state: JobStateView;
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
  /** When the current server session expires (ms since epoch), if known. */
  sessionExpiresAtMs: number | null;
  /** Why the upload started over, if it did (file changed, session expired). */
  restartReason: string | null;
  /** Error code when failed. */
  errorCode: string | null;
  /** Human-readable error when failed. */
  errorMessage: string | null;
  /** Remote item id once committed. */
  remoteItemId: string | null;
}

/** A configured upload destination (never includes its token). */
export interface DestinationView {
  /** User-chosen name. */
  name: string;
  /** Provider kind. */
  provider: 'graph' | 'box' | 'apideck' | 'tus' | 's3';
  /** Provider settings without secrets. */
  settings: Record<string, unknown>;
}
