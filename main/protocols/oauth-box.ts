import { createHash, randomBytes } from 'node:crypto';
import { postTokenForm, type BoxOAuthConfig, type TokenGrant } from './oauth-client.js';

/** RFC 7636 proof key: the verifier stays here, only its S256 challenge goes through the browser. */
export interface Pkce {
  verifier: string;
  challenge: string;
  method: 'S256';
}

export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier), method: 'S256' };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** An unguessable `state` that ties the browser's redirect to this login (CSRF protection). */
export function newOAuthState(): string {
  return randomBytes(16).toString('base64url');
}

/** The page the user opens to allow Hoist access to their Box account. */
export function boxAuthorizeUrl(config: BoxOAuthConfig, request: { redirectUri: string; state: string; pkce: Pkce }): string {
  const url = new URL(config.authorizeUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', request.redirectUri);
  url.searchParams.set('state', request.state);
  url.searchParams.set('code_challenge', request.pkce.challenge);
  url.searchParams.set('code_challenge_method', request.pkce.method);
  return url.toString();
}

/** grant_type=authorization_code: trades the code from the redirect (valid about 30 s at Box) for tokens. */
export function exchangeBoxCode(
  config: BoxOAuthConfig,
  request: { code: string; redirectUri: string; codeVerifier: string },
  signal: AbortSignal,
): Promise<TokenGrant> {
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code: request.code,
    redirect_uri: request.redirectUri,
    code_verifier: request.codeVerifier,
  };
  if (config.clientSecret) form.client_secret = config.clientSecret;
  return postTokenForm(config.tokenUrl, form, signal);
}
