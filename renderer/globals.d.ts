import type { HoistBridge } from '../preload/contract/index.js';

declare global {
  interface Window {
    /**
     * The Electron preload's bridge. `pathsOf` is not part of the contract: the preload may add it (webUtils
     * .getPathForFile) so dropped files are queued by path instead of streamed.
     */
    hoist?: HoistBridge & { pathsOf?: (files: readonly File[]) => string[] };
  }
}
