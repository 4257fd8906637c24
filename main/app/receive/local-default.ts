import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../store/store.js';

/** The folder the out-of-the-box `local` destination fills. */
export const DEFAULT_LOCAL_DIR = join(homedir(), 'Hoist Uploads');
const OFFERED_KEY = 'local-destination-offered';

/**
 * A new user gets one destination that needs no account: `local`, a tus receiver embedded in Hoist that files uploads
 * into a folder on this machine. Created once; if the user removes it, it stays removed.
 */
export function ensureLocalDestination(store: Store, dir = DEFAULT_LOCAL_DIR): void {
  if (store.settings.get(OFFERED_KEY)) return;
  if (!store.destinations.byName('local')) store.destinations.add('local', 'tus', { embedded: true, dir, endpoint: 'http://127.0.0.1/files/' }, Date.now());
  store.settings.set(OFFERED_KEY, '1');
}
