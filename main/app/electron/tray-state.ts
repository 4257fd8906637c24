import type { AppStateKind, AppStateView } from '../../../preload/contract/views.js';

/** What a tray menu item does when chosen. */
export type TrayCommand = 'show-window' | 'pause-all' | 'pause-1h' | 'pause-8h' | 'resume-all' | 'start-at-login' | 'quit';

/** One item of the tray's context menu (always present: Linux AppIndicator ignores clicks on the icon itself). */
export interface TrayMenuItem {
  command: TrayCommand;
  label: string;
  isEnabled: boolean;
  /** Set for a check box item (start at login); absent for plain items. */
  isChecked?: boolean;
}

/** Everything the tray shows, decided from the app state alone. */
export interface TrayState {
  /** Which icon: one per app state, the same glyphs as the browser tab's favicon. */
  icon: AppStateKind;
  /** Failed uploads: the badge (dock count on macOS, overlay on Windows, drawn into the tray icon on Linux). */
  badgeCount: number;
  /** Hover text (Windows truncates at 127 characters). */
  tooltip: string;
  menu: Array<TrayMenuItem | 'separator'>;
}

/** The tray's timed pauses, in the order the menu lists them. */
export const TRAY_PAUSES_MS = { 'pause-1h': 3_600_000, 'pause-8h': 8 * 3_600_000 } as const;

const TOOLTIP_MAX = 127;

/**
 * The tray of an app state. Pause all is offered while something is uploading or waiting to; the timed pauses always
 * (they also hold files that arrive meanwhile); Resume all while a job is paused or a timed pause holds the queue.
 */
export function trayState(state: AppStateView, options: { isStartAtLogin: boolean }): TrayState {
  const pending = state.counts.uploading + state.counts.queued;
  const canResume = state.counts.paused > 0 || state.pausedUntilMs !== null;
  const tooltip = `Hoist — ${state.summary}`;
  return {
    icon: state.kind,
    badgeCount: state.counts.failed,
    tooltip: tooltip.length > TOOLTIP_MAX ? `${tooltip.slice(0, TOOLTIP_MAX - 1)}…` : tooltip,
    menu: [
      { command: 'show-window', label: 'Show window', isEnabled: true },
      'separator',
      { command: 'pause-all', label: 'Pause all', isEnabled: pending > 0 },
      { command: 'pause-1h', label: 'Pause for 1 hour', isEnabled: true },
      { command: 'pause-8h', label: 'Pause for 8 hours', isEnabled: true },
      { command: 'resume-all', label: 'Resume all', isEnabled: canResume },
      'separator',
      { command: 'start-at-login', label: 'Start at login', isEnabled: true, isChecked: options.isStartAtLogin },
      'separator',
      { command: 'quit', label: 'Quit Hoist', isEnabled: true },
    ],
  };
}

/** What closing the window does: hide it to the tray, quit the app (no tray to come back from), or close for a quit. */
export function windowCloseAction(input: { isQuitting: boolean; hasTray: boolean }): 'close' | 'hide' | 'quit' {
  if (input.isQuitting) return 'close';
  return input.hasTray ? 'hide' : 'quit';
}

/**
 * Whether the desktop shows tray icons. Windows and macOS always do. On Linux Electron's tray is an AppIndicator /
 * StatusNotifierItem, which plain GNOME does not display (it needs an extension; Ubuntu's GNOME ships one), and a
 * session without a desktop (a bare X server) has none. HOIST_TRAY=on|off overrides the guess.
 */
export function hasTraySupport(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (env.HOIST_TRAY === 'on') return true;
  if (env.HOIST_TRAY === 'off') return false;
  if (platform !== 'linux') return true;
  const desktops = (env.XDG_CURRENT_DESKTOP ?? '').toLowerCase().split(':').filter(Boolean);
  if (desktops.length === 0) return false;
  if (desktops.includes('ubuntu') || desktops.includes('unity')) return true;
  return !desktops.includes('gnome');
}
