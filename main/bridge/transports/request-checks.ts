import { timingSafeEqual } from 'node:crypto';

/**
 * The Host names a page of `hoist serve` may be addressed by: the bound address and, on loopback, its usual names. A
 * page reached under any other name (DNS rebinding: evil.example resolving to 127.0.0.1) gets nothing.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set([`${bracketed(host)}:${port}`]);
  if (isLoopback(host)) for (const name of ['127.0.0.1', 'localhost', '[::1]']) names.add(`${name}:${port}`);
  return names;
}

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');

const bracketed = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** An Origin header is acceptable when absent (not a browser) or exactly one of our own pages' origins. */
export function originAllowed(origin: string | undefined, hosts: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  for (const host of hosts) if (origin === `http://${host}`) return true;
  return false;
}

/** Compares a presented token with ours in constant time. */
export function tokenMatches(presented: string | null | undefined, token: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer …` header. */
export const bearerOf = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];

/**
 * The page's Content-Security-Policy: scripts, styles and connections only from this origin (and its WebSocket), no
 * inline code, no frames, no forms, no plugins.
 */
export function contentSecurityPolicy(hostHeader: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://${hostHeader}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
