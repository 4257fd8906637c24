import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HoistError } from '../domain/hoist-error.js';

/** The browser's redirect, held open until the caller knows how the sign-in ended (so the tab can say so). */
export interface LoopbackCallback {
  code: string;
  /** Answers the browser tab: success, or the reason the sign-in failed. */
  finish(outcome: { isSignedIn: true } | { isSignedIn: false; message: string }): void;
}

export interface LoopbackReceiver {
  /** http://127.0.0.1:PORT/callback */
  readonly redirectUri: string;
  /** The first redirect that carries our `state`; rejects on an OAuth error in it, on timeout, or when the signal aborts. */
  waitForCallback(timeoutMs: number, signal: AbortSignal): Promise<LoopbackCallback>;
  close(): Promise<void>;
}

const CALLBACK_PATH = '/callback';

/**
 * RFC 8252 §7.3 loopback redirect: a one-shot HTTP server on 127.0.0.1 (never on all interfaces) that receives the
 * authorization code. Requests without our `state` are turned away and do not end the wait.
 */
export async function startLoopbackReceiver(options: { state: string; port?: number }): Promise<LoopbackReceiver> {
  let deliver: (callback: LoopbackCallback) => void = () => {};
  let refuse: (error: Error) => void = () => {};
  // The first answer with our state settles this, even if it arrives before anyone waits for it.
  const first = new Promise<LoopbackCallback>((resolve, reject) => {
    deliver = resolve;
    refuse = reject;
  });
  first.catch(() => undefined);
  let isSettled = false;
  const held = new Set<ServerResponse>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) return page(res, 404, 'Not found', 'This address is only used by Hoist during sign-in.');
    if (url.searchParams.get('state') !== options.state) {
      return page(res, 400, 'Sign-in not accepted', 'This answer does not belong to the Hoist sign-in running now. Start the sign-in again from Hoist.');
    }
    if (isSettled) return page(res, 409, 'Sign-in already finished', 'Hoist has already received an answer. You can close this tab.');
    isSettled = true;
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (error || !code) {
      const description = url.searchParams.get('error_description');
      page(res, 400, 'Sign-in not completed', `Access was not granted (${error ?? 'no code'}). You can close this tab.`);
      return refuse(new HoistError('auth-failed', `The sign-in was not completed: ${error ?? 'the answer had no code'}${description ? ` – ${description.slice(0, 200)}` : ''}.`));
    }
    held.add(res);
    res.on('close', () => held.delete(res));
    deliver({
      code,
      finish: (outcome) =>
        outcome.isSignedIn
          ? page(res, 200, 'Hoist is signed in', 'You can close this tab and go back to Hoist.')
          : page(res, 500, 'Sign-in failed', `${outcome.message} You can close this tab.`),
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new HoistError('invalid-argument', `Cannot listen on 127.0.0.1:${options.port ?? 0} for the sign-in redirect (${error.code ?? error.message}).`)),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    waitForCallback(timeoutMs, signal) {
      return new Promise<LoopbackCallback>((resolve, reject) => {
        const timer = setTimeout(() => settle(() => reject(timedOut(timeoutMs))), timeoutMs);
        const onAbort = () => settle(() => reject(signal.reason));
        const settle = (then: () => void) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          isSettled = true;
          then();
        };
        first.then(
          (callback) => settle(() => resolve(callback)),
          (error: unknown) => settle(() => reject(error)),
        );
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    async close() {
      for (const res of held) page(res, 500, 'Sign-in stopped', 'Hoist stopped waiting for this sign-in.');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function timedOut(timeoutMs: number): HoistError {
  const minutes = Math.round(timeoutMs / 60_000);
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  const span = minutes >= 1 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${seconds} second${seconds === 1 ? '' : 's'}`;
  return new HoistError('auth-failed', `No answer came back from the browser within ${span}. Run hoist login again.`);
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'",
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
