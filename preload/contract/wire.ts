/**
 * How the contract travels: Electron IPC channel names and the WebSocket messages of `hoist serve`, both derived from
 * the command and event lists (never written out per command).
 */
import type { CommandName } from './commands.js';
import type { BridgeErrorView } from './errors.js';
import type { EventName, HoistEvent } from './events.js';

/** The IPC channel of a command (`ipcRenderer.invoke` / `ipcMain.handle`). */
export const commandChannel = (name: CommandName): `hoist:cmd:${CommandName}` => `hoist:cmd:${name}`;

/** The one IPC channel that carries event batches from main to the window. */
export const EVENTS_CHANNEL = 'hoist:events';

/** The preload's subscription function of an event: `jobsAdded` → `onJobsAdded`. */
export const listenerName = <K extends EventName>(name: K): ListenerName<K> => `on${name.charAt(0).toUpperCase()}${name.slice(1)}` as ListenerName<K>;

/** `jobsAdded` → `onJobsAdded`, as a type. */
export type ListenerName<K extends EventName> = `on${Capitalize<K>}`;

/** Path of the WebSocket endpoint of `hoist serve`; the access token goes in its `token` query parameter. */
export const WS_PATH = '/bridge';

/** Path of the tus endpoint that receives files dropped into a browser tab (Authorization: Bearer <token>). */
export const INTAKE_PATH = '/intake/';

/** Client → main: call a command. `id` pairs the result with the call. */
export interface CallMessage {
  t: 'call';
  id: number;
  command: CommandName;
  args: unknown[];
}

/** Main → client: how a call ended. */
export type ResultMessage = { t: 'result'; id: number; ok: true; value: unknown } | { t: 'result'; id: number; ok: false; error: BridgeErrorView };

/**
 * How a command call ends over Electron IPC. Electron passes only the message of an error thrown in a handler, so main
 * resolves with this and the preload rejects with a `BridgeError` of the same code.
 */
export type IpcResult = { ok: true; value: unknown } | { ok: false; error: BridgeErrorView };

/** Main → client: one coalesced batch of events (at most about ten a second). */
export interface EventsMessage {
  t: 'events';
  events: HoistEvent[];
}

/** Any message main sends over the WebSocket. */
export type ServerMessage = ResultMessage | EventsMessage;
