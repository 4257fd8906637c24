import { parseBandwidthLimit } from '../domain/bandwidth-limit.js';
import { HoistError } from '../domain/hoist-error.js';
import { BandwidthLimiter } from '../engine/bandwidth-limiter.js';
import { useTransferSettings } from '../protocols/transfer-settings.js';

/** What the user sets: `--bwlimit` / `--stall-timeout`, or the window's settings. Absent fields are left as they are. */
export interface TransferOptions {
  /** A rate ("3M"), "off", or a timetable ("08:00,1M 18:00,off", "Mon-08:00,512K Fri-18:00,off"). */
  bwlimit?: string;
  /** Seconds without a byte moving before a request is abandoned as stalled (default 60). */
  stallTimeoutSec?: number;
}

export const MAX_STALL_TIMEOUT_SEC = 3600;

let processLimiter: BandwidthLimiter | undefined;

/** The limiter every request of this process goes through (the window shows its rate in force). */
export function processBandwidthLimiter(): BandwidthLimiter {
  if (!processLimiter) {
    processLimiter = new BandwidthLimiter();
    useTransferSettings({ pacer: processLimiter });
  }
  return processLimiter;
}

/** The upload limit in force now (bytes per second), null when none: for the window's app state. Creates nothing. */
export function currentBandwidthLimitBytesPerSec(): number | null {
  return processLimiter?.currentBytesPerSec() ?? null;
}

/**
 * Applies the options to this process at once, uploads already running included (a new stall timeout applies from their
 * next request). Throws an `invalid-argument` HoistError, changing nothing, when a value is not valid.
 */
export function applyTransferOptions(options: TransferOptions): void {
  const limit = options.bwlimit === undefined ? undefined : parseBandwidthLimit(options.bwlimit);
  const stallTimeoutSec = options.stallTimeoutSec;
  if (stallTimeoutSec !== undefined && !isValidStallTimeoutSec(stallTimeoutSec)) {
    throw new HoistError('invalid-argument', `the stall timeout must be a number of seconds from 1 to ${MAX_STALL_TIMEOUT_SEC}, got ${stallTimeoutSec}`);
  }
  if (limit) processBandwidthLimiter().setLimit(limit);
  if (stallTimeoutSec !== undefined) useTransferSettings({ stallTimeoutMs: Math.round(stallTimeoutSec * 1000) });
}

export function isValidStallTimeoutSec(seconds: number): boolean {
  return Number.isFinite(seconds) && seconds >= 1 && seconds <= MAX_STALL_TIMEOUT_SEC;
}
