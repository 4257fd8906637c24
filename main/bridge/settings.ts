import type { SettingsPatch, SettingsView, ThemeView } from '../../preload/contract/views.js';
import type { Store } from '../store/store.js';

export const DEFAULT_SETTINGS: SettingsView = {
  filesAtOnce: 3,
  defaultDestination: null,
  warningWindowMin: 60,
  theme: 'system',
  bandwidthLimit: 'off',
  stallTimeoutSec: 60,
  keepPausedSessionsAlive: false,
};

const KEYS: { [K in keyof SettingsView]: string } = {
  filesAtOnce: 'ui.filesAtOnce',
  defaultDestination: 'ui.defaultDestination',
  warningWindowMin: 'ui.warningWindowMin',
  theme: 'ui.theme',
  bandwidthLimit: 'transfer.bandwidthLimit',
  stallTimeoutSec: 'transfer.stallTimeoutSec',
  keepPausedSessionsAlive: 'transfer.keepPausedSessionsAlive',
};

/** The user's settings, with defaults for what was never set; a default destination since removed reads as none. */
export function readSettings(store: Store): SettingsView {
  const read = <K extends keyof SettingsView>(key: K): SettingsView[K] => {
    const raw = store.settings.get(KEYS[key]);
    if (raw === undefined) return DEFAULT_SETTINGS[key];
    try {
      return JSON.parse(raw) as SettingsView[K];
    } catch {
      return DEFAULT_SETTINGS[key];
    }
  };
  const defaultDestination = read('defaultDestination');
  return {
    filesAtOnce: read('filesAtOnce'),
    defaultDestination: defaultDestination && store.destinations.byName(defaultDestination) ? defaultDestination : null,
    warningWindowMin: read('warningWindowMin'),
    theme: read('theme') as ThemeView,
    bandwidthLimit: read('bandwidthLimit'),
    stallTimeoutSec: read('stallTimeoutSec'),
    keepPausedSessionsAlive: read('keepPausedSessionsAlive'),
  };
}

/** Stores the given settings (already validated) in one transaction. */
export function writeSettings(store: Store, patch: SettingsPatch): SettingsView {
  store.db.transaction(() => {
    for (const [key, value] of Object.entries(patch) as Array<[keyof SettingsView, unknown]>) {
      if (value !== undefined) store.settings.set(KEYS[key], JSON.stringify(value));
    }
  })();
  return readSettings(store);
}

/** The destination files go to when none is chosen. */
export const defaultDestinationName = (settings: SettingsView): string => settings.defaultDestination ?? 'local';
