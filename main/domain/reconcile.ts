import type { PartRow } from '../store/sessions-repo.js';

/** A byte range [startBytes, endBytes) the server holds. */
export interface ByteRange {
  startBytes: number;
  endBytes: number;
}

export interface Reconciliation {
  /** Parts the server holds but the database did not record (the process died after the server acknowledged). */
  newlyDone: number[];
  /** Parts recorded done that the server no longer holds (it lost them): upload again. */
  lost: number[];
  /** For offset protocols: where the server wants the next byte when that is not a part boundary. */
  resumeOffsetBytes?: number;
}

/**
 * Compares what the database recorded with what the server reports. The server is the truth: a part is done exactly when
 * its whole byte range is inside a received range.
 */
export function reconcileParts(parts: readonly PartRow[], received: readonly ByteRange[]): Reconciliation {
  const covered = (p: PartRow) => received.some((r) => r.startBytes <= p.offsetBytes && p.offsetBytes + p.sizeBytes <= r.endBytes);
  const newlyDone: number[] = [];
  const lost: number[] = [];
  for (const part of parts) {
    const isCovered = covered(part);
    if (isCovered && part.state !== 'done') newlyDone.push(part.partIndex);
    if (!isCovered && part.state === 'done') lost.push(part.partIndex);
  }
  return { newlyDone, lost };
}

/**
 * For sequential offset protocols (Graph, tus): the server holds a prefix [0, nextOffset). Returns the offset to resume
 * from and whether it falls inside a planned part (then the remaining plan must start there).
 */
export function contiguousPrefixBytes(received: readonly ByteRange[]): number {
  const sorted = [...received].sort((a, b) => a.startBytes - b.startBytes);
  let end = 0;
  for (const r of sorted) {
    if (r.startBytes > end) break;
    end = Math.max(end, r.endBytes);
  }
  return end;
}

/** Turns Graph's `nextExpectedRanges` (inclusive "a-b" or open "a-", "a") into the complement: what the server holds. */
export function receivedFromMissing(missing: readonly ByteRange[], totalBytes: number): ByteRange[] {
  const sorted = [...missing].sort((a, b) => a.startBytes - b.startBytes);
  const held: ByteRange[] = [];
  let cursor = 0;
  for (const gap of sorted) {
    if (gap.startBytes > cursor) held.push({ startBytes: cursor, endBytes: Math.min(gap.startBytes, totalBytes) });
    cursor = Math.max(cursor, gap.endBytes);
  }
  // The list "may not include every missing range": beyond the last listed gap we cannot claim anything is held.
  return held;
}
