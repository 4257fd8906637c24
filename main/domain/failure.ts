/**
 * One classification of every failure of a request (habit 8). The scheduler decides what to do from the kind alone.
 */
export type Failure =
  /**
   * Transient (network, 5xx, a stall): back off, ask the server, continue. `network` names the host a connection to it
   * failed (refused, reset, timed out): the scheduler probes it to tell an outage (wait, uncounted) from a hiccup.
   */
  | { kind: 'retry'; reason: string; network?: NetworkTarget }
  /** Hoist's own disk is full (the database cannot record progress): wait until it can, uncounted. */
  | { kind: 'disk-full'; reason: string }
  /** A reply that makes no sense (2xx with unreadable JSON, a missing field, ranges that do not fit): retried twice, quickly. */
  | { kind: 'malformed'; reason: string }
  /** The server asked us to slow down: wait at least retryAfterMs. */
  | { kind: 'rate-limited'; retryAfterMs: number; reason: string }
  /** The server session is gone (expired, unknown, consumed): start a new session. */
  | { kind: 'session-expired'; reason: string }
  /** Credentials were refused: the user must sign in again or fix the token. */
  | { kind: 'auth'; reason: string }
  /** Retrying cannot help (bad request, conflict, quota): stop with this message. */
  | { kind: 'fatal'; code: string; reason: string };

/** Where a failed connection went: what a probe connects to. */
export interface NetworkTarget {
  host: string;
  port: number;
}

export class UploadFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
    this.name = 'UploadFailure';
  }
}

/** Parses Retry-After: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The default mapping of an HTTP status to a failure; adapters refine it with the provider's error codes. */
export function classifyStatus(status: number, retryAfterMs: number | undefined, reason: string): Failure {
  if (status === 429 || (status === 503 && retryAfterMs !== undefined) || status === 509) {
    return { kind: 'rate-limited', retryAfterMs: retryAfterMs ?? 5_000, reason };
  }
  if (status === 408 || status >= 500) return { kind: 'retry', reason };
  if (status === 401 || status === 403) return { kind: 'auth', reason };
  return { kind: 'fatal', code: `http-${status}`, reason };
}
