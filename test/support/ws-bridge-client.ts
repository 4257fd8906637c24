import WebSocket from 'ws';
import type { CommandArgs, CommandName, CommandResult } from '../../preload/contract/commands.js';
import type { HoistEvent } from '../../preload/contract/events.js';
import type { ServerMessage } from '../../preload/contract/wire.js';

/** A Node client of `hoist serve`'s bridge, speaking the contract's wire messages (what the browser tab does). */
export interface TestBridgeClient {
  call<K extends CommandName>(command: K, ...args: CommandArgs<K>): Promise<CommandResult<K>>;
  /** Sends any message, well-formed or not, and resolves with the result of `id` (for malformed-argument tests). */
  raw(message: unknown, id: number): Promise<ServerMessage>;
  /** Every event batch received so far. */
  batches: HoistEvent[][];
  /** Resolves once an event batch satisfies `match` (bounded). */
  waitForEvent(match: (event: HoistEvent) => boolean, timeoutMs?: number): Promise<HoistEvent>;
  /** Resolves with the close code when the socket closes. */
  closed: Promise<number>;
  close(): void;
}

export class CallFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function connectBridge(url: string, headers: Record<string, string> = {}): Promise<TestBridgeClient> {
  const ws = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const waiting = new Map<number, (m: ServerMessage) => void>();
  const batches: HoistEvent[][] = [];
  const watchers = new Set<() => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as ServerMessage;
    if (message.t === 'result') waiting.get(message.id)?.(message);
    else {
      batches.push(message.events);
      for (const w of watchers) w();
    }
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  let nextId = 1;
  const raw = (message: unknown, id: number) =>
    new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to call ${id}`)), 10_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(m);
      });
      ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    });
  return {
    batches,
    raw,
    async call(command, ...args) {
      const id = nextId++;
      const result = await raw({ t: 'call', id, command, args }, id);
      if (result.t !== 'result') throw new Error('expected a result');
      if (!result.ok) throw new CallFailed(result.error.code, result.error.message);
      return result.value as never;
    },
    waitForEvent(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          for (const batch of batches) for (const event of batch) if (match(event)) return done(event);
        };
        const timer = setTimeout(() => {
          watchers.delete(look);
          reject(new Error('timed out waiting for an event'));
        }, timeoutMs);
        const done = (event: HoistEvent) => {
          clearTimeout(timer);
          watchers.delete(look);
          resolve(event);
        };
        watchers.add(look);
        look();
      });
    },
    closed,
    close: () => ws.close(),
  };
}
