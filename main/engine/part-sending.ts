import { UploadFailure } from '../domain/failure.js';
import { sleepUnlessAborted } from '../protocols/abortable-sleep.js';
import { userMessage } from '../domain/hoist-error.js';
import { QuickXorFold } from '../domain/quick-xor-hash.js';
import type { JobRow } from '../store/jobs-repo.js';
import type { PartRow, SessionRow } from '../store/sessions-repo.js';
import type { PartOutcome, SessionHandle, UploadProtocol, UploadTarget } from '../protocols/upload-protocol.js';
import { fileError, type FileReader } from './file-source.js';
import type { FileUploadDeps } from './file-upload.js';

/** The file changed under an upload: the attempt starts over on a new session (not a failure of the part). */
export class FileChanged extends Error {}

/** What every way of sending parts shares: one job's file, session and reader within one attempt. */
export interface PartSending {
  deps: FileUploadDeps;
  job: JobRow;
  protocol: UploadProtocol;
  session: SessionRow;
  target: UploadTarget;
  reader: FileReader;
  checkUnchanged: () => Promise<void>;
  signal: AbortSignal;
}

export interface ReadHooks {
  /** Every byte of the range has been read (not necessarily sent). */
  onAllRead?: () => void;
  /** Runs before the range's last chunk is handed on; throwing stops the body before its last byte. */
  beforeLastChunk?: () => Promise<void>;
  /** The request has taken the range's last chunk (its bytes are with the socket): what follows is the reply's wait. */
  onAllSent?: () => void;
}

const SENT_RECORD_EVERY_BYTES = 8 * 1024 * 1024;

/** Starts one part's request; a failure is reported for the part strip (a pause, a cancel or a changed file is not one). */
export function startPart(ctx: PartSending, part: PartRow, data: AsyncIterable<Uint8Array>, sha1Base64?: string): Promise<PartOutcome> {
  const body = { partIndex: part.partIndex, offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, data, ...(sha1Base64 ? { sha1Base64 } : {}) };
  const outcome = ctx.protocol.uploadPart(handleOf(ctx.session), body, ctx.target, ctx.signal);
  outcome.catch((error: unknown) => {
    if (ctx.signal.aborted || error instanceof FileChanged) return;
    ctx.deps.events({ type: 'part-failed', jobId: ctx.job.id, partIndex: part.partIndex, reason: userMessage(error) });
  });
  return outcome;
}

/**
 * Times one part is sent again at once, within the attempt, after a transient failure (a reset, a 5xx, a stall) while
 * the other parts go on. A failure of every request in an attempt still ends it: the next one asks the server what it
 * holds. Without this, each fault drained the pipeline and waited the job's back-off (about 1.4 s per fault at 32 MiB/s
 * on Box, measured by the flaky-networks bench).
 */
export const PART_QUICK_RETRIES = 1;
const QUICK_RETRY_DELAY_MS = 200;

/** Whether a failed part may be sent again at once: transient only (rate limits, expired sessions, bad replies go up). */
const isQuickRetry = (error: unknown): boolean => error instanceof UploadFailure && error.failure.kind === 'retry';

/**
 * Sends one part, again at once (after a short jittered wait, and once the destination is not held) when it failed
 * transiently. `body` gives a fresh request body for each try; the part strip hears of every failed try.
 */
export async function sendPart(ctx: PartSending, part: PartRow, body: () => AsyncIterable<Uint8Array>, sha1Base64?: string): Promise<PartOutcome> {
  for (let retry = 0; ; retry += 1) {
    try {
      return await startPart(ctx, part, body(), sha1Base64);
    } catch (error) {
      if (retry >= PART_QUICK_RETRIES || ctx.signal.aborted || !isQuickRetry(error)) throw error;
      await (ctx.deps.sleep ?? sleepUnlessAborted)(QUICK_RETRY_DELAY_MS * (1 + Math.random()), ctx.signal);
      await ctx.deps.beforePart?.(ctx.signal);
      ctx.deps.store.sessions.countAttempt(ctx.session.id, part.partIndex);
    }
  }
}

/** The server acknowledged the part: one short transaction records it, then the UI hears about it. */
export function recordPart(ctx: PartSending, part: PartRow, outcome: PartOutcome, fold: QuickXorFold | undefined): void {
  const { deps, job, session } = ctx;
  const reply = outcome.kind === 'stored' ? outcome.reply : null;
  const expiresAtMs = outcome.kind === 'stored' ? outcome.expiresAtMs : null;
  deps.store.sessions.markPartDone(session.id, part.partIndex, fold?.toBase64() ?? null, reply, expiresAtMs);
  if (outcome.kind === 'completed') deps.store.sessions.update(session.id, { extra: { ...session.extra, completedItem: outcome.item } });
  deps.events({ type: 'part-acked', jobId: job.id, partIndex: part.partIndex, ackedBytes: deps.store.sessions.ackedBytes(session.id), totalBytes: job.sizeBytes });
}

/** A range of the file as read from disk; a failure of the file source itself is told as a file problem, not "unexpected". */
export async function* fileRange(reader: FileReader, job: JobRow, offsetBytes: number, sizeBytes: number): AsyncIterable<Uint8Array> {
  try {
    yield* reader.read(offsetBytes, sizeBytes);
  } catch (error) {
    throw fileError(error, job.localPath);
  }
}

/**
 * A request body: the range's chunks, folded into the part's QuickXorHash (when the protocol verifies one) and counted
 * as sent once the request has taken them.
 */
export async function* sentChunks(
  deps: FileUploadDeps,
  job: JobRow,
  partIndex: number,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  offsetBytes: number,
  sizeBytes: number,
  fold: QuickXorFold | undefined,
  hooks: ReadHooks = {},
): AsyncIterable<Uint8Array> {
  let position = offsetBytes;
  let unrecorded = 0;
  try {
    for await (const chunk of chunks) {
      fold?.update(chunk, position);
      position += chunk.length;
      const isLast = position === offsetBytes + sizeBytes;
      if (isLast) {
        hooks.onAllRead?.();
        await hooks.beforeLastChunk?.();
      }
      yield chunk;
      // Counted once the consumer asks for more: it has handed this chunk to the socket (a request that ended early
      // never asks, so a chunk it did not send is not counted).
      unrecorded += chunk.length;
      deps.events({ type: 'bytes-sent', jobId: job.id, partIndex, bytes: chunk.length });
      // Recorded every few MiB, so even a kill -9 mid-part leaves an honest count of bytes put on the wire.
      if (unrecorded >= SENT_RECORD_EVERY_BYTES) {
        deps.store.jobs.addBytesSent(job.id, unrecorded);
        unrecorded = 0;
      }
      if (isLast) hooks.onAllSent?.();
    }
  } finally {
    if (unrecorded > 0) deps.store.jobs.addBytesSent(job.id, unrecorded);
  }
}

/** Only Graph reports a QuickXorHash; other protocols skip the per-byte fold (and re-reading parts on resume). */
export function foldFor(protocol: UploadProtocol): QuickXorFold | undefined {
  return protocol.verifyHash === 'quickXorHash' ? new QuickXorFold() : undefined;
}

export function handleOf(session: SessionRow): SessionHandle {
  return {
    sessionUrl: session.sessionUrl,
    remoteSessionId: session.remoteSessionId,
    partSizeBytes: session.partSizeBytes,
    expiresAtMs: session.expiresAtMs,
    extra: session.extra,
  };
}
