/**
 * Box OAuth 2.0 for the Box emulator (an addition): `GET /oauth2/authorize` (account.box.com) and `POST /oauth2/token`
 * (api.box.com). The authorize page does not ask anyone: it redirects at once with a code (or `?deny=1` → access_denied),
 * so a test plays the browser by following one redirect. Codes are single-use and live 30 s; PKCE S256 is verified;
 * refresh tokens are single-use and rotate, as at Box.
 */
import type { ThroughputCap } from './faults.js';
import { readSmallBody } from './box-body.js';
import type { BoxRequest } from './box-session-routes.js';
import type { Reply } from './box-wire.js';
import { newOpaqueToken, oauthErrorBody, parseForm, s256 } from './oauth-wire.js';

export interface BoxOAuthSettings {
  /** client_id → client_secret of the apps the emulated Box knows. */
  clients: Record<string, string>;
  tokenExpiresInSec: number;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  expiresAtMs: number;
}

const CODE_TTL_MS = 30_000;

export class BoxOAuth {
  /** Live counters. */
  readonly stats = { authorizations: 0, codeExchanges: 0, refreshes: 0, refusedRefreshes: 0 };
  private readonly codes = new Map<string, AuthorizationCode>();
  /** Refresh token → its client, while unused. */
  private readonly refreshTokens = new Map<string, string>();
  private readonly usedRefreshTokens = new Set<string>();

  static create(opts: { oauthClients?: Record<string, string>; accessTokenTtlMs?: number; tokenExpiresInSec?: number }, issue: () => string): BoxOAuth {
    const ttlSec = opts.accessTokenTtlMs === undefined ? undefined : Math.floor(opts.accessTokenTtlMs / 1000);
    const clients = opts.oauthClients ?? { 'box-test-client': 'box-test-secret' };
    return new BoxOAuth({ clients, tokenExpiresInSec: opts.tokenExpiresInSec ?? ttlSec ?? 3600 }, issue);
  }

  /** `issue` makes a new access token the accepted one and returns it. */
  constructor(
    private readonly settings: BoxOAuthSettings,
    private readonly issue: () => string,
  ) {}

  authorize(url: URL): Reply {
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri');
    // Box shows an error page (no redirect) when the app or its redirect URI is unknown.
    if (!(clientId in this.settings.clients)) return errorPage(400, 'invalid_client', 'The client ID supplied is invalid.');
    if (q.get('response_type') !== 'code') return errorPage(400, 'unsupported_response_type', 'The response type is not supported.');
    if (!redirectUri || !/^https?:\/\//.test(redirectUri)) return errorPage(400, 'invalid_request', 'The redirect_uri parameter is missing or invalid.');
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (q.get('deny') === '1') {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user denied access to your application');
      return { status: 302, headers: { location: back.toString() } };
    }
    const method = q.get('code_challenge_method') ?? 'plain';
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge !== undefined && method !== 'S256') return errorPage(400, 'invalid_request', 'Only the S256 code challenge method is supported.');
    this.stats.authorizations++;
    const code = newOpaqueToken('box-code');
    this.codes.set(code, { clientId, redirectUri, codeChallenge: challenge, expiresAtMs: Date.now() + CODE_TTL_MS });
    back.searchParams.set('code', code);
    return { status: 302, headers: { location: back.toString() } };
  }

  async token(req: BoxRequest, cap: ThroughputCap): Promise<Reply> {
    const form = parseForm(await readSmallBody(req.req, cap, req.counter, 64 * 1024));
    const clientId = form.client_id ?? '';
    if (!(clientId in this.settings.clients) || this.settings.clients[clientId] !== form.client_secret) {
      return refusal('invalid_client', 'The client credentials are invalid');
    }
    switch (form.grant_type) {
      case 'authorization_code':
        return this.exchange(form, clientId);
      case 'refresh_token':
        return this.refresh(form, clientId);
      default:
        return refusal('unsupported_grant_type', 'Invalid grant_type parameter or parameter missing');
    }
  }

  /** Every refresh token issued so far is refused from now on (the user revoked the app). */
  revokeRefreshTokens(): void {
    for (const token of this.refreshTokens.keys()) this.usedRefreshTokens.add(token);
    this.refreshTokens.clear();
  }

  private exchange(form: Record<string, string>, clientId: string): Reply {
    const code = this.codes.get(form.code ?? '');
    // A code is single-use whatever happens next.
    if (form.code) this.codes.delete(form.code);
    if (!code || code.clientId !== clientId) return refusal('invalid_grant', 'Invalid grant_type parameter or parameter missing');
    if (Date.now() >= code.expiresAtMs) return refusal('invalid_grant', 'Auth code expired');
    if (form.redirect_uri !== undefined && form.redirect_uri !== code.redirectUri) return refusal('invalid_grant', 'The redirect_uri does not match the one of the authorization request');
    if (code.codeChallenge !== undefined && (form.code_verifier === undefined || s256(form.code_verifier) !== code.codeChallenge)) {
      return refusal('invalid_grant', 'The code_verifier does not match the code_challenge');
    }
    this.stats.codeExchanges++;
    return this.grant(clientId);
  }

  private refresh(form: Record<string, string>, clientId: string): Reply {
    const token = form.refresh_token ?? '';
    if (this.refreshTokens.get(token) !== clientId) {
      this.stats.refusedRefreshes++;
      return refusal('invalid_grant', this.usedRefreshTokens.has(token) ? 'Refresh token has expired' : 'Invalid refresh token');
    }
    this.refreshTokens.delete(token);
    this.usedRefreshTokens.add(token);
    this.stats.refreshes++;
    return this.grant(clientId);
  }

  private grant(clientId: string): Reply {
    const refreshToken = newOpaqueToken('box-refresh');
    this.refreshTokens.set(refreshToken, clientId);
    return {
      status: 200,
      body: { access_token: this.issue(), expires_in: this.settings.tokenExpiresInSec, restricted_to: [], refresh_token: refreshToken, token_type: 'bearer' },
    };
  }
}

function refusal(error: string, description: string): Reply {
  return { status: 400, body: oauthErrorBody(error, description) };
}

function errorPage(status: number, error: string, description: string): Reply {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: Buffer.from(`<!doctype html><title>Box</title><p>${error}: ${description}</p>`) };
}
