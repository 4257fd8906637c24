/**
 * Fault injection shared by every emulator. A test adds rules; each emulator calls `take(op, method)` once per request
 * (op is the emulator's name for the operation, e.g. 'graph.put', 'box.part', 'apideck.part') and performs the returned action.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type FaultAction =
  /**
   * Answer with this status (and Retry-After seconds when given) without touching state. `isBodyless` sends no body at
   * all, as Box's 202 on commit (protocols.md §1.4); otherwise `body`, or the emulator's error body for the status.
   */
  | { type: 'status'; status: number; retryAfterSec?: number; body?: unknown; isBodyless?: boolean }
  /** Destroy the socket before reading the body: the client sees a connection reset. */
  | { type: 'reset' }
  /** Read this many body bytes, then destroy the socket (nothing of the request is applied). */
  | { type: 'reset-mid-body'; afterBytes: number }
  /** Apply the request normally, then answer with this status instead of the real reply (server did the work, client thinks it failed). */
  | { type: 'apply-then-fail'; status: number; retryAfterSec?: number }
  /** Apply the request normally, then answer 200 with a body that is not JSON. */
  | { type: 'malformed-json' }
  /**
   * Latency. 'before-body' (the default): hold the request this long before handling it (nothing of the body is read
   * meanwhile). 'after-body': handle the request and read its whole body as usual, then hold the reply this long: the
   * round trip of a distant server, paid once per request after its bytes have gone.
   */
  | { type: 'delay'; ms: number; phase?: 'before-body' | 'after-body' }
  /** Read this many body bytes (default 0), then stop reading and never answer: the client sees no progress at all. */
  | { type: 'stall'; afterBytes?: number };

export interface FaultRule {
  /** Operation name as the emulator reports it; '*' matches every operation. */
  op: string;
  /** Fire on the nth matching request (1-based), counted from when the rule was added. Default 1. */
  nth?: number;
  /** How many consecutive matching requests fire once started. Default 1. Infinity for "until cleared". */
  times?: number;
  action: FaultAction;
}

interface ArmedRule extends FaultRule {
  seen: number;
  fired: number;
}

export class FaultInjector {
  private rules: ArmedRule[] = [];
  /** Log of fired faults, for assertions. */
  readonly fired: Array<{ op: string; action: FaultAction['type'] }> = [];

  add(rule: FaultRule): this {
    this.rules.push({ ...rule, seen: 0, fired: 0 });
    return this;
  }

  clear(): void {
    this.rules = [];
  }

  /** Called once per request; returns the action to perform, if any rule fires. */
  take(op: string): FaultAction | undefined {
    for (const rule of this.rules) {
      if (rule.op !== '*' && rule.op !== op) continue;
      rule.seen += 1;
      const nth = rule.nth ?? 1;
      const times = rule.times ?? 1;
      if (rule.seen >= nth && rule.fired < times) {
        rule.fired += 1;
        this.fired.push({ op, action: rule.action.type });
        return rule.action;
      }
    }
    return undefined;
  }
}

/** The reply hold of an 'after-body' delay (0 for every other action). */
export function replyDelayMs(action: FaultAction | undefined): number {
  return action?.type === 'delay' && action.phase === 'after-body' ? action.ms : 0;
}

/** The hold before handling of a 'before-body' delay (0 for every other action). */
export function requestDelayMs(action: FaultAction | undefined): number {
  return action?.type === 'delay' && action.phase !== 'after-body' ? action.ms : 0;
}

/** Sends a fault that does not depend on request processing. Returns true when the response was handled. */
export function sendEarlyFault(
  action: FaultAction | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  errorBody: (status: number) => unknown,
): boolean {
  if (!action) return false;
  switch (action.type) {
    case 'status': {
      const headers: Record<string, string> = action.isBodyless ? {} : { 'content-type': 'application/json' };
      if (action.retryAfterSec !== undefined) headers['retry-after'] = String(action.retryAfterSec);
      req.resume();
      res.writeHead(action.status, headers).end(action.isBodyless ? undefined : JSON.stringify(action.body ?? errorBody(action.status)));
      return true;
    }
    case 'reset':
      req.socket.destroy();
      return true;
    case 'reset-mid-body': {
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= action.afterBytes) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return true;
    }
    case 'stall': {
      const afterBytes = action.afterBytes ?? 0;
      let seen = 0;
      if (afterBytes <= 0) req.pause();
      else {
        req.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen >= afterBytes) req.pause();
        });
      }
      return true;
    }
    case 'apply-then-fail':
    case 'malformed-json':
    case 'delay':
      return false;
  }
}

/** `bytes` of some request body were read at `atMs` (Date.now()). */
export interface ByteArrival {
  atMs: number;
  bytes: number;
}

/** Caps the rate at which a request body is consumed (bytes per second), shared across all requests of one emulator. */
export class ThroughputCap {
  private nextFreeMs = 0;
  /** Every body chunk read since `recordArrivals` (rate assertions measured on the server side). */
  private arrivals: ByteArrival[] | undefined;
  constructor(public bytesPerSec: number | undefined) {}

  /** Starts a fresh record of body bytes as they are read; the returned array keeps filling. */
  recordArrivals(): ByteArrival[] {
    this.arrivals = [];
    return this.arrivals;
  }

  /** Delay (ms) to wait before accepting `bytes` more bytes. */
  reserve(bytes: number, nowMs: number): number {
    this.arrivals?.push({ atMs: nowMs, bytes });
    if (!this.bytesPerSec) return 0;
    const start = Math.max(nowMs, this.nextFreeMs);
    this.nextFreeMs = start + (bytes / this.bytesPerSec) * 1000;
    return Math.max(0, start - nowMs);
  }
}
