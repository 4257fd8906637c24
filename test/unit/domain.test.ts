import { describe, expect, it } from 'vitest';
import { planParts, validateGraphFragmentBytes } from '../../main/domain/part-plan.js';
import { contiguousPrefixBytes, receivedFromMissing, reconcileParts } from '../../main/domain/reconcile.js';
import { backoffDelayMs, decideRetry, DEFAULT_RETRY_POLICY } from '../../main/domain/backoff.js';
import { classifyStatus, parseRetryAfterMs } from '../../main/domain/failure.js';
import { parseExpectedRanges, odataError } from '../../main/protocols/graph-replies.js';
import { addBytes, etaSeconds, newRate } from '../../main/domain/transfer-rate.js';
import type { PartRow } from '../../main/store/sessions-repo.js';

const part = (partIndex: number, offsetBytes: number, sizeBytes: number, state: 'pending' | 'done' = 'pending'): PartRow => ({
  sessionId: 1, partIndex, offsetBytes, sizeBytes, state, digest: null, serverReply: null, attempts: 0,
});

describe('part planning', () => {
  it('covers the file exactly with a short last part', () => {
    expect(planParts(0, 25, 10)).toEqual([
      { partIndex: 0, offsetBytes: 0, sizeBytes: 10 },
      { partIndex: 1, offsetBytes: 10, sizeBytes: 10 },
      { partIndex: 2, offsetBytes: 20, sizeBytes: 5 },
    ]);
    expect(planParts(0, 0, 10)).toEqual([]);
    expect(planParts(7, 20, 10, 3)).toEqual([
      { partIndex: 3, offsetBytes: 7, sizeBytes: 10 },
      { partIndex: 4, offsetBytes: 17, sizeBytes: 3 },
    ]);
  });

  it('accepts only Graph fragment sizes that are multiples of 320 KiB under 60 MiB', () => {
    expect(validateGraphFragmentBytes(10_485_760)).toBeUndefined();
    expect(validateGraphFragmentBytes(4_194_304)).toMatch(/327,680/);
    expect(validateGraphFragmentBytes(62_914_560)).toMatch(/60 MiB/);
    expect(validateGraphFragmentBytes(191 * 327_680)).toBeUndefined();
  });
});

describe('reconcile', () => {
  it('marks parts the server holds as done and parts it lost as pending again', () => {
    const parts = [part(0, 0, 10, 'done'), part(1, 10, 10), part(2, 20, 10, 'done')];
    const r = reconcileParts(parts, [{ startBytes: 0, endBytes: 20 }]);
    expect(r.newlyDone).toEqual([1]);
    expect(r.lost).toEqual([2]);
  });

  it('turns Graph nextExpectedRanges into what the server holds', () => {
    const missing = parseExpectedRanges(['12345-55232', '77829-99375'], 100_000)!;
    expect(missing).toEqual([{ startBytes: 12345, endBytes: 55233 }, { startBytes: 77829, endBytes: 99376 }]);
    expect(receivedFromMissing(missing, 100_000)).toEqual([{ startBytes: 0, endBytes: 12345 }, { startBytes: 55233, endBytes: 77829 }]);
    expect(contiguousPrefixBytes(receivedFromMissing(missing, 100_000))).toBe(12345);
    expect(parseExpectedRanges(['26-'], 128)).toEqual([{ startBytes: 26, endBytes: 128 }]);
    expect(parseExpectedRanges(['2097152'], 3_000_000)).toEqual([{ startBytes: 2_097_152, endBytes: 3_000_000 }]);
    expect(parseExpectedRanges(['abc'], 10)).toBeUndefined();
    expect(parseExpectedRanges(['5-50'], 10)).toBeUndefined();
  });

  it('reads the most specific OData error code whatever the innerError casing', () => {
    const body = { error: { code: 'invalidRange', message: 'overlap', innererror: { code: 'fragmentOverlap' } } };
    expect(odataError(body).codes).toEqual(['invalidRange', 'fragmentOverlap']);
    expect(odataError({ error: { code: 'a', innerError: { code: 'b', innerError: { code: 'c' } } } }).codes).toEqual(['a', 'b', 'c']);
    expect(odataError('garbage').codes).toEqual([]);
  });
});

describe('retry decisions', () => {
  const policy = DEFAULT_RETRY_POLICY;
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelayMs(1, () => 0, policy)).toBe(500);
    expect(backoffDelayMs(1, () => 1, policy)).toBe(1000);
    expect(backoffDelayMs(4, () => 0, policy)).toBe(4000);
    expect(backoffDelayMs(30, () => 1, policy)).toBe(60_000);
  });

  it('honours Retry-After, never waiting less than asked', () => {
    const d = decideRetry({ kind: 'rate-limited', retryAfterMs: 7000, reason: '' }, { attempts: 0, rateLimited: 1, sessionRestarts: 0 }, () => 0.5, policy);
    expect(d).toEqual({ action: 'wait', delayMs: 7125 });
    expect(parseRetryAfterMs('3', 0)).toBe(3000);
    expect(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfterMs(undefined, 0)).toBeUndefined();
  });

  it('gives up after sustained failure, at once on fatal errors', () => {
    const counters = { attempts: policy.maxAttempts + 1, rateLimited: 0, sessionRestarts: 0 };
    expect(decideRetry({ kind: 'retry', reason: 'x' }, counters, () => 0, policy).action).toBe('give-up');
    expect(decideRetry({ kind: 'retry', reason: 'x' }, { ...counters, attempts: 2 }, () => 0, policy).action).toBe('wait');
    expect(decideRetry({ kind: 'fatal', code: 'c', reason: 'x' }, { ...counters, attempts: 1 }, () => 0, policy).action).toBe('give-up');
    expect(decideRetry({ kind: 'session-expired', reason: 'x' }, { attempts: 0, rateLimited: 0, sessionRestarts: 1 }, () => 0, policy)).toEqual({ action: 'new-session', delayMs: 0 });
  });

  it('classifies statuses', () => {
    expect(classifyStatus(503, 2000, 'r').kind).toBe('rate-limited');
    expect(classifyStatus(503, undefined, 'r').kind).toBe('retry');
    expect(classifyStatus(429, undefined, 'r')).toMatchObject({ kind: 'rate-limited', retryAfterMs: 5000 });
    expect(classifyStatus(401, undefined, 'r').kind).toBe('auth');
    expect(classifyStatus(400, undefined, 'r').kind).toBe('fatal');
  });
});

describe('transfer rate', () => {
  it('smooths speed and estimates time left', () => {
    let s = newRate(0);
    s = addBytes(s, 1_000_000, 1000);
    expect(s.bytesPerSec).toBe(1_000_000);
    s = addBytes(s, 0, 3000); // a stall halves the estimate over one half-life, it does not zero it
    expect(s.bytesPerSec).toBeGreaterThan(400_000);
    expect(s.bytesPerSec).toBeLessThan(600_000);
    expect(etaSeconds(1_000_000, s)).toBeGreaterThan(1);
    expect(etaSeconds(1, newRate(0))).toBeUndefined();
  });
});
