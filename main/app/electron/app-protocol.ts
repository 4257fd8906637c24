import { contentSecurityPolicy } from '../../bridge/transports/request-checks.js';
import type { StaticFile } from '../../bridge/transports/static-files.js';

/**
 * The window's page is served from `app://hoist/`, a privileged standard scheme, rather than file://: a file:// page
 * shares its origin with every local file and gets no response headers, so no real Content-Security-Policy.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'hoist';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Whether an address is the app's own page (the only page that may call the bridge). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && (parsed.pathname === '/index.html' || parsed.pathname === '/');
}

/**
 * The policy `hoist serve` sends, minus its WebSocket: the desktop page talks to main over IPC only, so it may connect
 * nowhere but its own origin.
 */
export function appContentSecurityPolicy(): string {
  return contentSecurityPolicy('unused')
    .split('; ')
    .map((directive) => (directive.startsWith('connect-src ') ? "connect-src 'self'" : directive))
    .join('; ');
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const NOT_BUILT = '<!doctype html><title>Hoist</title><p>The window is not built. Run <code>npm run build</code>.</p>';

/** The answer to one request of the page: a file of the built window (read once at start), or 404. */
export function appResponse(files: ReadonlyMap<string, StaticFile>, requestUrl: string): AppResponse {
  const headers = { 'content-security-policy': appContentSecurityPolicy(), 'x-content-type-options': 'nosniff' };
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { status: 400, headers: { ...headers, 'content-type': 'text/plain' }, body: Buffer.from('Bad request.') };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { status: 404, headers: { ...headers, 'content-type': 'text/plain' }, body: Buffer.from('Not found.') };
  const path = url.pathname === '/' ? '/index.html' : url.pathname;
  const file = files.get(path);
  if (file) return { status: 200, headers: { ...headers, 'content-type': file.type }, body: file.body };
  if (path === '/index.html') return { status: 200, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' }, body: Buffer.from(NOT_BUILT) };
  return { status: 404, headers: { ...headers, 'content-type': 'text/plain' }, body: Buffer.from('Not found.') };
}

/** What the window does with a link or navigation: web pages open in the OS browser, everything else is refused. */
export function externalTarget(url: string): 'open-in-browser' | 'deny' {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? 'open-in-browser' : 'deny';
  } catch {
    return 'deny';
  }
}
