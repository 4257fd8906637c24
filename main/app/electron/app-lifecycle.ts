import type { DaemonInfo } from '../serve/daemon-lock.js';

/**
 * How long Quit waits for the daemon to stop (watchers closed, requests in flight abandoned, leases released) before the
 * app exits anyway. Nothing is lost either way: the next start reconciles every job with its server.
 */
export const QUIT_WITHIN_MS = 10_000;

/** Waits for `work` up to `ms`: 'done' when it settled (even by failing), 'timed-out' when the time ran out first. */
export function settleWithin(work: Promise<unknown>, ms: number, timers: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout } = globalThis): Promise<'done' | 'timed-out'> {
  return new Promise((resolve) => {
    const timer = timers.setTimeout(() => resolve('timed-out'), ms);
    const settle = () => {
      timers.clearTimeout(timer);
      resolve('done');
    };
    work.then(settle, settle);
  });
}

/** The dialog shown when another Hoist (a `hoist serve`, or this app from another session) serves the data folder. */
export interface LockHeldDialog {
  message: string;
  detail: string;
  /** Buttons, left to right; `openIndex` opens the other process's window in the browser, when it has one. */
  buttons: string[];
  openIndex: number | null;
}

/** The data folder is in use: say by which process, and offer its window when it serves one (`hoist serve`). */
export function lockHeldDialog(holder: DaemonInfo, dataDir: string): LockHeldDialog {
  const message = 'Hoist is already running for this data folder';
  const detail =
    `Process ${holder.pid} (probably \`hoist serve\`) uploads from ${dataDir}, and two processes never run one folder. ` +
    (holder.url ? 'Its window can open in your browser, or stop it (Ctrl-C in its terminal) and start the app again.' : 'Stop it (Ctrl-C in its terminal), then start the app again.');
  return holder.url ? { message, detail, buttons: ['Open in browser', 'Quit'], openIndex: 0 } : { message, detail, buttons: ['Quit'], openIndex: null };
}

/**
 * What the app says when it cannot start (no stack trace): the error's message in words, or for a better-sqlite3 built
 * for Node instead of Electron, how to get the right build.
 */
export function startupErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header|not a valid Win32 application/i.test(message)) {
    return (
      'Hoist\'s database module (better-sqlite3) is built for Node.js, not for this Electron. ' +
      'Start the desktop app with `npm start`, which builds it for Electron into .electron-native/, or run `npx hoist serve --open` for the same window in a browser.'
    );
  }
  return `Hoist could not start: ${errorSentence(error)}`;
}

/** An error as one line of words for a dialog or the log: its message's first line, never a stack. */
export function errorSentence(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
