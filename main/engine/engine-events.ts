/** What the engine reports while it works; the CLI and the UI render these. */
export type EngineEvent =
  | { type: 'job-started'; jobId: number; totalBytes: number; ackedBytes: number }
  | { type: 'bytes-sent'; jobId: number; bytes: number }
  | { type: 'part-acked'; jobId: number; partIndex: number; ackedBytes: number; totalBytes: number }
  | { type: 'job-restarted'; jobId: number; reason: string }
  | { type: 'job-retrying'; jobId: number; delayMs: number; reason: string }
  | { type: 'job-finished'; jobId: number; state: 'done' | 'failed' | 'paused' | 'cancelled'; message?: string };

export type EngineEventSink = (event: EngineEvent) => void;
