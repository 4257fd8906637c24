import type { NetworkTarget } from '../domain/failure.js';
import type { EngineEventSink } from './engine-events.js';
import { sleepUnlessAborted } from '../protocols/abortable-sleep.js';

export interface DestinationGateDeps {
  nowMs: () => number;
  rand: () => number;
  /** Whether the host answers a fresh connection. */
  probe: (target: NetworkTarget, signal: AbortSignal) => Promise<boolean>;
  events: EngineEventSink;
  /** Probes of a waiting destination are this far apart, plus up to as much again of jitter. Default 1000 ms. */
  probeEveryMs?: number;
}

interface Outage {
  sinceMs: number;
  target: NetworkTarget;
  waiters: Set<() => void>;
  /** Ends the wait before the next probe (a wake from sleep: probe at once). */
  skipWait?: () => void;
}

/**
 * What holds a destination's whole queue, not one job: the network to it is down (waiting for network, probed every
 * second or two until the host answers), or its server asked us to slow down (rate limited until a time). Jobs of a
 * held destination do not start, and running ones wait before their next request; waiting is never a counted failure.
 */
export class DestinationGate {
  private readonly outages = new Map<number, Outage>();
  private readonly limitedUntil = new Map<number, number>();
  private readonly stop = new AbortController();

  constructor(private readonly deps: DestinationGateDeps) {}

  /** Destinations whose queue waits now (network or rate limit). */
  heldDestinations(): Set<number> {
    const nowMs = this.deps.nowMs();
    const held = new Set(this.outages.keys());
    for (const [id, untilMs] of this.limitedUntil) if (untilMs > nowMs) held.add(id);
    return held;
  }

  /**
   * A connection to `target` failed. When the host does not answer a fresh probe either, the destination waits for the
   * network: resolves true once the host answers again (the failure was an outage, not an attempt). Resolves false at
   * once when the host answers (an ordinary failure, counted and retried as usual). Rejects with the signal's reason.
   */
  async confirmOutage(destinationId: number, target: NetworkTarget, signal: AbortSignal): Promise<boolean> {
    if (!this.outages.has(destinationId)) {
      if (await this.deps.probe(target, signal)) return false;
      if (signal.aborted) throw signal.reason;
      if (!this.outages.has(destinationId)) this.startOutage(destinationId, target);
    }
    await this.whenOpen(destinationId, signal);
    return true;
  }

  /** The server asked to wait: nothing goes to this destination until then. */
  rateLimit(destinationId: number, untilMs: number): void {
    if ((this.limitedUntil.get(destinationId) ?? 0) >= untilMs) return;
    this.limitedUntil.set(destinationId, untilMs);
    this.deps.events({ type: 'destination-rate-limited', destinationId, untilMs });
  }

  /** Resolves when the destination's queue may go on (rejects with the signal's reason when it aborts first). */
  async whenOpen(destinationId: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const outage = this.outages.get(destinationId);
      if (outage) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            outage.waiters.delete(done);
            reject(signal.reason);
          };
          const done = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
          outage.waiters.add(done);
          signal.addEventListener('abort', onAbort, { once: true });
        });
        continue;
      }
      const untilMs = this.limitedUntil.get(destinationId) ?? 0;
      const waitMs = untilMs - this.deps.nowMs();
      if (waitMs <= 0) return;
      await sleepUnlessAborted(waitMs, signal);
    }
  }

  /** Probe every waiting destination now (the machine woke from sleep, the network came back). */
  probeNow(): void {
    for (const outage of this.outages.values()) outage.skipWait?.();
  }

  close(): void {
    this.stop.abort();
  }

  private startOutage(destinationId: number, target: NetworkTarget): void {
    const outage: Outage = { sinceMs: this.deps.nowMs(), target, waiters: new Set() };
    this.outages.set(destinationId, outage);
    this.deps.events({ type: 'destination-waiting', destinationId, sinceMs: outage.sinceMs });
    void this.probeUntilUp(destinationId, outage);
  }

  private async probeUntilUp(destinationId: number, outage: Outage): Promise<void> {
    const every = this.deps.probeEveryMs ?? 1_000;
    const signal = this.stop.signal;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, every + Math.round(every * this.deps.rand()));
        signal.addEventListener('abort', finish, { once: true });
        outage.skipWait = finish;
        function finish() {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          resolve();
        }
      });
      if (signal.aborted || !(await this.deps.probe(outage.target, signal))) continue;
      this.outages.delete(destinationId);
      this.deps.events({ type: 'destination-online', destinationId });
      for (const wake of outage.waiters) wake();
      return;
    }
  }
}
