/**
 * THE bridge contract: every command the window (or a WebSocket client of `hoist serve`) may call, every event main
 * pushes, the views they carry and the errors they reject with. Main implements it, the preload exposes it, the
 * renderer consumes it. Pure TypeScript: no electron, no node:*, no DOM.
 */
import type { HoistCommands } from './commands.js';
import type { EventName, HoistEvents } from './events.js';
import type { ListenerName } from './wire.js';

export * from './views.js';
export * from './commands.js';
export * from './events.js';
export * from './errors.js';
export * from './wire.js';

/** Ends a subscription. */
export type Unsubscribe = () => void;

/** The `on…` functions: one per event, each returning its unsubscribe. */
export type HoistSubscriptions = {
  [K in EventName as ListenerName<K>]: (listener: (payload: HoistEvents[K]) => void) => Unsubscribe;
};

/** What the window sees as `window.hoist` (Electron) or gets from the WebSocket client (`hoist serve`). */
export type HoistBridge = HoistCommands & HoistSubscriptions;

/**
 * The desktop app's `window.hoist`: the contract plus the local paths of files the user dropped or chose (the preload
 * reads them with Electron's `webUtils`; a browser tab cannot, so `hoist serve` streams files instead). `files` are the
 * page's `File` objects, typed loosely so the contract stays free of DOM types; ones without a local path are left out.
 */
export type HoistDesktopBridge = HoistBridge & { pathsOf(files: readonly unknown[]): string[] };
