import { COMMAND_NAMES } from '../../../preload/contract/commands.js';
import type { HoistEvent } from '../../../preload/contract/events.js';
import { EVENTS_CHANNEL, commandChannel, type IpcResult } from '../../../preload/contract/wire.js';
import type { BridgeClient, BridgeService } from '../bridge-service.js';
import { dispatch, toBridgeError } from '../dispatch.js';

/** The part of a WebContents the transport uses (one window's page). */
export interface IpcContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** The part of a WebFrameMain the trust check reads. */
export interface IpcFrameLike {
  readonly url: string;
  readonly parent: IpcFrameLike | null;
}

/** The part of an `ipcMain.handle` event the transport reads. */
export interface IpcInvokeEventLike {
  readonly sender: IpcContentsLike;
  /** Null when the frame navigated away or was destroyed before the call arrived. */
  readonly senderFrame: IpcFrameLike | null;
}

/** The part of `ipcMain` the transport uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<IpcResult>): void;
  removeHandler(channel: string): void;
}

export interface IpcBridgeOptions {
  ipcMain: IpcMainLike;
  service: Pick<BridgeService, 'connect'>;
  /** Whether the page at this address is the app's own (its `app://` origin). */
  isAppUrl(url: string): boolean;
  /** Whether the sender is one of the app's windows (not a devtools or stray contents). */
  isAppWindow(contents: IpcContentsLike): boolean;
}

/**
 * The Electron IPC transport of the bridge: one `ipcMain.handle` per contract command, and each window (WebContents) is
 * one client of the service, created on its first call and closed with the window. A call is answered only when it
 * comes from the main frame of one of our windows showing our own page; its arguments go through `dispatch`, so the
 * same schemas guard IPC and WebSocket. Returns a function that removes the handlers and closes every client.
 */
export function serveIpcBridge(options: IpcBridgeOptions): () => void {
  const clients = new Map<number, BridgeClient>();
  const clientOf = (contents: IpcContentsLike): BridgeClient => {
    let client = clients.get(contents.id);
    if (client) return client;
    const send = (events: HoistEvent[]) => {
      if (!contents.isDestroyed()) contents.send(EVENTS_CHANNEL, events);
    };
    client = options.service.connect(send);
    clients.set(contents.id, client);
    contents.once('destroyed', () => {
      clients.get(contents.id)?.close();
      clients.delete(contents.id);
    });
    return client;
  };
  const isTrusted = (event: IpcInvokeEventLike): boolean => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && options.isAppUrl(frame.url) && !event.sender.isDestroyed() && options.isAppWindow(event.sender);
  };
  for (const name of COMMAND_NAMES) {
    options.ipcMain.handle(commandChannel(name), async (event, ...args): Promise<IpcResult> => {
      if (!isTrusted(event)) return { ok: false, error: { code: 'invalid-argument', message: 'Calls are accepted only from the Hoist window.' } };
      try {
        return { ok: true, value: (await dispatch(clientOf(event.sender).commands, name, args)) ?? null };
      } catch (error) {
        const { code, message } = toBridgeError(error);
        return { ok: false, error: { code, message } };
      }
    });
  }
  return () => {
    for (const name of COMMAND_NAMES) options.ipcMain.removeHandler(commandChannel(name));
    for (const client of clients.values()) client.close();
    clients.clear();
  };
}
