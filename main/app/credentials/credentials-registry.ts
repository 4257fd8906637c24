import type { DestinationRow } from '../../store/destinations-repo.js';
import type { SecretStore } from '../secret-store.js';
import { CredentialStore } from './credential-store.js';
import { isOAuthSource, oauthConfigFor } from './oauth-token-source.js';
import { TokenManager } from './token-manager.js';

const managers = new WeakMap<SecretStore, Map<string, { settings: string; manager: TokenManager }>>();

/**
 * The one TokenManager of a destination in this process. Every protocol instance, job and the scheduler's refresh hook
 * must share it: parallel refreshes with one single-use (Box) refresh token would sign the user out.
 */
export function credentialsFor(dest: DestinationRow, secrets: SecretStore, env: NodeJS.ProcessEnv): TokenManager {
  let byName = managers.get(secrets);
  if (!byName) managers.set(secrets, (byName = new Map()));
  const settings = JSON.stringify([dest.provider, dest.config.token]);
  const known = byName.get(dest.name);
  if (known && known.settings === settings) return known.manager;
  const manager = new TokenManager({ config: oauthConfigFor(dest, secrets, env), store: new CredentialStore(secrets, dest.name) });
  byName.set(dest.name, { settings, manager });
  return manager;
}

/** Whether the destination signs in with OAuth (so a 401 can be answered with a refresh). */
export function usesSignIn(dest: DestinationRow): boolean {
  return isOAuthSource(dest.config.token);
}
