/** Access tokens are renewed this long before they expire, so no request starts with a token about to die. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/** What we know about an access token's lifetime. `issuedAtMs` is when we received it (local clock). */
export interface TokenLifetime {
  issuedAtMs: number;
  expiresAtMs: number;
}

/**
 * Whether to refresh now. The margin is 5 minutes, but never more than half the token's lifetime: a token that lives
 * only a few minutes (test servers, some proxies) would otherwise be refreshed before every request.
 */
export function shouldRefreshToken(nowMs: number, token: TokenLifetime, marginMs: number = TOKEN_REFRESH_MARGIN_MS): boolean {
  const lifetimeMs = Math.max(0, token.expiresAtMs - token.issuedAtMs);
  const effectiveMarginMs = Math.min(marginMs, lifetimeMs / 2);
  return nowMs >= token.expiresAtMs - effectiveMarginMs;
}

/** Whether the token is past its expiry (it cannot be used even if a refresh fails). */
export function isTokenExpired(nowMs: number, token: TokenLifetime): boolean {
  return nowMs >= token.expiresAtMs;
}

/** Expiry from a token reply's `expires_in` (seconds), counted from when the reply arrived. */
export function expiresAtFrom(receivedAtMs: number, expiresInSec: number): number {
  return receivedAtMs + Math.max(0, expiresInSec) * 1000;
}
