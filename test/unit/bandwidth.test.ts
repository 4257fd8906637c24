import { describe, expect, it } from 'vitest';
import { parseBandwidthLimit, rateInForce } from '../../main/domain/bandwidth-limit.js';
import { formatRate, parseRate } from '../../main/domain/bandwidth-rate.js';
import { changeRate, fullBucket, takeTokens, type TokenBucket } from '../../main/domain/token-bucket.js';
import { BandwidthLimiter, type LimiterClock } from '../../main/engine/bandwidth-limiter.js';
import { applyTransferOptions, currentBandwidthLimitBytesPerSec } from '../../main/app/transfer-options.js';
import { DEFAULT_STALL_TIMEOUT_MS, defaultTransferSettings, useTransferSettings } from '../../main/protocols/transfer-settings.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SLICE = 64 * KiB;

/** Grants `slice`-byte takes back to back for `durationMs` of simulated time; returns when each was granted. */
function drive(bucket: TokenBucket, slice: number, durationMs: number, startMs = 0): { grantsAtMs: number[]; bucket: TokenBucket } {
  const grantsAtMs: number[] = [];
  let nowMs = startMs;
  for (let step = 0; step < 1_000_000 && nowMs < startMs + durationMs; step++) {
    const taken = takeTokens(bucket, slice, nowMs);
    bucket = taken.bucket;
    if (taken.isGranted) grantsAtMs.push(nowMs);
    else nowMs += taken.waitMs;
  }
  return { grantsAtMs, bucket };
}

function maxBytesInWindow(grantsAtMs: number[], slice: number, windowMs: number): number {
  let max = 0;
  for (let i = 0, j = 0; i < grantsAtMs.length; i++) {
    while (grantsAtMs[j]! <= grantsAtMs[i]! - windowMs) j++;
    max = Math.max(max, (i - j + 1) * slice);
  }
  return max;
}

describe('token bucket', () => {
  it('holds the rate over many takes', () => {
    const rate = 3 * MiB;
    const { grantsAtMs } = drive(fullBucket(rate, 0), SLICE, 20_000);
    const sent = grantsAtMs.length * SLICE;
    // 20 s at 3 MiB/s plus the initial quarter-second burst, to within one slice.
    expect(sent).toBeGreaterThanOrEqual(20 * rate);
    expect(sent).toBeLessThanOrEqual(20 * rate + rate / 4 + SLICE);
  });

  it('bounds the burst: a quarter second of the rate after idling, never a 2-second window far above the rate', () => {
    const rate = 1 * MiB;
    const bucket = fullBucket(rate, 0);
    expect(bucket.capacityBytes).toBe(256 * KiB);
    const { grantsAtMs, bucket: after } = drive(bucket, SLICE, 5_000);
    // Idle for a minute: only the capacity accumulates.
    const idle = takeTokens(after, 0, 65_000).bucket;
    expect(idle.tokens).toBe(256 * KiB);
    const later = drive(idle, SLICE, 5_000, 65_000).grantsAtMs;
    for (const grants of [grantsAtMs, later]) expect(maxBytesInWindow(grants, SLICE, 2_000)).toBeLessThanOrEqual(2 * rate + rate / 4 + SLICE);
  });

  it('lets a take larger than the capacity through from a full bucket and makes the next one wait it off', () => {
    const bucket = fullBucket(4 * KiB, 0);
    const big = takeTokens(bucket, SLICE, 0);
    expect(big.isGranted).toBe(true);
    const next = takeTokens(big.bucket, 1 * KiB, 0);
    // Capacity 1 KiB: the 63 KiB overdraft plus the 1 KiB asked for, at 4 KiB/s.
    expect(next).toMatchObject({ isGranted: false, waitMs: 16_000 });
  });

  it('changes the rate keeping what was earned, up to the new capacity', () => {
    const slow = changeRate(fullBucket(4 * MiB, 0), 1 * MiB, 0);
    expect(slow).toMatchObject({ bytesPerSec: 1 * MiB, capacityBytes: 256 * KiB, tokens: 256 * KiB });
    const emptied = takeTokens(slow, 256 * KiB, 0).bucket;
    const fast = changeRate(emptied, 8 * MiB, 100);
    expect(fast.tokens).toBeCloseTo(0.1 * MiB, 0);
    const { grantsAtMs } = drive(fast, SLICE, 10_000, 100);
    expect(grantsAtMs.length * SLICE).toBeGreaterThanOrEqual(80 * MiB - SLICE);
    expect(grantsAtMs.length * SLICE).toBeLessThanOrEqual(80 * MiB + 0.1 * MiB + SLICE);
  });
});

describe('rate parser', () => {
  it('reads binary units and off', () => {
    expect(parseRate('512K')).toBe(512 * KiB);
    expect(parseRate('3M')).toBe(3 * MiB);
    expect(parseRate('1.5G')).toBe(1.5 * 1024 * MiB);
    expect(parseRate('512k')).toBe(512 * KiB);
    expect(parseRate('3MiB')).toBe(3 * MiB);
    expect(parseRate(' off ')).toBeNull();
    expect(parseRate('OFF')).toBeNull();
    expect(parseBandwidthLimit('3M')).toEqual({ kind: 'rate', bytesPerSec: 3 * MiB });
    expect(parseBandwidthLimit('off')).toEqual({ kind: 'off' });
    expect(formatRate(3 * MiB)).toBe('3 MiB/s');
    expect(formatRate(1.5 * 1024 * MiB)).toBe('1.5 GiB/s');
  });

  it('refuses anything else with one sentence', () => {
    const error = (text: string) => {
      try {
        parseBandwidthLimit(text);
      } catch (caught) {
        expect((caught as { code?: string }).code).toBe('invalid-argument');
        return (caught as Error).message;
      }
      throw new Error(`"${text}" was accepted`);
    };
    const forms = 'give a rate such as 512K, 3M or 1.5G (bytes per second; binary units: K = 1024, M = 1024 K, G = 1024 M), off, or a timetable such as "08:00,1M 18:00,off"';
    expect(error('3Q')).toBe(`"3Q" is not a bandwidth limit: ${forms}`);
    expect(error('fast')).toBe(`"fast" is not a bandwidth limit: ${forms}`);
    expect(error('-1M')).toBe(`"-1M" is not a bandwidth limit: ${forms}`);
    expect(error('512')).toBe('"512" has no unit: write 512K for 512 KiB/s, or 512M for 512 MiB/s');
    expect(error('0.5K')).toBe('"0.5K" is below the lowest limit, 1K (1024 bytes per second); use off for no limit');
    expect(error('  ')).toBe('the bandwidth limit is empty: give a rate such as 3M, off, or a timetable such as "08:00,1M 18:00,off"');
    expect(error('25:00,1M')).toBe('"25:00,1M" is not a timetable entry: write HH:MM,RATE or Day-HH:MM,RATE, such as 08:00,1M or Mon-08:00,512K');
    expect(error('Xyz-08:00,1M')).toBe('"Xyz-08:00,1M" is not a timetable entry: write HH:MM,RATE or Day-HH:MM,RATE, such as 08:00,1M or Mon-08:00,512K');
    expect(error('08:00,3Q')).toBe(`in the timetable entry "08:00,3Q", "3Q" is not a bandwidth limit: ${forms}`);
    expect(error('08:00,1M 08:00,2M')).toBe('the timetable sets 08:00 twice');
  });
});

/** Local time (the timetable is in local time): 2024-01-01 is a Monday. */
const at = (day: number, hours: number, minutes = 0, seconds = 0) => new Date(2024, 0, day, hours, minutes, seconds).getTime();

describe('timetable', () => {
  const daily = parseBandwidthLimit('08:00,1M 18:00,off');

  it('gives the rate in force at a local time and when it next changes', () => {
    expect(rateInForce(daily, at(3, 7, 59, 59))).toEqual({ bytesPerSec: null, untilMs: at(3, 8) });
    expect(rateInForce(daily, at(3, 8))).toEqual({ bytesPerSec: MiB, untilMs: at(3, 18) });
    expect(rateInForce(daily, at(3, 12, 30))).toEqual({ bytesPerSec: MiB, untilMs: at(3, 18) });
    // From 18:00 the limit is off until 08:00 the next morning.
    expect(rateInForce(daily, at(3, 18))).toEqual({ bytesPerSec: null, untilMs: at(4, 8) });
    expect(rateInForce(daily, at(3, 23, 30))).toEqual({ bytesPerSec: null, untilMs: at(4, 8) });
  });

  it('carries a slot across midnight', () => {
    const nightly = parseBandwidthLimit('22:00,512K 06:00,off');
    expect(rateInForce(nightly, at(5, 23))).toEqual({ bytesPerSec: 512 * KiB, untilMs: at(6, 6) });
    expect(rateInForce(nightly, at(6, 2))).toEqual({ bytesPerSec: 512 * KiB, untilMs: at(6, 6) });
    expect(rateInForce(nightly, at(6, 6))).toEqual({ bytesPerSec: null, untilMs: at(6, 22) });
    // Sunday night into Monday: the week wraps.
    expect(rateInForce(nightly, at(7, 23, 59))).toEqual({ bytesPerSec: 512 * KiB, untilMs: at(8, 6) });
  });

  it('supports rclone\'s day-of-week form, with day-less entries applying to every day', () => {
    const weekly = parseBandwidthLimit('Mon-08:00,512K Fri-18:00,off');
    expect(rateInForce(weekly, at(3, 12))).toEqual({ bytesPerSec: 512 * KiB, untilMs: at(5, 18) });
    expect(rateInForce(weekly, at(6, 12))).toEqual({ bytesPerSec: null, untilMs: at(8, 8) });
    // Monday before 08:00 is still last Friday's "off".
    expect(rateInForce(weekly, at(8, 7))).toEqual({ bytesPerSec: null, untilMs: at(8, 8) });
    const mixed = parseBandwidthLimit('Mon-00:00,512K 12:00,1M sunday-20:00,off');
    expect(rateInForce(mixed, at(1, 9))).toEqual({ bytesPerSec: 512 * KiB, untilMs: at(1, 12) });
    expect(rateInForce(mixed, at(3, 13))).toEqual({ bytesPerSec: MiB, untilMs: at(7, 20) });
    expect(rateInForce(mixed, at(7, 21))).toEqual({ bytesPerSec: null, untilMs: at(8, 0) });
  });

  it('never changes when every slot has the same rate', () => {
    expect(rateInForce(parseBandwidthLimit('08:00,1M 18:00,1M'), at(2, 9))).toEqual({ bytesPerSec: MiB, untilMs: null });
  });
});

class FakeClock implements LimiterClock {
  now = 0;
  private readonly timers = new Map<number, { atMs: number; run: () => void }>();
  private nextId = 1;
  nowMs = (): number => this.now;
  setTimer = (run: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { atMs: this.now + ms, run });
    return id;
  };
  clearTimer = (handle: unknown): void => void this.timers.delete(handle as number);
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Lets promise chains run, then fires the earliest timer, until `isDone` (bounded). */
  async runUntil(isDone: () => boolean, maxSteps = 100_000): Promise<void> {
    for (let step = 0; step < maxSteps; step++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (isDone()) return;
      const [id, next] = [...this.timers].sort((a, b) => a[1].atMs - b[1].atMs)[0] ?? [];
      if (id === undefined || !next) throw new Error('nothing left to run and not done');
      this.timers.delete(id);
      this.now = Math.max(this.now, next.atMs);
      next.run();
    }
    throw new Error(`not done after ${maxSteps} steps`);
  }

  /** Fires the timers due up to `targetMs` (in order), then stops the clock there. */
  async advanceTo(targetMs: number, maxSteps = 100_000): Promise<void> {
    for (let step = 0; step < maxSteps; step++) {
      await new Promise((resolve) => setImmediate(resolve));
      const [id, next] = [...this.timers].sort((a, b) => a[1].atMs - b[1].atMs)[0] ?? [];
      if (id === undefined || !next || next.atMs > targetMs) {
        this.now = targetMs;
        return;
      }
      this.timers.delete(id);
      this.now = Math.max(this.now, next.atMs);
      next.run();
    }
    throw new Error(`not at ${targetMs} after ${maxSteps} steps`);
  }
}

describe('bandwidth limiter', () => {
  const sender = (limiter: BandwidthLimiter, clock: FakeClock, totalBytes: number, signal = new AbortController().signal) => {
    const state = { doneAtMs: undefined as number | undefined, error: undefined as unknown };
    void (async () => {
      for (let sent = 0; sent < totalBytes; sent += SLICE) await limiter.take(SLICE, signal);
      state.doneAtMs = clock.now;
    })().catch((error: unknown) => (state.error = error));
    return state;
  };

  it('shares one rate among concurrent requests, first come first served, and leaves no timer behind', async () => {
    const clock = new FakeClock();
    const limiter = new BandwidthLimiter(clock);
    limiter.setLimit(parseBandwidthLimit('2M'));
    expect(limiter.sliceBytes()).toBe(SLICE);
    const senders = [0, 1, 2, 3].map(() => sender(limiter, clock, 2 * MiB));
    await clock.runUntil(() => senders.every((s) => s.doneAtMs !== undefined));
    // 8 MiB at 2 MiB/s, less the quarter-second burst.
    const lastMs = Math.max(...senders.map((s) => s.doneAtMs!));
    expect(lastMs).toBeGreaterThanOrEqual(3_700);
    expect(lastMs).toBeLessThanOrEqual(3_800);
    // Interleaved, not one after the other: everyone finishes in the last tenth.
    expect(Math.min(...senders.map((s) => s.doneAtMs!))).toBeGreaterThan(lastMs * 0.9);
    expect(limiter.hasTimer).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets everything through at once without a limit, and uses no timer', async () => {
    const clock = new FakeClock();
    const limiter = new BandwidthLimiter(clock);
    expect(limiter.sliceBytes()).toBe(0);
    expect(limiter.currentBytesPerSec()).toBeNull();
    const s = sender(limiter, clock, 64 * MiB);
    await clock.runUntil(() => s.doneAtMs !== undefined);
    expect(s.doneAtMs).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('applies a new limit to requests already waiting', async () => {
    const clock = new FakeClock();
    const limiter = new BandwidthLimiter(clock);
    limiter.setLimit(parseBandwidthLimit('1K'));
    const s = sender(limiter, clock, 4 * MiB);
    await clock.advanceTo(2_000);
    expect(s.doneAtMs).toBeUndefined();
    limiter.setLimit(parseBandwidthLimit('4M'));
    await clock.runUntil(() => s.doneAtMs !== undefined);
    // About a second at 4 MiB/s once the new limit applies.
    expect(s.doneAtMs!).toBeLessThan(2_000 + 1_100);
    limiter.setLimit(parseBandwidthLimit('1K'));
    const t = sender(limiter, clock, 4 * MiB);
    await clock.advanceTo(clock.now + 3_000);
    expect(t.doneAtMs).toBeUndefined();
    limiter.setLimit(parseBandwidthLimit('off'));
    await clock.runUntil(() => t.doneAtMs !== undefined);
    expect(t.doneAtMs).toBe(clock.now);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a waiting take with the abort reason and stops its timer', async () => {
    const clock = new FakeClock();
    const limiter = new BandwidthLimiter(clock);
    limiter.setLimit(parseBandwidthLimit('1K'));
    const controller = new AbortController();
    const s = sender(limiter, clock, MiB, controller.signal);
    await clock.advanceTo(1_000);
    const pause = new Error('paused');
    controller.abort(pause);
    await clock.runUntil(() => s.error !== undefined);
    expect(s.error).toBe(pause);
    expect(limiter.hasTimer).toBe(false);
    await expect(limiter.take(1, controller.signal)).rejects.toBe(pause);
  });

  it('follows a timetable: the limit lifts at its boundary even while a request waits', async () => {
    const clock = new FakeClock();
    clock.now = at(2, 8, 59, 50);
    const limiter = new BandwidthLimiter(clock);
    limiter.setLimit(parseBandwidthLimit('08:00,1K 09:00,off'));
    expect(limiter.currentBytesPerSec()).toBe(1024);
    expect(limiter.sliceBytes()).toBe(256);
    const s = sender(limiter, clock, 1 * MiB);
    await clock.runUntil(() => s.doneAtMs !== undefined);
    expect(s.doneAtMs).toBe(at(2, 9));
    expect(limiter.currentBytesPerSec()).toBeNull();
    expect(limiter.sliceBytes()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('applying --bwlimit / --stall-timeout to the process', () => {
  it('sets the shared limiter and the stall timeout, and changes nothing when a value is invalid', () => {
    const before = defaultTransferSettings();
    expect(before.stallTimeoutMs).toBe(DEFAULT_STALL_TIMEOUT_MS);
    expect(before.pacer.sliceBytes()).toBe(0);
    expect(currentBandwidthLimitBytesPerSec()).toBeNull();
    try {
      applyTransferOptions({ bwlimit: '3M', stallTimeoutSec: 5 });
      expect(defaultTransferSettings().stallTimeoutMs).toBe(5_000);
      expect(defaultTransferSettings().pacer.sliceBytes()).toBe(SLICE);
      expect(currentBandwidthLimitBytesPerSec()).toBe(3 * MiB);
      expect(() => applyTransferOptions({ bwlimit: '1M', stallTimeoutSec: 0 })).toThrow('the stall timeout must be a number of seconds from 1 to 3600, got 0');
      expect(() => applyTransferOptions({ bwlimit: 'fast', stallTimeoutSec: 9 })).toThrow(/"fast" is not a bandwidth limit/);
      expect(currentBandwidthLimitBytesPerSec()).toBe(3 * MiB);
      expect(defaultTransferSettings().stallTimeoutMs).toBe(5_000);
      applyTransferOptions({ bwlimit: 'off' });
      expect(defaultTransferSettings().pacer.sliceBytes()).toBe(0);
      expect(defaultTransferSettings().stallTimeoutMs).toBe(5_000);
    } finally {
      useTransferSettings(before);
    }
  });
});
