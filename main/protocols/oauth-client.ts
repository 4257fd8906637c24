import * as z from 'zod';
import { UploadFailure, classifyStatus } from '../domain/failure.js';
import { httpRequest, parseJson, safeHost, type HttpReply } from './http.js';

/** Microsoft identity platform (Entra ID) settings of a Graph destination; all hosts configurable for emulators. */
export interface MicrosoftOAuthConfig {
  provider: 'graph';
  clientId: string;
  /** Only for confidential clients; Hoist registers as a public client (device code) and normally has none. */
  clientSecret?: string;
  /** e.g. https://login.microsoftonline.com (or a sovereign cloud's login host, or an emulator). */
  authority: string;
  /** 'common', 'organizations', 'consumers' or a tenant id / domain. */
  tenant: string;
  scope: string;
  /** Overrides `{authority}/{tenant}/oauth2/v2.0/token`. */
  tokenUrl?: string;
}

/** Box OAuth 2.0 settings of a Box destination (the app's client id and secret from the Box developer console). */
export interface BoxOAuthConfig {
  provider: 'box';
  clientId: string;
  clientSecret?: string;
  authorizeUrl: string;
  tokenUrl: string;
}

export type OAuthConfig = MicrosoftOAuthConfig | BoxOAuthConfig;

export const MICROSOFT_OAUTH_DEFAULTS = {
  authority: 'https://login.microsoftonline.com',
  tenant: 'common',
  scope: 'offline_access Files.ReadWrite.All',
} as const;

export const BOX_OAUTH_DEFAULTS = {
  authorizeUrl: 'https://account.box.com/api/oauth2/authorize',
  tokenUrl: 'https://api.box.com/oauth2/token',
} as const;

/** A token endpoint's successful answer. Never logged: every field but the numbers is a credential or close to one. */
export interface TokenGrant {
  accessToken: string;
  /** Absent when the server keeps the old one (Microsoft may; Box always rotates). */
  refreshToken: string | undefined;
  expiresInSec: number;
  scope: string | undefined;
}

/** The authorization server said no (RFC 6749 §5.2 error), e.g. invalid_grant for a revoked or used refresh token. */
export class OAuthRefused extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status: number,
  ) {
    super(`${error}${description ? ` – ${description}` : ''}`);
    this.name = 'OAuthRefused';
  }
}

const grantSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().nonnegative(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});

const errorSchema = z.object({ error: z.string().min(1), error_description: z.string().optional() });

// Microsoft's descriptions carry trace ids and timestamps over several lines; the first line is the useful part.
const MAX_DESCRIPTION_CHARS = 300;

export function tokenUrlOf(config: OAuthConfig): string {
  if (config.provider === 'box') return config.tokenUrl;
  return config.tokenUrl ?? `${microsoftBase(config)}/token`;
}

/** `{authority}/{tenant}/oauth2/v2.0`: where the device code and token endpoints live. */
export function microsoftBase(config: MicrosoftOAuthConfig): string {
  return `${config.authority.replace(/\/+$/, '')}/${encodeURIComponent(config.tenant)}/oauth2/v2.0`;
}

/** grant_type=refresh_token. Box rotates the refresh token on every use, so callers must store the one returned. */
export function refreshAccessToken(config: OAuthConfig, refreshToken: string, signal: AbortSignal): Promise<TokenGrant> {
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: config.clientId };
  if (config.clientSecret) form.client_secret = config.clientSecret;
  if (config.provider === 'graph') form.scope = config.scope;
  return postTokenForm(tokenUrlOf(config), form, signal);
}

/**
 * POSTs a form to a token endpoint. Resolves with the grant; rejects with OAuthRefused when the server refuses, or with a
 * classified UploadFailure (retry / rate-limited) when it cannot answer. Messages never contain the form's values.
 */
export async function postTokenForm(url: string, form: Record<string, string>, signal: AbortSignal): Promise<TokenGrant> {
  const reply = await postForm(url, form, signal);
  if (reply.status === 200) {
    const parsed = grantSchema.safeParse(parseJson(reply.text));
    if (!parsed.success || (parsed.data.token_type !== undefined && parsed.data.token_type.toLowerCase() !== 'bearer')) {
      throw new UploadFailure({ kind: 'retry', reason: `${safeHost(url)} sent a token reply Hoist does not understand` });
    }
    const grant = parsed.data;
    return { accessToken: grant.access_token, refreshToken: grant.refresh_token, expiresInSec: grant.expires_in, scope: grant.scope };
  }
  throw oauthFailure(reply, url);
}

/** A form POST to an authorization server (token, device code). */
export function postForm(url: string, form: Record<string, string>, signal: AbortSignal): Promise<HttpReply> {
  return httpRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    signal,
  });
}

/** Maps a non-200 answer of an authorization server: OAuth errors are refusals, overload and outages are transient. */
export function oauthFailure(reply: HttpReply, url: string): OAuthRefused | UploadFailure {
  const host = safeHost(url);
  if (reply.status === 429 || reply.status === 408 || reply.status >= 500) {
    return new UploadFailure(classifyStatus(reply.status, reply.retryAfterMs, `the sign-in server ${host} answered HTTP ${reply.status}`));
  }
  const parsed = errorSchema.safeParse(parseJson(reply.text));
  if (!parsed.success) return new OAuthRefused(`http-${reply.status}`, `${host} answered HTTP ${reply.status}`, reply.status);
  const description = (parsed.data.error_description ?? '').split(/\r?\n/)[0]!.slice(0, MAX_DESCRIPTION_CHARS);
  return new OAuthRefused(parsed.data.error, description, reply.status);
}
