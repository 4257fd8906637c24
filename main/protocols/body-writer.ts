import type { ClientRequest } from 'node:http';
import { returnChunk } from '../domain/chunk-lease.js';
import type { BytePacer } from './transfer-settings.js';

export interface BodyPacing {
  pacer: BytePacer;
  signal: AbortSignal;
  /** Told before and after each wait for the pacer: time we hold the bytes back ourselves is not a stall. */
  onWait(isWaiting: boolean): void;
}

/**
 * Writes a request body chunk by chunk, waiting for 'drain' when the socket is full. Under a bandwidth limit each chunk
 * goes out in slices the pacer lets through; without one, chunks are written as they come (the fast path). A large
 * write is no stall while it progresses: Node's socket timeout is suppressed while its write queue moves.
 */
export async function writeBody(
  request: ClientRequest,
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  isSettled: () => boolean,
  pacing: BodyPacing,
): Promise<void> {
  for await (const chunk of body) {
    if (isSettled() || request.destroyed) return;
    // Once the socket has the bytes, a lent read buffer can be reused for the next chunk.
    if (pacing.pacer.sliceBytes() > 0) {
      if (!(await writePaced(request, chunk, pacing, isSettled))) return;
    } else if (!request.write(chunk, () => returnChunk(chunk))) await drained(request);
  }
  if (isSettled() || request.destroyed) return;
  await new Promise<void>((resolve) => {
    request.once('close', resolve);
    request.end(resolve);
  });
}

/** False when the exchange ended meanwhile (settled, destroyed, aborted while waiting): stop writing. */
async function writePaced(request: ClientRequest, chunk: Uint8Array, pacing: BodyPacing, isSettled: () => boolean): Promise<boolean> {
  for (let at = 0; at < chunk.length; ) {
    // Asked again for every slice: a limit changed, set or lifted mid-chunk applies at once.
    const sliceBytes = pacing.pacer.sliceBytes();
    const end = sliceBytes > 0 ? Math.min(chunk.length, at + sliceBytes) : chunk.length;
    if (sliceBytes > 0 && !(await waitForPacer(pacing, end - at))) return false;
    if (isSettled() || request.destroyed) return false;
    const isLast = end === chunk.length;
    const slice = at === 0 && isLast ? chunk : chunk.subarray(at, end);
    at = end;
    if (!request.write(slice, isLast ? () => returnChunk(chunk) : undefined)) await drained(request);
  }
  return true;
}

async function waitForPacer(pacing: BodyPacing, bytes: number): Promise<boolean> {
  pacing.onWait(true);
  try {
    await pacing.pacer.take(bytes, pacing.signal);
    return true;
  } catch {
    // Aborted: the exchange's own abort handling ends the request.
    return false;
  } finally {
    pacing.onWait(false);
  }
}

function drained(request: ClientRequest): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      request.off('drain', done);
      request.off('close', done);
      resolve();
    };
    request.on('drain', done);
    request.on('close', done);
  });
}
