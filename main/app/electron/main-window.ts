import { BrowserWindow, nativeImage, screen } from 'electron';
import { APP_INDEX_URL } from './app-protocol.js';
import { encodePng } from './png.js';
import { drawStateIcon } from './tray-icon.js';
import { MIN_WINDOW_SIZE, placeWindow, type SavedPlacement } from './window-bounds.js';

export interface MainWindowOptions {
  /** The bundled preload (one CommonJS file). */
  preloadPath: string;
  /** The placement stored last time, or null. */
  saved: SavedPlacement | null;
  /** Called with the window's placement whenever it moved or resized (debounced) and when it closes. */
  savePlacement(placement: SavedPlacement): void;
  /** Start hidden (start at login: the tray only). */
  isHidden: boolean;
}

const SAVE_AFTER_MS = 500;

/**
 * The one window, locked down: sandboxed renderer, isolated context, no Node, only the app's own page (app://, whose
 * responses carry the CSP). Links, navigation and permissions are handled app-wide in main.ts
 * (`web-contents-created`), so a window made some other way is locked too.
 */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const primary = screen.getPrimaryDisplay();
  const workAreas = [primary.workArea, ...screen.getAllDisplays().filter((d) => d.id !== primary.id).map((d) => d.workArea)];
  const placement = placeWindow(options.saved, workAreas);
  const window = new BrowserWindow({
    ...placement.bounds,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: 'Hoist',
    icon: nativeImage.createFromBuffer(encodePng(drawStateIcon('uploading', 256))),
    autoHideMenuBar: true,
    webPreferences: {
      preload: options.preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  });
  if (placement.isMaximized) window.maximize();
  window.once('ready-to-show', () => {
    if (!options.isHidden) window.show();
  });
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    if (window.isDestroyed() || window.isMinimized()) return;
    // A maximised window keeps the size it will return to, not the size of the screen.
    options.savePlacement({ bounds: window.isMaximized() ? window.getNormalBounds() : window.getBounds(), isMaximized: window.isMaximized() });
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_AFTER_MS);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) window.on(event as 'resize', later);
  window.on('close', save);
  void window.loadURL(APP_INDEX_URL);
  return window;
}

/** Brings the window back from the tray (or from behind other windows). */
export function revealWindow(window: BrowserWindow): void {
  if (window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
