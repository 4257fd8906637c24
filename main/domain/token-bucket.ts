/**
 * The arithmetic of the bandwidth limit: a token bucket filled at `bytesPerSec` that holds at most `capacityBytes`.
 * The capacity is a quarter of a second of the rate, so after an idle spell the link gets a short burst, never a
 * second's worth: any window of W seconds carries at most rate × W + capacity bytes (plus one write, see `takeTokens`).
 * Pure: the limiter (main/engine/bandwidth-limiter.ts) owns the clock and the waiting.
 */
export interface TokenBucket {
  readonly bytesPerSec: number;
  readonly capacityBytes: number;
  /** May be negative: a write larger than the capacity is let through whole and paid for afterwards. */
  readonly tokens: number;
  readonly atMs: number;
}

/** Burst allowance, in seconds of the rate. */
export const BURST_SECONDS = 0.25;

export type TakeResult = { isGranted: true; bucket: TokenBucket } | { isGranted: false; bucket: TokenBucket; waitMs: number };

const capacityFor = (bytesPerSec: number): number => Math.max(1, Math.floor(bytesPerSec * BURST_SECONDS));

/** A bucket for a new limit starts full: the first quarter second may go at once. */
export function fullBucket(bytesPerSec: number, nowMs: number): TokenBucket {
  const capacityBytes = capacityFor(bytesPerSec);
  return { bytesPerSec, capacityBytes, tokens: capacityBytes, atMs: nowMs };
}

export function refill(bucket: TokenBucket, nowMs: number): TokenBucket {
  if (nowMs <= bucket.atMs) return bucket;
  const tokens = Math.min(bucket.capacityBytes, bucket.tokens + ((nowMs - bucket.atMs) * bucket.bytesPerSec) / 1000);
  return { ...bucket, tokens, atMs: nowMs };
}

/** The rate changed (a new limit, a timetable boundary): what was earned so far is kept, up to the new capacity. */
export function changeRate(bucket: TokenBucket, bytesPerSec: number, nowMs: number): TokenBucket {
  const filled = refill(bucket, nowMs);
  const capacityBytes = capacityFor(bytesPerSec);
  return { bytesPerSec, capacityBytes, tokens: Math.min(filled.tokens, capacityBytes), atMs: filled.atMs };
}

/**
 * Lets `bytes` go when the bucket holds them, or a full bucket's worth when `bytes` is larger than the capacity (then
 * the balance goes negative and the next take waits it off). Otherwise says how long until it can.
 */
export function takeTokens(bucket: TokenBucket, bytes: number, nowMs: number): TakeResult {
  const filled = refill(bucket, nowMs);
  const needBytes = Math.min(bytes, filled.capacityBytes);
  if (filled.tokens >= needBytes) return { isGranted: true, bucket: { ...filled, tokens: filled.tokens - bytes } };
  return { isGranted: false, bucket: filled, waitMs: Math.max(1, Math.ceil(((needBytes - filled.tokens) * 1000) / filled.bytesPerSec)) };
}
