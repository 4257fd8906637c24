import type { Failure } from '../domain/failure.js';

/** What the engine reports while it works; the CLI, the event log and the window's bridge render these. */
export type EngineEvent =
  /** The server was asked what it holds and the parts are (re)planned: a window re-reads them. */
  | { type: 'job-started'; jobId: number; totalBytes: number; ackedBytes: number }
  /** Bytes of one part handed to the socket (whole-file uploads report part 0). */
  | { type: 'bytes-sent'; jobId: number; partIndex: number; bytes: number }
  | { type: 'part-acked'; jobId: number; partIndex: number; ackedBytes: number; totalBytes: number }
  /** The parts still to send were planned anew at another size (fragments sized to the link): a window re-reads them. */
  | { type: 'parts-replanned'; jobId: number; partSizeBytes: number }
  /** An attempt at a part failed (not a pause or cancel); the scheduler decides what follows. */
  | { type: 'part-failed'; jobId: number; partIndex: number; reason: string }
  | { type: 'job-restarted'; jobId: number; reason: string }
  | { type: 'job-retrying'; jobId: number; delayMs: number; reason: string; kind: Failure['kind'] }
  | { type: 'job-finished'; jobId: number; state: 'done' | 'failed' | 'paused' | 'cancelled'; message?: string }
  /** A destination's host stopped answering: its queue waits for the network (probed every second or two). */
  | { type: 'destination-waiting'; destinationId: number; sinceMs: number }
  /** The host answers again: the destination's queue goes on. */
  | { type: 'destination-online'; destinationId: number }
  /** The server asked to wait (429/503 with Retry-After): nothing goes to the destination until then. */
  | { type: 'destination-rate-limited'; destinationId: number; untilMs: number };

/** Events about one job (every event but the destination ones). */
export type JobEvent = Extract<EngineEvent, { jobId: number }>;

export type EngineEventSink = (event: EngineEvent) => void;
