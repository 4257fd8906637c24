import { NO_BANDWIDTH_LIMIT, rateInForce, type BandwidthLimit } from '../domain/bandwidth-limit.js';
import { changeRate, fullBucket, takeTokens, type TokenBucket } from '../domain/token-bucket.js';
import { MAX_PACED_SLICE_BYTES, type BytePacer } from '../protocols/transfer-settings.js';

/** The clock and timers of the limiter; tests pass fake ones. */
export interface LimiterClock {
  nowMs(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realClock: LimiterClock = {
  nowMs: Date.now,
  setTimer: (run, ms) => setTimeout(run, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Waiter {
  bytes: number;
  signal: AbortSignal;
  resolve: () => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
}

/**
 * One token bucket shared by every upload request of the process (see domain/token-bucket.ts for the arithmetic).
 * Requests take tokens first come, first served; a timer runs only while someone waits. A timetable is looked at again
 * when its current slot ends (lazily, on the next take), and a waiter's timer never sleeps past that boundary.
 */
export class BandwidthLimiter implements BytePacer {
  private limit: BandwidthLimit = NO_BANDWIDTH_LIMIT;
  private bytesPerSec: number | null = null;
  private rateUntilMs: number | null = null;
  private bucket: TokenBucket | undefined;
  private readonly waiters: Waiter[] = [];
  private timer: unknown;

  constructor(private readonly clock: LimiterClock = realClock) {}

  /** Takes effect at once, for requests already running too. */
  setLimit(limit: BandwidthLimit): void {
    this.limit = limit;
    this.refreshRate(this.clock.nowMs(), true);
    this.pump();
  }

  /** The rate in force now; null when unlimited. */
  currentBytesPerSec(): number | null {
    this.refreshRate(this.clock.nowMs());
    return this.bytesPerSec;
  }

  sliceBytes(): number {
    this.refreshRate(this.clock.nowMs());
    return this.bucket ? Math.min(MAX_PACED_SLICE_BYTES, this.bucket.capacityBytes) : 0;
  }

  take(bytes: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const nowMs = this.clock.nowMs();
    this.refreshRate(nowMs);
    if (!this.bucket) return Promise.resolve();
    if (this.waiters.length === 0) {
      const taken = takeTokens(this.bucket, bytes, nowMs);
      this.bucket = taken.bucket;
      if (taken.isGranted) return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(signal.reason);
          this.pump();
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      if (this.waiters.length === 1) this.pump();
    });
  }

  /** Whether a timer is running (tests: none is left behind when nobody waits). */
  get hasTimer(): boolean {
    return this.timer !== undefined;
  }

  private pump(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    const nowMs = this.clock.nowMs();
    this.refreshRate(nowMs);
    while (this.waiters.length > 0) {
      const head = this.waiters[0]!;
      let waitMs = 0;
      if (this.bucket) {
        const taken = takeTokens(this.bucket, head.bytes, nowMs);
        this.bucket = taken.bucket;
        if (!taken.isGranted) waitMs = taken.waitMs;
      }
      if (waitMs > 0) {
        if (this.rateUntilMs !== null) waitMs = Math.max(1, Math.min(waitMs, this.rateUntilMs - nowMs));
        this.timer = this.clock.setTimer(() => {
          this.timer = undefined;
          this.pump();
        }, waitMs);
        return;
      }
      this.waiters.shift();
      head.signal.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }

  private refreshRate(nowMs: number, isForced = false): void {
    if (!isForced && (this.rateUntilMs === null || nowMs < this.rateUntilMs)) return;
    const { bytesPerSec, untilMs } = rateInForce(this.limit, nowMs);
    this.rateUntilMs = untilMs;
    if (bytesPerSec === this.bytesPerSec) return;
    this.bytesPerSec = bytesPerSec;
    if (bytesPerSec === null) this.bucket = undefined;
    else this.bucket = this.bucket ? changeRate(this.bucket, bytesPerSec, nowMs) : fullBucket(bytesPerSec, nowMs);
  }
}
