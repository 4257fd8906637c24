import type { WebSocket } from 'ws';
import * as z from 'zod';
import type { EventsMessage, ResultMessage } from '../../../preload/contract/wire.js';
import type { BridgeService } from '../bridge-service.js';
import { dispatch, toBridgeError } from '../dispatch.js';

const callSchema = z.strictObject({
  t: z.literal('call'),
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  command: z.string().max(64),
  args: z.array(z.unknown()).max(8),
});

/** A client that stops reading (a frozen tab) is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
const PING_EVERY_MS = 30_000;

/**
 * The WebSocket transport of the bridge: each socket is one client of the service. Calls arrive as `CallMessage`s and
 * are answered by id; events go out as one `EventsMessage` per hub flush.
 */
export function serveBridgeSocket(ws: WebSocket, service: BridgeService): void {
  const send = (message: ResultMessage | EventsMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const client = service.connect((events) => send({ t: 'events', events }));
  let isAlive = true;
  const ping = setInterval(() => {
    if (!isAlive) return ws.terminate();
    isAlive = false;
    ws.ping();
  }, PING_EVERY_MS);
  ws.on('pong', () => (isAlive = true));
  ws.on('message', (data, isBinary) => {
    let raw: unknown;
    try {
      raw = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      raw = undefined;
    }
    const call = callSchema.safeParse(raw);
    if (!call.success) {
      ws.close(1003, 'expected a call message');
      return;
    }
    const { id, command, args } = call.data;
    dispatch(client.commands, command, args).then(
      (value) => send({ t: 'result', id, ok: true, value: value ?? null }),
      (error: unknown) => {
        const { code, message } = toBridgeError(error);
        send({ t: 'result', id, ok: false, error: { code, message } });
      },
    );
  });
  ws.on('close', () => {
    clearInterval(ping);
    client.close();
  });
  ws.on('error', () => undefined);
}
