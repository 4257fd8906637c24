import { UploadFailure } from '../../domain/failure.js';
import { HoistError } from '../../domain/hoist-error.js';
import { expiresAtFrom, isTokenExpired, shouldRefreshToken, TOKEN_REFRESH_MARGIN_MS } from '../../domain/token-expiry.js';
import { OAuthRefused, refreshAccessToken, type OAuthConfig, type TokenGrant } from '../../protocols/oauth-client.js';
import type { CredentialStore, OAuthTokens } from './credential-store.js';

export interface TokenManagerDeps {
  config: OAuthConfig;
  store: CredentialStore;
  nowMs?: () => number;
  /** Default 5 minutes (never more than half a token's lifetime, see shouldRefreshToken). */
  refreshMarginMs?: number;
  /** The token endpoint call; tests may count or fail it. */
  refreshGrant?: (config: OAuthConfig, refreshToken: string, signal: AbortSignal) => Promise<TokenGrant>;
  /** Called after each successful refresh, with nothing secret in it (logs, tests). */
  onRefreshed?: (info: { destinationName: string; expiresAtMs: number; reason: RefreshReason }) => void;
}

export type RefreshReason = 'due' | 'rejected';

/** A token endpoint that does not answer within this is treated as a transient failure. */
const REFRESH_TIMEOUT_MS = 60_000;
/** After a transient refresh failure, a still-valid token is used for this long before the refresh is tried again. */
const RETRY_FAILED_REFRESH_AFTER_MS = 15_000;
/**
 * A 401 within this long after a refresh most likely hit a request sent with the token before it (several parts or
 * files in flight); refreshing again would only rotate tokens under the other requests.
 */
const RECENT_REFRESH_MS = 1_000;

/**
 * One destination's access token: handed out while fresh, refreshed shortly before it expires and when the server
 * refuses it. Concurrent callers share one refresh (single flight), which matters for Box: its refresh tokens are
 * single-use, so two parallel refreshes would sign the user out.
 */
export class TokenManager {
  private cached: OAuthTokens | undefined;
  private inflight: Promise<string> | undefined;
  private lastRefreshAtMs: number | undefined;
  private lastFailedRefreshAtMs: number | undefined;
  private readonly nowMs: () => number;
  private readonly refreshGrant: NonNullable<TokenManagerDeps['refreshGrant']>;

  constructor(private readonly deps: TokenManagerDeps) {
    this.nowMs = deps.nowMs ?? Date.now;
    this.refreshGrant = deps.refreshGrant ?? refreshAccessToken;
  }

  get destinationName(): string {
    return this.deps.store.destinationName;
  }

  get isSignedIn(): boolean {
    return this.deps.store.load() !== undefined;
  }

  /** Stores the tokens of a completed sign-in (hoist login). */
  saveGrant(grant: TokenGrant): void {
    this.remember(toTokens(grant, this.nowMs(), undefined));
  }

  /** A token to send now: the stored one while fresh, otherwise a refreshed one. */
  async getAccessToken(): Promise<string> {
    const tokens = this.current();
    const nowMs = this.nowMs();
    if (!shouldRefreshToken(nowMs, tokens, this.deps.refreshMarginMs ?? TOKEN_REFRESH_MARGIN_MS)) return tokens.accessToken;
    const isBackingOff = this.lastFailedRefreshAtMs !== undefined && nowMs - this.lastFailedRefreshAtMs < RETRY_FAILED_REFRESH_AFTER_MS;
    if (isBackingOff && !isTokenExpired(nowMs, tokens)) return tokens.accessToken;
    try {
      return await this.refreshOnce('due');
    } catch (error) {
      // The sign-in server being down is no reason to stop while the token still works.
      if (error instanceof UploadFailure && !isTokenExpired(this.nowMs(), tokens)) return tokens.accessToken;
      throw error;
    }
  }

  /**
   * The server refused the access token (HTTP 401): get a new one. Resolves true when the next request should carry
   * a fresh token; rejects with HoistError('auth-failed') when the user must sign in again.
   */
  async forceRefresh(): Promise<boolean> {
    if (this.inflight) {
      await this.inflight;
      return true;
    }
    if (this.lastRefreshAtMs !== undefined && this.nowMs() - this.lastRefreshAtMs < RECENT_REFRESH_MS) return true;
    await this.refreshOnce('rejected');
    return true;
  }

  private refreshOnce(reason: RefreshReason): Promise<string> {
    this.inflight ??= this.refresh(reason).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(reason: RefreshReason): Promise<string> {
    const known = this.cached;
    // Another Hoist process (the desktop app, a second terminal) may have refreshed or signed in since we read the store.
    const latest = this.deps.store.load();
    if (!latest) throw this.signInAgain('it is not signed in');
    if (known && latest.accessToken !== known.accessToken && this.isUsable(latest, reason)) {
      this.cached = latest;
      return latest.accessToken;
    }
    if (!latest.refreshToken) throw this.signInAgain('the sign-in gave no refresh token');
    let grant: TokenGrant;
    try {
      grant = await this.refreshGrant(this.deps.config, latest.refreshToken, AbortSignal.timeout(REFRESH_TIMEOUT_MS));
    } catch (error) {
      if (error instanceof OAuthRefused) return this.afterRefusal(latest, error, reason);
      this.lastFailedRefreshAtMs = this.nowMs();
      if (error instanceof UploadFailure) throw error;
      if ((error as Error).name === 'TimeoutError') {
        throw new UploadFailure({ kind: 'retry', reason: `the sign-in server did not answer within ${REFRESH_TIMEOUT_MS / 1000} s` });
      }
      throw error;
    }
    const nowMs = this.nowMs();
    const tokens = toTokens(grant, nowMs, latest);
    this.remember(tokens);
    this.lastRefreshAtMs = nowMs;
    this.lastFailedRefreshAtMs = undefined;
    this.deps.onRefreshed?.({ destinationName: this.destinationName, expiresAtMs: tokens.expiresAtMs, reason });
    return tokens.accessToken;
  }

  /** A refused refresh token may just have been rotated by another process: use its result if so. */
  private afterRefusal(used: OAuthTokens, refusal: OAuthRefused, reason: RefreshReason): string {
    const now = this.deps.store.load();
    if (now && now.refreshToken !== used.refreshToken && this.isUsable(now, reason)) {
      this.cached = now;
      return now.accessToken;
    }
    throw this.signInAgain(`the sign-in server refused the refresh token (${refusal.error})`);
  }

  private isUsable(tokens: OAuthTokens, reason: RefreshReason): boolean {
    const nowMs = this.nowMs();
    return reason === 'rejected' ? !isTokenExpired(nowMs, tokens) : !shouldRefreshToken(nowMs, tokens, this.deps.refreshMarginMs ?? TOKEN_REFRESH_MARGIN_MS);
  }

  private current(): OAuthTokens {
    this.cached ??= this.deps.store.load();
    if (!this.cached) throw new HoistError('auth-failed', `Destination "${this.destinationName}" is not signed in. Sign in with: hoist login ${this.destinationName}`);
    return this.cached;
  }

  private remember(tokens: OAuthTokens): void {
    this.deps.store.save(tokens);
    this.cached = tokens;
  }

  private signInAgain(why: string): HoistError {
    const name = this.destinationName;
    return new HoistError('auth-failed', `Destination "${name}" needs a new sign-in: ${why}. Sign in again with: hoist login ${name}`);
  }
}

function toTokens(grant: TokenGrant, nowMs: number, previous: OAuthTokens | undefined): OAuthTokens {
  // Box rotates the refresh token on every use; Microsoft may keep it. Keep the old one only when none came back.
  const refreshToken = grant.refreshToken ?? previous?.refreshToken;
  const scope = grant.scope ?? previous?.scope;
  return {
    accessToken: grant.accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    expiresAtMs: expiresAtFrom(nowMs, grant.expiresInSec),
    issuedAtMs: nowMs,
    ...(scope ? { scope } : {}),
  };
}
