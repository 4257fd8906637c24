import type { DestinationAuthView, DestinationView } from '../../preload/contract/views.js';
import type { DestinationRow } from '../store/destinations-repo.js';
import { clientSecretKey, isOAuthSource, oauthTokensKey } from './credentials/oauth-token-source.js';
import type { TokenSource } from './protocol-factory.js';
import type { SecretStore } from './secret-store.js';

/** A destination as the window and `hoist dest list --json` show it: settings and how it signs in, never a secret. */
export function destinationView(dest: DestinationRow, secrets: SecretStore, env: NodeJS.ProcessEnv, defaultName: string): DestinationView {
  const { token, ...settings } = dest.config;
  return {
    name: dest.name,
    provider: dest.provider,
    settings: isOAuthSource(token) ? { ...settings, signIn: { clientId: token.clientId, tenant: token.tenant, authority: token.authority } } : settings,
    auth: authOf(dest, token, secrets, env),
    isDefault: dest.name === defaultName,
    isEncryptedAtRest: isEncryptedAtRest(dest.name, secrets),
  };
}

function authOf(dest: DestinationRow, token: unknown, secrets: SecretStore, env: NodeJS.ProcessEnv): DestinationAuthView {
  if (dest.config.embedded === true) return { kind: 'none' };
  if (isOAuthSource(token)) return { kind: 'sign-in', isSignedIn: secrets.has(oauthTokensKey(dest.name)) };
  const source = token as TokenSource | undefined;
  if (source?.kind === 'env') return { kind: 'token-env', variable: source.name, isSet: Boolean(env[source.name]) };
  const isStored = secrets.has(`destination:${dest.name}`);
  // A tus server may need no token at all.
  if (!isStored && dest.provider === 'tus') return { kind: 'none' };
  return { kind: 'token', isStored };
}

/**
 * True only when the destination has stored secrets and every one of them is in the OS keychain (or encrypted by it):
 * the window's "kept in a file only you can read" note must never be hidden while a token sits in the file.
 */
function isEncryptedAtRest(name: string, secrets: SecretStore): boolean {
  const places = [`destination:${name}`, oauthTokensKey(name), clientSecretKey(name)].map((key) => secrets.placeOf(key)).filter((place) => place !== 'absent');
  return places.length > 0 && places.every((place) => place === 'keychain' || place === 'encrypted-file');
}
