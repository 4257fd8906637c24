import { join } from 'node:path';

/** The argument that starts Hoist in the tray without opening its window (start at login). */
export const HIDDEN_ARG = '--hidden';

/** Where the XDG autostart entry goes: `$XDG_CONFIG_HOME/autostart/hoist.desktop` (default `~/.config`). */
export function autostartEntryPath(env: NodeJS.ProcessEnv, homeDir: string): string {
  return join(env.XDG_CONFIG_HOME || join(homeDir, '.config'), 'autostart', 'hoist.desktop');
}

/**
 * The command that starts this Hoist at login: the AppImage file itself when running from one (its `execPath` is a
 * mount point that is gone after a reboot), the Electron binary with the app folder in development, else the binary.
 */
export function autostartCommand(input: { execPath: string; env: NodeJS.ProcessEnv; isDefaultApp: boolean; appPath: string }): string[] {
  if (input.env.APPIMAGE) return [input.env.APPIMAGE, HIDDEN_ARG];
  if (input.isDefaultApp) return [input.execPath, input.appPath, HIDDEN_ARG];
  return [input.execPath, HIDDEN_ARG];
}

// Desktop Entry spec, "The Exec key": these force an argument into double quotes.
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/** One argument of an Exec line: quoted where the spec requires, with `"`, `` ` ``, `$` and `\` escaped inside. */
export function quoteExecArg(arg: string): string {
  const percent = arg.replaceAll('%', '%%');
  if (percent !== '' && !RESERVED.test(percent)) return percent;
  return `"${percent.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The text of the XDG autostart entry. The Exec value is a string value too, so every backslash of the quoted command
 * is escaped once more; newlines cannot appear (a path with one is refused).
 */
export function autostartEntryText(command: readonly string[], name = 'Hoist'): string {
  if (command.length === 0 || command.some((arg) => /[\n\r]/.test(arg))) throw new Error('The start command cannot contain a line break.');
  const exec = command.map(quoteExecArg).join(' ').replaceAll('\\', '\\\\');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${name}`,
    'Comment=Resumable uploads of big files',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    'Hidden=false',
    '',
  ].join('\n');
}
