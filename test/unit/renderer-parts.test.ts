import { describe, expect, it } from 'vitest';
import { partCellLabel, partCells, partsSummary, resentBytes } from '../../renderer/features/parts/part-ranges.js';
import { part } from '../support/renderer-fixtures.js';

describe('part strip cells', () => {
  it('gives each part its own cell and words up to the budget', () => {
    const parts = [part(0, 'done'), part(1, 'sending', { sentBytes: 45 }), part(2, 'pending'), part(3, 'failed', { retryAtMs: 18_000 }), part(4, 'failed')];
    const cells = partCells(parts);
    expect(cells).toHaveLength(5);
    expect(cells.map((cell) => partCellLabel(cell, 10, 10_000))).toEqual([
      'Part 1 of 10: done',
      'Part 2 of 10: sending 45 %',
      'Part 3 of 10: pending',
      'Part 4 of 10: failed, retrying in 8 s',
      'Part 5 of 10: failed',
    ]);
    expect(cells[1]?.fill).toBeCloseTo(0.45);
  });

  it('stands a cell for a range past 200 parts', () => {
    const parts = Array.from({ length: 4000 }, (_, i) => part(i, i < 212 ? 'done' : i === 212 ? 'sending' : 'pending', i === 212 ? { sentBytes: 50 } : {}));
    const cells = partCells(parts);
    expect(cells).toHaveLength(200);
    expect(cells[10]).toMatchObject({ first: 200, last: 219, state: 'sending', counts: { done: 12, sending: 1, pending: 7, failed: 0 } });
    expect(partCellLabel(cells[10]!, 4000, 0)).toBe('Parts 201–220 of 4000: 12 done, 1 sending, 7 pending');
    expect(cells[10]?.fill).toBeCloseTo((12 * 100 + 50) / 2000);
    expect(cells[0]?.state).toBe('done');
    expect(cells[199]?.state).toBe('pending');
  });

  it('marks a range with some parts done as partial, and one with a failure as failed', () => {
    const parts = Array.from({ length: 401 }, (_, i) => part(i, i % 3 === 0 ? 'done' : 'pending'));
    parts[5] = part(5, 'failed');
    const cells = partCells(parts);
    expect(cells).toHaveLength(134);
    expect(cells[0]?.state).toBe('partial');
    expect(cells[1]).toMatchObject({ first: 3, last: 5, state: 'failed' });
    expect(cells[133]).toMatchObject({ first: 399, last: 400 });
  });

  it('sums up parts and bytes sent again', () => {
    const parts = [part(0, 'done'), part(1, 'sending', { sentBytes: 30 }), part(2, 'failed'), part(3, 'pending')];
    expect(partsSummary(parts)).toBe('parts 1 of 4 done, 1 sending, 1 failed');
    expect(resentBytes(180, 100, parts)).toBe(50);
    expect(resentBytes(120, 100, parts)).toBe(0);
  });
});
