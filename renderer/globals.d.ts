import type { HoistDesktopBridge } from '../preload/contract/index.js';

declare global {
  interface Window {
    /** The Electron preload's bridge (absent in a browser tab of `hoist serve`). */
    hoist?: HoistDesktopBridge;
  }
}
