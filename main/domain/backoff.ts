import type { Failure } from './failure.js';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Consecutive failed attempts without forward progress before the job fails for good. */
  maxAttempts: number;
  /** Consecutive rate-limit answers tolerated (they do not count as attempts, but a server that never relents ends). */
  maxRateLimited: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10, maxRateLimited: 50 };

/** Exponential backoff with "equal jitter": half fixed, half random, so retries of many clients spread out. */
export function backoffDelayMs(attempt: number, rand: () => number, policy: RetryPolicy): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * rand());
}

export type RetryDecision = { action: 'wait'; delayMs: number } | { action: 'new-session'; delayMs: number } | { action: 'give-up'; reason: string };

export interface RetryCounters {
  /** Failed attempts since the last forward progress. */
  attempts: number;
  rateLimited: number;
  sessionRestarts: number;
  /** Replies that made no sense since the last forward progress. */
  malformed?: number;
}

/** Replies that make no sense are retried this often, quickly, before the job fails (the server is broken). */
export const MAX_MALFORMED_RETRIES = 2;

/** Pure decision: what to do after a failure, given the counters (already incremented for this failure). */
export function decideRetry(failure: Failure, counters: RetryCounters, rand: () => number, policy: RetryPolicy): RetryDecision {
  switch (failure.kind) {
    case 'fatal':
    case 'auth':
      return { action: 'give-up', reason: failure.reason };
    case 'rate-limited':
      if (counters.rateLimited > policy.maxRateLimited) {
        return { action: 'give-up', reason: `the server kept asking to slow down (${counters.rateLimited} times): ${failure.reason}` };
      }
      // A little jitter on top, never less than the server asked for.
      return { action: 'wait', delayMs: failure.retryAfterMs + Math.round(250 * rand()) };
    case 'session-expired':
      if (counters.sessionRestarts > 5) return { action: 'give-up', reason: `the server kept losing the upload session: ${failure.reason}` };
      return { action: 'new-session', delayMs: counters.sessionRestarts > 1 ? backoffDelayMs(counters.sessionRestarts, rand, policy) : 0 };
    case 'disk-full':
      return { action: 'wait', delayMs: 0 };
    case 'malformed':
      if ((counters.malformed ?? 0) > MAX_MALFORMED_RETRIES) return { action: 'give-up', reason: failure.reason };
      return { action: 'wait', delayMs: Math.min(policy.baseDelayMs, 1_000) };
    case 'retry':
      if (counters.attempts > policy.maxAttempts) {
        return { action: 'give-up', reason: `gave up after ${counters.attempts} attempts without progress: ${failure.reason}` };
      }
      return { action: 'wait', delayMs: backoffDelayMs(counters.attempts, rand, policy) };
  }
}
