/**
 * Process-wide transfer settings every adapter's requests follow: the bandwidth limit (a pacer) and the stall timeout.
 * Like the proxy routes, a composition root sets them once (and again when the user changes them); a request or an
 * adapter may be given its own (tests do).
 */

/** Paces upload bodies. main/engine/bandwidth-limiter.ts is the process's; tests bring their own. */
export interface BytePacer {
  /** Bytes that may be written at once under the limit in force now; 0 when there is none (bodies go out whole). */
  sliceBytes(): number;
  /** Resolves when `bytes` more may be sent, in the order asked; rejects with the signal's reason when it aborts. */
  take(bytes: number, signal: AbortSignal): Promise<void>;
}

export interface TransferSettings {
  pacer: BytePacer;
  /** A request that moves no byte either way for this long is abandoned as stalled; time spent paced does not count. */
  stallTimeoutMs: number;
}

export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

/** Largest write under a limit: small enough that the limit is smooth, large enough to cost nothing at speed. */
export const MAX_PACED_SLICE_BYTES = 64 * 1024;

export const UNPACED: BytePacer = { sliceBytes: () => 0, take: () => Promise.resolve() };

let current: TransferSettings = { pacer: UNPACED, stallTimeoutMs: DEFAULT_STALL_TIMEOUT_MS };

/** The settings of requests whose caller names none. */
export function defaultTransferSettings(): TransferSettings {
  return current;
}

/** Replaces some of the process's settings; requests already running keep the stall timeout they started with. */
export function useTransferSettings(change: Partial<TransferSettings>): void {
  current = { ...current, ...change };
}
