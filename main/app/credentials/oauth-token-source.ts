import { HoistError } from '../../domain/hoist-error.js';
import { BOX_OAUTH_DEFAULTS, MICROSOFT_OAUTH_DEFAULTS, type OAuthConfig } from '../../protocols/oauth-client.js';
import type { DestinationRow } from '../../store/destinations-repo.js';
import type { SecretStore } from '../secret-store.js';

/**
 * `dest.config.token` of a destination that signs in with OAuth (`hoist login NAME`). Only public settings live here
 * (the database and `dest list --json` show them); the client secret is in the token store or an environment variable.
 */
export interface OAuthTokenSource {
  kind: 'oauth';
  clientId: string;
  /** Environment variable holding the client secret; when absent the secret (if any) is in the token store. */
  clientSecretEnv?: string;
  /** Graph: sign-in host, default https://login.microsoftonline.com. */
  authority?: string;
  /** Graph: default 'common'. */
  tenant?: string;
  /** Box: default https://account.box.com/api/oauth2/authorize. */
  authorizeUrl?: string;
  /** Box: default https://api.box.com/oauth2/token; Graph: overrides {authority}/{tenant}/oauth2/v2.0/token. */
  tokenUrl?: string;
}

/** SecretStore key of a destination's OAuth tokens. */
export const oauthTokensKey = (destinationName: string): string => `oauth:${destinationName}`;
/** SecretStore key of a destination's OAuth client secret (given with --client-secret). */
export const clientSecretKey = (destinationName: string): string => `oauth-client-secret:${destinationName}`;

export function isOAuthSource(token: unknown): token is OAuthTokenSource {
  return typeof token === 'object' && token !== null && (token as { kind?: unknown }).kind === 'oauth' && typeof (token as { clientId?: unknown }).clientId === 'string';
}

/** The destination's OAuth settings with defaults filled in and the client secret resolved. */
export function oauthConfigFor(dest: DestinationRow, secrets: SecretStore, env: NodeJS.ProcessEnv): OAuthConfig {
  const source = dest.config.token;
  if (!isOAuthSource(source)) {
    throw new HoistError('invalid-argument', `Destination "${dest.name}" does not use sign-in. Add it again with --client-id to sign in with hoist login.`);
  }
  const clientSecret = clientSecretOf(dest.name, source, secrets, env);
  switch (dest.provider) {
    case 'graph':
      return {
        provider: 'graph',
        clientId: source.clientId,
        ...(clientSecret ? { clientSecret } : {}),
        authority: source.authority ?? MICROSOFT_OAUTH_DEFAULTS.authority,
        tenant: source.tenant ?? MICROSOFT_OAUTH_DEFAULTS.tenant,
        scope: MICROSOFT_OAUTH_DEFAULTS.scope,
        ...(source.tokenUrl ? { tokenUrl: source.tokenUrl } : {}),
      };
    case 'box':
      if (!clientSecret) {
        throw new HoistError('invalid-argument', `Box sign-in needs the app's client secret: add "${dest.name}" again with --client-secret or --client-secret-env.`);
      }
      return {
        provider: 'box',
        clientId: source.clientId,
        clientSecret,
        authorizeUrl: source.authorizeUrl ?? BOX_OAUTH_DEFAULTS.authorizeUrl,
        tokenUrl: source.tokenUrl ?? BOX_OAUTH_DEFAULTS.tokenUrl,
      };
    default:
      throw new HoistError('invalid-argument', `Sign-in is available for graph and box destinations, not ${dest.provider}.`);
  }
}

/** Removes everything sign-in stored for a destination (tokens and client secret). */
export function forgetCredentials(secrets: SecretStore, destinationName: string): void {
  secrets.delete(oauthTokensKey(destinationName));
  secrets.delete(clientSecretKey(destinationName));
}

function clientSecretOf(name: string, source: OAuthTokenSource, secrets: SecretStore, env: NodeJS.ProcessEnv): string | undefined {
  if (!source.clientSecretEnv) return secrets.get(clientSecretKey(name));
  const value = env[source.clientSecretEnv];
  if (!value) throw new HoistError('auth-failed', `Destination "${name}" reads its client secret from ${source.clientSecretEnv}, which is empty or unset.`);
  return value;
}
