import { describe, expect, it } from 'vitest';
import { fitFragmentBytes, grownFragmentBytes, shrunkFragmentBytes, type FragmentRules } from '../../main/domain/fragment-size.js';
import { GRAPH_DEFAULT_FRAGMENT_BYTES, GRAPH_FRAGMENT_RULES, validateGraphFragmentBytes } from '../../main/domain/part-plan.js';

const MiB = 1024 * 1024;
const graph = GRAPH_FRAGMENT_RULES;

describe('fragments sized to the link', () => {
  it("Graph's bounds are valid fragment sizes: multiples of 320 KiB, the largest just under 60 MiB", () => {
    expect(validateGraphFragmentBytes(graph.minBytes)).toBeUndefined();
    expect(validateGraphFragmentBytes(graph.maxBytes)).toBeUndefined();
    expect(graph.maxBytes).toBe(62_586_880);
    expect(validateGraphFragmentBytes(graph.maxBytes + graph.multipleBytes)).toBeDefined();
  });

  it('keeps the size while the reply wait is a small share of a fragment', () => {
    const size = GRAPH_DEFAULT_FRAGMENT_BYTES;
    expect(grownFragmentBytes(size, { sizeBytes: size, sendMs: 400, waitMs: 20 }, graph)).toBe(size);
    expect(grownFragmentBytes(size, { sizeBytes: size, sendMs: 0, waitMs: 0 }, graph)).toBe(size);
  });

  it('grows while the wait is a large share, to about where it would be 5 %, at most 6x a step, always valid', () => {
    const size = GRAPH_DEFAULT_FRAGMENT_BYTES;
    // 24 MiB/s with 150 ms replies: 10 MiB fragments spend 26 % of their time waiting.
    const grown = grownFragmentBytes(size, { sizeBytes: size, sendMs: 417, waitMs: 150 }, graph);
    expect(grown).toBeGreaterThan(50 * MiB);
    expect(validateGraphFragmentBytes(grown)).toBeUndefined();
    // A wait of 30 % on a fast link asks for far more than one step allows.
    const capped = grownFragmentBytes(5 * MiB, { sizeBytes: 5 * MiB, sendMs: 10, waitMs: 100 }, graph);
    expect(capped).toBe(30 * MiB);
    for (const waitMs of [50, 90, 150, 300, 2_000]) {
      expect(validateGraphFragmentBytes(grownFragmentBytes(size, { sizeBytes: size, sendMs: 300, waitMs }, graph))).toBeUndefined();
    }
  });

  it('halves after a reset or a stall, never below the minimum, always valid', () => {
    expect(shrunkFragmentBytes(graph.maxBytes, graph)).toBe(31_129_600);
    expect(validateGraphFragmentBytes(shrunkFragmentBytes(graph.maxBytes, graph))).toBeUndefined();
    expect(shrunkFragmentBytes(graph.minBytes, graph)).toBe(graph.minBytes);
  });

  it('fits any number into the rules', () => {
    const rules: FragmentRules = { multipleBytes: MiB, minBytes: 4 * MiB, maxBytes: 256 * MiB };
    expect(fitFragmentBytes(10.7 * MiB, rules)).toBe(10 * MiB);
    expect(fitFragmentBytes(1, rules)).toBe(4 * MiB);
    expect(fitFragmentBytes(1e12, rules)).toBe(256 * MiB);
  });
});
