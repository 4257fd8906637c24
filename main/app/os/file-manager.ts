import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { HoistError } from '../../domain/hoist-error.js';

/** Whether this machine has a desktop to show a file manager on (a headless server has none). */
export function hasDesktop(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'darwin' || platform === 'win32' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/**
 * Shows a file (selected, where the OS can) or opens a folder in the OS file manager of the machine running Hoist.
 * Throws a HoistError a user can read when the path is gone or there is no desktop.
 */
export function showInFileManager(path: string, kind: 'file' | 'folder', env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): void {
  if (!existsSync(path)) throw new HoistError('file-missing', `${path} is no longer there.`);
  if (!hasDesktop(env, platform)) throw new HoistError('invalid-argument', `This machine has no desktop to show it on; it is at ${path}.`);
  const [command, args] =
    platform === 'darwin'
      ? ['open', kind === 'file' ? ['-R', path] : [path]]
      : platform === 'win32'
        ? ['explorer', kind === 'file' ? [`/select,${path}`] : [path]]
        : ['xdg-open', [kind === 'file' ? dirname(path) : path]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    throw new HoistError('invalid-argument', `No file manager could be started; it is at ${path}.`);
  }
}
