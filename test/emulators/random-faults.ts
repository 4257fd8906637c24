/**
 * Random faults for soak tests: about `rate` of all requests get a fault drawn from a fixed mix, from a seeded
 * generator. Every fault here leaves the server untouched (the request never reaches it, or reaches it late), so a
 * client that retries correctly ends with exactly what it would have without faults. Bounded: one request (same
 * method, URL and byte range) is faulted at most `maxPerRequest` times, then always let through.
 */
import type { IncomingMessage } from 'node:http';
import type { FaultAction } from './faults.js';
import { randomIntIn, seededRandom, type Rand } from './seeded-random.js';

export interface RandomFaultOptions {
  seed: number;
  /** Share of requests faulted, 0 to 1. Default 0.1. */
  rate?: number;
  /** Faults one request gets at most before it goes through. Default 2. */
  maxPerRequest?: number;
  /**
   * Which requests may stall (read nothing more, never answer). Default none: a stall only ends when the client gives
   * up, so allow it only where the client's stall timeout is short (`--stall-timeout`).
   */
  canStall?: (req: IncomingMessage) => boolean;
}

/** The mix of faulted requests, by weight; a stall the request may not get becomes a reset. */
const MIX: Array<{ weight: number; draw: (rand: Rand, bodyBytes: number) => FaultAction }> = [
  { weight: 3, draw: (rand, bodyBytes) => ({ type: 'reset-mid-body', afterBytes: Math.floor(rand() * Math.min(bodyBytes, 4 * 1024 * 1024)) }) },
  { weight: 2, draw: () => ({ type: 'status', status: 500 }) },
  { weight: 2, draw: () => ({ type: 'status', status: 503, retryAfterSec: 1 }) },
  { weight: 2, draw: (rand) => ({ type: 'delay', ms: randomIntIn(rand, 100, 1_500) }) },
  { weight: 1, draw: (rand, bodyBytes) => ({ type: 'stall', afterBytes: Math.floor(rand() * Math.min(bodyBytes, 1024 * 1024)) }) },
];
const TOTAL_WEIGHT = MIX.reduce((sum, m) => sum + m.weight, 0);

export interface RandomFault {
  op: string;
  key: string;
  action: FaultAction;
}

export class RandomFaults {
  /** Every fault drawn, in order. */
  readonly fired: RandomFault[] = [];
  private readonly rand: Rand;
  private readonly rate: number;
  private readonly maxPerRequest: number;
  private readonly canStall: (req: IncomingMessage) => boolean;
  private readonly faultsPerKey = new Map<string, number>();

  constructor(options: RandomFaultOptions) {
    this.rand = seededRandom(options.seed);
    this.rate = options.rate ?? 0.1;
    this.maxPerRequest = options.maxPerRequest ?? 2;
    this.canStall = options.canStall ?? (() => false);
  }

  /** Called once per request: the fault to perform, if this one is drawn. */
  take(op: string, req: IncomingMessage): FaultAction | undefined {
    // Both draws happen for every request, so the sequence of choices depends on the seed and the request count only.
    const isFaulted = this.rand() < this.rate;
    const pick = this.rand() * TOTAL_WEIGHT;
    const detail = this.rand();
    const key = requestKey(req);
    const seen = this.faultsPerKey.get(key) ?? 0;
    if (!isFaulted || seen >= this.maxPerRequest) return undefined;
    this.faultsPerKey.set(key, seen + 1);
    const bodyBytes = Number(req.headers['content-length'] ?? 0) || 0;
    let at = pick;
    let choice = MIX[MIX.length - 1]!;
    for (const entry of MIX) {
      at -= entry.weight;
      if (at < 0) {
        choice = entry;
        break;
      }
    }
    let action = choice.draw(() => detail, bodyBytes);
    if (action.type === 'stall' && !this.canStall(req)) action = MIX[0]!.draw(() => detail, bodyBytes);
    this.fired.push({ op, key, action });
    return action;
  }

  /** How many faults of each kind fired. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { action } of this.fired) {
      const name = action.type === 'status' ? `status-${action.status}` : action.type;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }
}

/** The same request sent again: same method and URL, and the same bytes (Content-Range, tus Upload-Offset). */
function requestKey(req: IncomingMessage): string {
  const range = req.headers['content-range'] ?? req.headers['upload-offset'] ?? '';
  return `${req.method ?? ''} ${req.url ?? ''} ${String(range)}`;
}
