import { app } from 'electron';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { HIDDEN_ARG, autostartCommand, autostartEntryPath, autostartEntryText } from './autostart.js';

/** Start at login: an XDG autostart entry on Linux, the OS's login items on macOS and Windows. */
export interface LoginItem {
  isEnabled(): boolean;
  setEnabled(isEnabled: boolean): void;
}

/** The login item of this installation (the entry's text is decided in autostart.ts, tested there). */
export function loginItem(): LoginItem {
  if (process.platform === 'linux') {
    const path = autostartEntryPath(process.env, homedir());
    return {
      isEnabled: () => existsSync(path),
      setEnabled(isEnabled) {
        if (!isEnabled) return rmSync(path, { force: true });
        mkdirSync(dirname(path), { recursive: true });
        const command = autostartCommand({ execPath: process.execPath, env: process.env, isDefaultApp: process.defaultApp === true, appPath: app.getAppPath() });
        writeFileSync(path, autostartEntryText(command), { mode: 0o644 });
      },
    };
  }
  return {
    isEnabled: () => app.getLoginItemSettings({ args: [HIDDEN_ARG] }).openAtLogin,
    setEnabled: (isEnabled) => app.setLoginItemSettings({ openAtLogin: isEnabled, args: [HIDDEN_ARG] }),
  };
}

/** Whether this start is a start at login (open in the tray only, without the window). */
export function isStartedAtLogin(argv: readonly string[]): boolean {
  if (argv.includes(HIDDEN_ARG)) return true;
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}
