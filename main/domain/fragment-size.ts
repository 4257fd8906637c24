/** What a protocol allows for the size of one request when Hoist chooses it (one-at-a-time protocols: Graph, tus). */
export interface FragmentRules {
  /** Every size is a whole multiple of this (Graph: 320 KiB). */
  multipleBytes: number;
  minBytes: number;
  /** Largest allowed size (inclusive); a multiple of `multipleBytes`. */
  maxBytes: number;
}

/** How one acknowledged fragment went: the time its bytes took to leave, and the wait for the reply after them. */
export interface FragmentTiming {
  sizeBytes: number;
  sendMs: number;
  waitMs: number;
}

/** Below this share of a fragment's time spent waiting for the reply, the size stays. */
export const GROW_ABOVE_WAIT_SHARE = 0.1;
/** A fragment grows to about the size whose reply wait would be this share of its time. */
const TARGET_WAIT_SHARE = 0.05;
/** One step grows at most this much: a single odd measurement does not jump to the largest size. */
const MAX_GROWTH = 6;

/**
 * The next fragment size after an acknowledged fragment. Every fragment costs a round trip in which nothing is sent;
 * while that wait is a large share of the fragment's time, a larger fragment spends the same wait on more bytes. The size
 * never shrinks here: only failures shrink it (see shrunkFragmentBytes).
 */
export function grownFragmentBytes(currentBytes: number, timing: FragmentTiming, rules: FragmentRules): number {
  const totalMs = timing.sendMs + timing.waitMs;
  if (!(totalMs > 0) || timing.waitMs / totalMs <= GROW_ABOVE_WAIT_SHARE) return fitFragmentBytes(currentBytes, rules);
  const bytesPerMs = timing.sizeBytes / Math.max(1, timing.sendMs);
  const wantedBytes = bytesPerMs * timing.waitMs * ((1 - TARGET_WAIT_SHARE) / TARGET_WAIT_SHARE);
  return fitFragmentBytes(Math.max(currentBytes, Math.min(wantedBytes, currentBytes * MAX_GROWTH)), rules);
}

/** After a reset or a stall: half the size, so the next loss costs less and a struggling link gets smaller requests. */
export function shrunkFragmentBytes(currentBytes: number, rules: FragmentRules): number {
  return fitFragmentBytes(currentBytes / 2, rules);
}

/** The nearest valid size at or below `bytes`, within the rules' bounds. */
export function fitFragmentBytes(bytes: number, rules: FragmentRules): number {
  const multiples = Math.floor(bytes / rules.multipleBytes) * rules.multipleBytes;
  return Math.min(rules.maxBytes, Math.max(rules.minBytes, multiples));
}
