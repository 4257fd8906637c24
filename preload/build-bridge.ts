/**
 * Builds `window.hoist` from the contract's lists: one `invoke` per command, one `on…` per event. Pure: it gets
 * Electron's `ipcRenderer` and `webUtils` as arguments, so Node tests run it against main's real IPC handlers.
 */
import {
  BridgeError,
  COMMAND_NAMES,
  EVENT_NAMES,
  EVENTS_CHANNEL,
  commandChannel,
  listenerName,
  type HoistDesktopBridge,
  type HoistEvent,
  type IpcResult,
} from './contract/index.js';

/** The part of `ipcRenderer` the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The part of `webUtils` the bridge uses. */
export interface WebUtilsLike {
  getPathForFile(file: never): string;
}

type Listener = (payload: unknown) => void;

export function buildBridge(ipc: IpcRendererLike, webUtils: WebUtilsLike): HoistDesktopBridge {
  const listeners = new Map<string, Set<Listener>>(EVENT_NAMES.map((name) => [name, new Set()]));
  // One channel for every event: the batch keeps main's order across event kinds. The IPC event object stays here.
  ipc.on(EVENTS_CHANNEL, (_event, batch) => {
    if (!Array.isArray(batch)) return;
    for (const { name, payload } of batch as HoistEvent[]) for (const listener of listeners.get(name) ?? []) listener(payload);
  });
  const bridge: Record<string, unknown> = {};
  for (const name of COMMAND_NAMES) {
    bridge[name] = async (...args: unknown[]) => {
      const result = (await ipc.invoke(commandChannel(name), ...args)) as IpcResult;
      if (!result.ok) throw new BridgeError(result.error.code, result.error.message);
      return result.value;
    };
  }
  for (const name of EVENT_NAMES) {
    bridge[listenerName(name)] = (listener: Listener) => {
      if (typeof listener !== 'function') throw new TypeError(`${listenerName(name)} takes a function`);
      const set = listeners.get(name)!;
      // A wrapper per subscription: the same function subscribed twice is unsubscribed one at a time.
      const entry: Listener = (payload) => listener(payload);
      set.add(entry);
      return () => void set.delete(entry);
    };
  }
  // webUtils gives '' for a File not backed by a local file (made in the page): such files have no path to queue.
  bridge.pathsOf = (files: readonly unknown[]) => Array.from(files, (file) => webUtils.getPathForFile(file as never)).filter((path) => path !== '');
  return bridge as unknown as HoistDesktopBridge;
}
