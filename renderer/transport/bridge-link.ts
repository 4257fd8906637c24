import type { HoistBridge, Unsubscribe } from '../../preload/contract/index.js';

/** Whether the bridge can be called right now. */
export type LinkStatus = 'connecting' | 'open' | 'reconnecting';

/** A bridge and how its connection stands; each new `open` means main's state must be read again (a snapshot). */
export interface BridgeLink {
  bridge: HoistBridge;
  status(): LinkStatus;
  onStatus(listener: (status: LinkStatus) => void): Unsubscribe;
}

/** Electron's preload bridge never disconnects. */
export function steadyLink(bridge: HoistBridge): BridgeLink {
  return { bridge, status: () => 'open', onStatus: () => () => {} };
}
