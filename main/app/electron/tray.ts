import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import { encodePng } from './png.js';
import { drawStateIcon } from './tray-icon.js';
import type { TrayCommand, TrayState } from './tray-state.js';

/** The tray icon and its menu; `show` redraws only what changed. */
export interface TrayController {
  show(state: TrayState): void;
  destroy(): void;
}

/** Tray icons are drawn at the size each platform's tray uses (macOS: 16 pt at 2x; Linux indicators: 22 px). */
const TRAY_PX: Partial<Record<NodeJS.Platform, number>> = { darwin: 32, win32: 32, linux: 22 };

/**
 * Creates the tray with a context menu (always: Linux AppIndicator ignores clicks on the icon). A click on the icon
 * shows the window where the platform reports clicks. Returns null where the tray cannot be created.
 */
export function createTray(onCommand: (command: TrayCommand) => void): TrayController | null {
  const sizePx = TRAY_PX[process.platform] ?? 22;
  let tray: Tray;
  try {
    tray = new Tray(nativeImage.createFromBuffer(encodePng(drawStateIcon('idle', sizePx))));
  } catch {
    return null;
  }
  tray.on('click', () => onCommand('show-window'));
  let lastIcon = '';
  let lastMenu = '';
  let lastTooltip = '';
  return {
    show(state) {
      // Linux trays have no badge of their own: the failure count is drawn into the icon there.
      const badge = process.platform === 'linux' ? state.badgeCount : 0;
      const iconKey = `${state.icon}:${badge}`;
      if (iconKey !== lastIcon) {
        lastIcon = iconKey;
        const image = nativeImage.createFromBuffer(encodePng(drawStateIcon(state.icon, sizePx, badge)), { scaleFactor: process.platform === 'darwin' ? 2 : 1 });
        tray.setImage(image);
      }
      if (state.tooltip !== lastTooltip) {
        lastTooltip = state.tooltip;
        tray.setToolTip(state.tooltip);
      }
      const menuKey = JSON.stringify(state.menu);
      if (menuKey !== lastMenu) {
        lastMenu = menuKey;
        const template: MenuItemConstructorOptions[] = state.menu.map((item) =>
          item === 'separator'
            ? { type: 'separator' }
            : {
                label: item.label,
                enabled: item.isEnabled,
                ...(item.isChecked === undefined ? {} : { type: 'checkbox' as const, checked: item.isChecked }),
                click: () => onCommand(item.command),
              },
        );
        tray.setContextMenu(Menu.buildFromTemplate(template));
      }
    },
    destroy: () => tray.destroy(),
  };
}
