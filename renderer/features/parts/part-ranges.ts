import type { PartStateView, PartView } from '../../../preload/contract/index.js';
import { percentOf } from '../../format/bytes.js';
import { formatIn } from '../../format/time.js';

/** How a cell is drawn: a part's own state, or `partial` for a range some of whose parts are done. */
export type CellState = PartStateView | 'partial';

/** One cell of the part strip: a single part, or (past the cell budget) a range of them. */
export interface PartCell {
  /** 0-based, inclusive. */
  first: number;
  last: number;
  state: CellState;
  /** How much of the cell's bytes are sent or acknowledged, 0–1 (a sending cell fills as its bytes go). */
  fill: number;
  counts: Record<PartStateView, number>;
  /** The soonest retry among its failed parts. */
  retryAtMs: number | null;
  /** The single part's percent sent (sending). */
  percent: number;
}

/** Cells shown before parts are grouped into ranges. */
export const MAX_CELLS = 200;

/** The strip's cells: one per part up to `maxCells`, else equal ranges so there are at most `maxCells`. */
export function partCells(parts: readonly PartView[], maxCells = MAX_CELLS): PartCell[] {
  const size = parts.length <= maxCells ? 1 : Math.ceil(parts.length / maxCells);
  const cells: PartCell[] = [];
  for (let first = 0; first < parts.length; first += size) cells.push(cellOf(parts.slice(first, first + size), first));
  return cells;
}

function cellOf(range: readonly PartView[], first: number): PartCell {
  const counts: Record<PartStateView, number> = { done: 0, sending: 0, pending: 0, failed: 0 };
  let sentBytes = 0;
  let totalBytes = 0;
  let retryAtMs: number | null = null;
  for (const part of range) {
    counts[part.state] += 1;
    totalBytes += part.sizeBytes;
    sentBytes += part.state === 'done' ? part.sizeBytes : part.state === 'sending' ? Math.min(part.sentBytes, part.sizeBytes) : 0;
    if (part.state === 'failed' && part.retryAtMs !== null) retryAtMs = retryAtMs === null ? part.retryAtMs : Math.min(retryAtMs, part.retryAtMs);
  }
  const state: CellState =
    counts.failed > 0 ? 'failed' : counts.sending > 0 ? 'sending' : counts.done === range.length ? 'done' : counts.done === 0 ? 'pending' : 'partial';
  const fill = totalBytes > 0 ? sentBytes / totalBytes : counts.done === range.length ? 1 : 0;
  return { first, last: first + range.length - 1, state, fill, counts, retryAtMs, percent: percentOf(sentBytes, totalBytes) };
}

/** "Part 4 of 10: sending 45 %"; "Parts 201–220 of 4000: 12 done, 1 sending, 7 pending". */
export function partCellLabel(cell: PartCell, partsTotal: number, nowMs: number): string {
  if (cell.first === cell.last) {
    const head = `Part ${cell.first + 1} of ${partsTotal}`;
    switch (cell.state) {
      case 'sending':
        return `${head}: sending ${cell.percent} %`;
      case 'failed':
        return cell.retryAtMs !== null ? `${head}: failed, retrying ${formatIn(cell.retryAtMs, nowMs)}` : `${head}: failed`;
      case 'partial':
      case 'done':
      case 'pending':
        return `${head}: ${cell.state}`;
    }
  }
  const order: PartStateView[] = ['done', 'sending', 'failed', 'pending'];
  const tally = order.filter((s) => cell.counts[s] > 0).map((s) => `${cell.counts[s]} ${s}`);
  return `Parts ${cell.first + 1}–${cell.last + 1} of ${partsTotal}: ${tally.join(', ')}`;
}

/** "parts 24 of 40 done, 3 sending" (failed ones named too). */
export function partsSummary(parts: readonly PartView[]): string {
  const counts: Record<PartStateView, number> = { done: 0, sending: 0, pending: 0, failed: 0 };
  for (const part of parts) counts[part.state] += 1;
  const extra = [counts.sending > 0 ? `${counts.sending} sending` : '', counts.failed > 0 ? `${counts.failed} failed` : ''].filter(Boolean);
  return `parts ${counts.done} of ${parts.length} done${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`;
}

/** Bytes sent more than once: everything put on the wire, less what the server kept and what is on the wire now. */
export function resentBytes(bytesSentTotal: number, ackedBytes: number, parts: readonly PartView[]): number {
  const inFlight = parts.reduce((sum, part) => (part.state === 'sending' ? sum + part.sentBytes : sum), 0);
  return Math.max(0, bytesSentTotal - ackedBytes - inFlight);
}
