import { describe, expect, it } from 'vitest';
import { DestinationGate } from '../../main/engine/destination-gate.js';
import type { EngineEvent } from '../../main/engine/engine-events.js';
import { decideRetry, DEFAULT_RETRY_POLICY } from '../../main/domain/backoff.js';
import { parseDuration } from '../../main/domain/duration.js';

const target = { host: '127.0.0.1', port: 9 };

function gate(answers: () => boolean) {
  const events: EngineEvent[] = [];
  let probes = 0;
  const g = new DestinationGate({
    nowMs: Date.now,
    rand: () => 0,
    probe: async () => {
      probes++;
      return answers();
    },
    events: (e) => events.push(e),
    probeEveryMs: 20,
  });
  return { g, events, probes: () => probes };
}

describe('destination gate', () => {
  it('calls a failure whose host still answers an ordinary one: nothing waits', async () => {
    const { g, events } = gate(() => true);
    expect(await g.confirmOutage(1, target, new AbortController().signal)).toBe(false);
    expect(events).toEqual([]);
    expect(g.heldDestinations()).toEqual(new Set());
    g.close();
  });

  it('holds a destination whose host does not answer until a probe gets through, then lets every waiter go', async () => {
    let isUp = false;
    const { g, events, probes } = gate(() => isUp);
    const first = g.confirmOutage(7, target, new AbortController().signal);
    await expect.poll(() => probes()).toBeGreaterThanOrEqual(2);
    expect(g.heldDestinations()).toEqual(new Set([7]));
    const second = g.whenOpen(7, new AbortController().signal);
    expect(events).toEqual([{ type: 'destination-waiting', destinationId: 7, sinceMs: expect.any(Number) }]);
    isUp = true;
    expect(await first).toBe(true);
    await second;
    expect(events.at(-1)).toEqual({ type: 'destination-online', destinationId: 7 });
    expect(g.heldDestinations()).toEqual(new Set());
    g.close();
  });

  it('probes at once on a wake from sleep, and a pause ends the wait with its reason', async () => {
    let isUp = false;
    const { g, probes } = gate(() => isUp);
    const controller = new AbortController();
    const waiting = g.confirmOutage(3, target, controller.signal);
    await expect.poll(() => g.heldDestinations().has(3)).toBe(true);
    controller.abort(new Error('paused'));
    await expect(waiting).rejects.toThrow('paused');
    isUp = true;
    const before = probes();
    g.probeNow();
    await expect.poll(() => g.heldDestinations().has(3)).toBe(false);
    expect(probes()).toBe(before + 1);
    g.close();
  });

  it('holds a rate-limited destination until the time the server gave', async () => {
    const { g, events } = gate(() => true);
    const untilMs = Date.now() + 150;
    g.rateLimit(2, untilMs);
    expect(g.heldDestinations()).toEqual(new Set([2]));
    await g.whenOpen(2, new AbortController().signal);
    expect(Date.now()).toBeGreaterThanOrEqual(untilMs);
    expect(events).toEqual([{ type: 'destination-rate-limited', destinationId: 2, untilMs }]);
    g.close();
  });
});

describe('replies that make no sense', () => {
  it('are retried twice, quickly, then the job gives up', () => {
    const failure = { kind: 'malformed' as const, reason: 'the server sent a malformed upload session status' };
    expect(decideRetry(failure, { attempts: 0, rateLimited: 0, sessionRestarts: 0, malformed: 1 }, () => 0.5, DEFAULT_RETRY_POLICY)).toEqual({ action: 'wait', delayMs: 1_000 });
    expect(decideRetry(failure, { attempts: 0, rateLimited: 0, sessionRestarts: 0, malformed: 2 }, () => 0.5, DEFAULT_RETRY_POLICY).action).toBe('wait');
    expect(decideRetry(failure, { attempts: 0, rateLimited: 0, sessionRestarts: 0, malformed: 3 }, () => 0.5, DEFAULT_RETRY_POLICY)).toEqual({ action: 'give-up', reason: failure.reason });
  });
});

describe('durations (hoist pause --all --for)', () => {
  it('reads hours, minutes, seconds and days, alone or together', () => {
    expect(parseDuration('2h')).toEqual({ ms: 7_200_000 });
    expect(parseDuration('1h30m')).toEqual({ ms: 5_400_000 });
    expect(parseDuration('45s')).toEqual({ ms: 45_000 });
    expect(parseDuration('1d')).toEqual({ ms: 86_400_000 });
    expect(parseDuration('1.5h')).toEqual({ ms: 5_400_000 });
  });
  it('refuses anything else with a sentence', () => {
    expect(parseDuration('2 hours')).toEqual({ error: '"2 hours" is not a duration; write it like 30m, 2h or 1h30m' });
    expect(parseDuration('')).toHaveProperty('error');
    expect(parseDuration('0m')).toEqual({ error: '"0m" is not a duration longer than zero' });
  });
});
