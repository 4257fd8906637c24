import { spawn } from 'node:child_process';

/**
 * Asks the desktop to open a URL (xdg-open, open, start). Best effort: the URL is printed as well, so a headless machine
 * or a missing opener only means the user copies it.
 */
export function openBrowser(url: string, platform: NodeJS.Platform = process.platform): void {
  // cmd's `start` treats & and ^ specially; URLs have no spaces, so caret-escaping keeps the query intact.
  const [command, args] =
    platform === 'darwin' ? ['open', [url]] : platform === 'win32' ? ['cmd', ['/c', 'start', '""', url.replace(/[&^|<>()]/g, '^$&')]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the printed URL is the way.
  }
}
