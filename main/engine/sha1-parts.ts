import { createHash, type Hash } from 'node:crypto';
import { returnChunk } from '../domain/chunk-lease.js';
import type { RemoteItem } from '../protocols/upload-protocol.js';
import type { PartRow } from '../store/sessions-repo.js';
import { fileError } from './file-source.js';
import { fileRange, recordPart, sendPart, sentChunks, type PartSending } from './part-sending.js';

/** Memory for part buffers of one upload when nobody says otherwise. */
export const DEFAULT_PART_BUFFER_BUDGET_BYTES = 64 * 1024 * 1024;

/** A held part goes to the socket in slices this size, so progress, pacing and stall detection see it move. */
const SLICE_BYTES = 1024 * 1024;
/** See BUFFER_SHIFT_BYTES in file-source.ts: page-cache copies into a buffer 16 bytes into a page stall on 4K aliasing. */
const BUFFER_SHIFT_BYTES = 2048;

export interface Sha1PartsResult {
  /** The item, when the last part's reply already created it. */
  item?: RemoteItem;
  /** SHA-1 of the whole file, base64, from the same pass. */
  sha1Base64: string;
}

/**
 * Box (and Apideck's Box connector) put each part's SHA-1 in a header before the part's bytes, and the whole file's
 * SHA-1 on the commit. One pass over the parts in file order does both: each part is read once, hashed for its own
 * digest and into the running whole-file SHA-1, and handed to one of `parallel` requests. Parts go out from a few
 * reused buffers, each free again once the server has acknowledged its part; as many as fit `budgetBytes` (see heldParts).
 * A part with no free buffer (parts too large for the budget) is hashed on this read and streamed on a second one, which
 * the page cache serves. Parts the server already holds are read for the whole-file hash and never sent.
 *
 * The first failure stops new parts; the ones in flight finish (their acknowledgements are recorded), then it is thrown.
 */
export async function sendSha1Parts(ctx: PartSending, parts: readonly PartRow[], parallel: number, budgetBytes: number): Promise<Sha1PartsResult> {
  const whole = createHash('sha1');
  const partBytes = Math.max(1, ...parts.map((p) => p.sizeBytes));
  const free = Array.from({ length: heldParts(budgetBytes, partBytes, parallel) }, () => newBuffer(partBytes));
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let item: RemoteItem | undefined;
  try {
    for (const part of parts) {
      if (part.state === 'done') {
        await hashRange(ctx, part, [whole]);
        continue;
      }
      await ctx.deps.beforePart?.(ctx.signal);
      await ctx.checkUnchanged();
      if (ctx.signal.aborted) throw ctx.signal.reason;
      let buffer = free.pop();
      if (!buffer && inFlight.size >= parallel) {
        // Hashing this part cannot wait for a request to end only when it is to be streamed; a held part needs a buffer.
        await Promise.race(inFlight);
        if (failure) break;
        buffer = free.pop();
      }
      const partHash = createHash('sha1');
      let body: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
      if (buffer) {
        const held = buffer.subarray(0, part.sizeBytes);
        await fillAndHash(ctx, part, held, [partHash, whole]);
        body = () => slices(held);
      } else {
        await hashRange(ctx, part, [partHash, whole]);
        while (inFlight.size >= parallel && !failure) await Promise.race(inFlight);
        body = () => fileRange(ctx.reader, ctx.job, part.offsetBytes, part.sizeBytes);
      }
      if (failure) break;
      ctx.deps.store.sessions.countAttempt(ctx.session.id, part.partIndex);
      const data = () => sentChunks(ctx.deps, ctx.job, part.partIndex, body(), part.offsetBytes, part.sizeBytes, undefined);
      const sent: Promise<void> = sendPart(ctx, part, data, partHash.digest('base64'))
        .then((outcome) => {
          recordPart(ctx, part, outcome, undefined);
          if (outcome.kind === 'completed') item = outcome.item;
        })
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          inFlight.delete(sent);
          // Acknowledged (or failed, its request over): the buffer takes the next part.
          if (buffer) free.push(buffer);
        });
      inFlight.add(sent);
    }
  } catch (error) {
    failure ??= { error };
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return { item, sha1Base64: whole.digest('base64') };
}

/**
 * Parts held in memory at once: as many as the budget holds, up to one per request in flight. A budget that holds fewer
 * than two holds none: one held part saves one re-read from the page cache per round of requests, which is not worth
 * its memory (64 MiB parts, where Box uses them).
 */
function heldParts(budgetBytes: number, partBytes: number, parallel: number): number {
  const fitting = Math.floor(budgetBytes / partBytes);
  return fitting >= 2 ? Math.min(parallel, fitting) : 0;
}

async function hashRange(ctx: PartSending, part: PartRow, hashes: readonly Hash[]): Promise<void> {
  for await (const chunk of fileRange(ctx.reader, ctx.job, part.offsetBytes, part.sizeBytes)) {
    for (const hash of hashes) hash.update(chunk);
    returnChunk(chunk);
  }
}

/** Reads the part into its buffer (straight from the file where the reader can), hashing each piece as it lands. */
async function fillAndHash(ctx: PartSending, part: PartRow, held: Buffer, hashes: readonly Hash[]): Promise<void> {
  const { reader } = ctx;
  if (reader.readInto) {
    try {
      for await (const piece of reader.readInto(held, part.offsetBytes)) for (const hash of hashes) hash.update(piece);
    } catch (error) {
      throw fileError(error, ctx.job.localPath);
    }
    return;
  }
  let filled = 0;
  for await (const chunk of fileRange(reader, ctx.job, part.offsetBytes, part.sizeBytes)) {
    for (const hash of hashes) hash.update(chunk);
    held.set(chunk, filled);
    filled += chunk.length;
    returnChunk(chunk);
  }
}

function* slices(held: Buffer): Iterable<Uint8Array> {
  for (let at = 0; at < held.length; at += SLICE_BYTES) yield held.subarray(at, Math.min(held.length, at + SLICE_BYTES));
}

function newBuffer(sizeBytes: number): Buffer {
  return Buffer.allocUnsafeSlow(BUFFER_SHIFT_BYTES + sizeBytes).subarray(BUFFER_SHIFT_BYTES);
}
