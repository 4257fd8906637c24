import { describe, expect, it } from 'vitest';
import { expiresAtFrom, isTokenExpired, shouldRefreshToken, TOKEN_REFRESH_MARGIN_MS } from '../../main/domain/token-expiry.js';

const MIN = 60_000;
const hourToken = { issuedAtMs: 0, expiresAtMs: 60 * MIN };

describe('token expiry', () => {
  it('refreshes an hour-long token 5 minutes before it expires, not earlier', () => {
    expect(TOKEN_REFRESH_MARGIN_MS).toBe(5 * MIN);
    expect(shouldRefreshToken(0, hourToken)).toBe(false);
    expect(shouldRefreshToken(55 * MIN - 1, hourToken)).toBe(false);
    expect(shouldRefreshToken(55 * MIN, hourToken)).toBe(true);
    expect(shouldRefreshToken(60 * MIN, hourToken)).toBe(true);
    expect(shouldRefreshToken(24 * 60 * MIN, hourToken)).toBe(true);
  });

  it('uses at most half the lifetime as margin, so a short-lived token is not refreshed before every request', () => {
    const short = { issuedAtMs: 1_000, expiresAtMs: 3_000 };
    expect(shouldRefreshToken(1_999, short)).toBe(false);
    expect(shouldRefreshToken(2_000, short)).toBe(true);
  });

  it('honours a custom margin and treats a token without lifetime as due', () => {
    expect(shouldRefreshToken(50 * MIN, hourToken, 10 * MIN)).toBe(true);
    expect(shouldRefreshToken(49 * MIN, hourToken, 10 * MIN)).toBe(false);
    expect(shouldRefreshToken(5, { issuedAtMs: 5, expiresAtMs: 5 })).toBe(true);
  });

  it('knows when a token is past its expiry', () => {
    expect(isTokenExpired(60 * MIN - 1, hourToken)).toBe(false);
    expect(isTokenExpired(60 * MIN, hourToken)).toBe(true);
  });

  it('computes expiry from expires_in seconds at the time the reply arrived', () => {
    expect(expiresAtFrom(1_000, 3_600)).toBe(3_601_000);
    expect(expiresAtFrom(1_000, 0)).toBe(1_000);
    expect(expiresAtFrom(1_000, -5)).toBe(1_000);
  });
});
