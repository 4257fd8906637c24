import { HoistError } from '../../domain/hoist-error.js';
import type { ProviderKind } from '../../store/destinations-repo.js';
import type { SecretStore } from '../secret-store.js';
import { clientSecretKey, type OAuthTokenSource } from './oauth-token-source.js';

/** The sign-in options of `hoist dest add`. */
export interface OAuthAddOptions {
  clientId?: string;
  clientSecret?: string;
  clientSecretEnv?: string;
  tenant?: string;
  authority?: string;
  authorizeUrl?: string;
  tokenUrl?: string;
}

/** Checks a URL option (https, or http on loopback) and returns it normalised; dest-commands' `endpoint` fits. */
export type UrlCheck = (value: string, flag: string) => string;

/**
 * Validates the sign-in options of `dest add` and builds the token source. Undefined when --client-id is absent (the
 * destination then uses --token / --token-env); then no other sign-in option may be given either.
 */
export function oauthSourceFrom(provider: ProviderKind, opts: OAuthAddOptions & { token?: string; tokenEnv?: string }, checkUrl: UrlCheck): OAuthTokenSource | undefined {
  const given = (['clientSecret', 'clientSecretEnv', 'tenant', 'authority', 'authorizeUrl', 'tokenUrl'] as const).filter((k) => opts[k] !== undefined);
  if (!opts.clientId) {
    if (given.length > 0) throw new HoistError('invalid-argument', `${listFlags(given)} only with --client-id (sign-in).`);
    return undefined;
  }
  if (provider !== 'graph' && provider !== 'box') throw new HoistError('invalid-argument', `--client-id (sign-in) is available for graph and box destinations, not ${provider}.`);
  if (opts.token || opts.tokenEnv) throw new HoistError('invalid-argument', 'Give either --client-id (then sign in with hoist login) or --token / --token-env, not both.');
  if (opts.clientSecret && opts.clientSecretEnv) throw new HoistError('invalid-argument', 'Give either --client-secret or --client-secret-env, not both.');
  const onlyFor = (keys: ReadonlyArray<keyof OAuthAddOptions>, who: string) => {
    const wrong = keys.filter((k) => opts[k] !== undefined);
    if (wrong.length > 0) throw new HoistError('invalid-argument', `${listFlags(wrong)} only to ${who} destinations.`);
  };
  const tokenUrl = opts.tokenUrl === undefined ? {} : { tokenUrl: checkUrl(opts.tokenUrl, '--token-url') };
  const secretEnv = opts.clientSecretEnv ? { clientSecretEnv: opts.clientSecretEnv } : {};
  if (provider === 'graph') {
    onlyFor(['authorizeUrl'], 'box');
    return {
      kind: 'oauth',
      clientId: opts.clientId,
      ...secretEnv,
      ...(opts.tenant ? { tenant: validTenant(opts.tenant) } : {}),
      ...(opts.authority ? { authority: checkUrl(opts.authority, '--authority') } : {}),
      ...tokenUrl,
    };
  }
  onlyFor(['tenant', 'authority'], 'graph');
  if (!opts.clientSecret && !opts.clientSecretEnv) {
    throw new HoistError('invalid-argument', "Box sign-in needs the app's client secret: --client-secret SECRET or --client-secret-env VARIABLE.");
  }
  return {
    kind: 'oauth',
    clientId: opts.clientId,
    ...secretEnv,
    ...(opts.authorizeUrl ? { authorizeUrl: checkUrl(opts.authorizeUrl, '--authorize-url') } : {}),
    ...tokenUrl,
  };
}

/** Keeps a client secret given on the command line in the token store, never in the database. */
export function saveOAuthSecrets(secrets: SecretStore, destinationName: string, opts: OAuthAddOptions): void {
  if (opts.clientSecret) secrets.set(clientSecretKey(destinationName), opts.clientSecret);
}

function validTenant(tenant: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/.test(tenant)) throw new HoistError('invalid-argument', `--tenant must be common, organizations, consumers, a tenant id or a domain, got "${tenant}".`);
  return tenant;
}

/** "--tenant applies" / "--tenant, --authority apply" */
function listFlags(keys: ReadonlyArray<keyof OAuthAddOptions>): string {
  const flags = keys.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  return `${flags.join(', ')} ${flags.length === 1 ? 'applies' : 'apply'}`;
}
