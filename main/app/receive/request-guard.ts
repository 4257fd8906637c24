import { createHash, timingSafeEqual } from 'node:crypto';

/** Hosts that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Whether `Authorization` carries exactly `Bearer <token>`; compared in constant time (hashes of equal length). */
export function bearerMatches(authorization: string | null, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

/**
 * A request's Host header names this machine (loopback name or address, any port). Without a token, the receiver
 * answers only such requests: a web page that re-binds its own domain name to 127.0.0.1 (DNS rebinding) sends its own
 * name as Host and is refused.
 */
export function hostHeaderIsLoopback(hostHeader: string | null): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
  return isLoopbackHost(host);
}
