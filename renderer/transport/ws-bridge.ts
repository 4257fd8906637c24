import {
  BridgeError,
  COMMAND_NAMES,
  EVENT_NAMES,
  listenerName,
  type CallMessage,
  type CommandName,
  type EventName,
  type HoistBridge,
  type ServerMessage,
} from '../../preload/contract/index.js';
import { reconnectDelayMs } from './backoff.js';
import type { BridgeLink, LinkStatus } from './bridge-link.js';

/** The part of a WebSocket this client uses (the browser's, or `ws` in tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface WsBridgeOptions {
  url: string;
  openSocket: (url: string) => SocketLike;
  /** Timers are injectable so tests never sleep. */
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  random?: () => number;
}

const OPEN = 1;

/**
 * The bridge over the WebSocket of `hoist serve`, derived from the contract's command and event lists (one generic
 * call and one generic subscription; nothing is written per command). Reconnects with backoff when the socket closes;
 * calls in flight then reject with `disconnected`.
 */
export function connectWsBridge(options: WsBridgeOptions): BridgeLink & { close(): void } {
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: BridgeError) => void }>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const statusListeners = new Set<(status: LinkStatus) => void>();
  let status: LinkStatus = 'connecting';
  let socket: SocketLike | null = null;
  let nextId = 1;
  let attempt = 0;
  let retryTimer: unknown = null;
  let isClosed = false;

  const setStatus = (next: LinkStatus) => {
    if (next === status) return;
    status = next;
    for (const listener of [...statusListeners]) listener(next);
  };

  const failPending = (message: string) => {
    for (const call of pending.values()) call.reject(new BridgeError('disconnected', message));
    pending.clear();
  };

  const onMessage = (data: unknown) => {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(data)) as ServerMessage;
    } catch {
      return;
    }
    if (message.t === 'result') {
      const call = pending.get(message.id);
      if (call === undefined) return;
      pending.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(new BridgeError(message.error.code, message.error.message));
      return;
    }
    if (message.t === 'events') {
      for (const event of message.events) {
        for (const listener of [...(listeners.get(event.name) ?? [])]) {
          try {
            listener(event.payload);
          } catch (error) {
            // One broken subscriber must not starve the others of the batch.
            queueMicrotask(() => {
              throw error;
            });
          }
        }
      }
    }
  };

  const open = () => {
    retryTimer = null;
    if (isClosed) return;
    const current = options.openSocket(options.url);
    socket = current;
    current.onopen = () => {
      attempt = 0;
      setStatus('open');
    };
    current.onmessage = (event) => onMessage(event.data);
    current.onerror = () => {};
    current.onclose = () => {
      if (socket !== current) return;
      socket = null;
      failPending('The connection to Hoist was lost.');
      if (isClosed) return;
      setStatus('reconnecting');
      retryTimer = setTimer(open, reconnectDelayMs(attempt++, options.random));
    };
  };

  const call = (command: CommandName, args: unknown[]): Promise<unknown> => {
    const current = socket;
    if (current === null || current.readyState !== OPEN) {
      return Promise.reject(new BridgeError('disconnected', 'Not connected to Hoist; reconnecting.'));
    }
    const id = nextId++;
    const message: CallMessage = { t: 'call', id, command, args };
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      current.send(JSON.stringify(message));
    });
  };

  const subscribe = (name: EventName, listener: (payload: unknown) => void) => {
    let set = listeners.get(name);
    if (set === undefined) listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  };

  const bridge = Object.fromEntries([
    ...COMMAND_NAMES.map((name) => [name, (...args: unknown[]) => call(name, args)] as const),
    ...EVENT_NAMES.map((name) => [listenerName(name), (listener: (payload: unknown) => void) => subscribe(name, listener)] as const),
  ]) as unknown as HoistBridge;

  open();
  return {
    bridge,
    status: () => status,
    onStatus: (listener) => {
      statusListeners.add(listener);
      return () => void statusListeners.delete(listener);
    },
    close: () => {
      isClosed = true;
      if (retryTimer !== null) clearTimer(retryTimer);
      const current = socket;
      socket = null;
      failPending('The window closed the connection.');
      current?.close(1000, 'closing');
    },
  };
}
