import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { KeychainPort } from './keychain-port.js';

interface NativeEntry {
  getPassword(): string | null;
  setPassword(password: string): void;
  deletePassword(): boolean;
}
type EntryClass = new (service: string, account: string, options?: { linux?: { store?: 'secret-service' | 'keyutils' } }) => NativeEntry;

/**
 * Linux: the Secret Service only. Left to choose, the library falls back to the kernel keyring, which is in memory and
 * empty after a reboot: tokens kept there would sign the user out at every restart. Ignored on macOS and Windows.
 */
const OPTIONS = { linux: { store: 'secret-service' as const } };

/**
 * The OS keychain through @napi-rs/keyring (prebuilt N-API binaries: the same module loads in Node for the CLI and in
 * Electron for the app, so both read each other's tokens). Undefined when HOIST_KEYCHAIN=off (tests, or a user who
 * wants the file only) or when the native module does not load on this platform. Loaded lazily, so a CLI run that
 * reads no secret never pays for it.
 */
export function osKeychain(env: NodeJS.ProcessEnv = process.env): KeychainPort | undefined {
  if ((env.HOIST_KEYCHAIN ?? process.env.HOIST_KEYCHAIN) === 'off') return undefined;
  let Entry: EntryClass | undefined;
  let probed: boolean | undefined;
  const entryClass = (): EntryClass => {
    // import.meta.dirname: the CLI bundle (CommonJS) defines it, where import.meta.url is empty.
    Entry ??= (createRequire(join(import.meta.dirname, 'keychain.cjs'))('@napi-rs/keyring') as { Entry: EntryClass }).Entry;
    return Entry;
  };
  const entry = (service: string, account: string) => new (entryClass())(service, account, OPTIONS);
  return {
    isAvailable() {
      if (probed === undefined) {
        try {
          entry('Hoist', 'availability-probe').getPassword();
          probed = true;
        } catch {
          probed = false;
        }
      }
      return probed;
    },
    get: (service, account) => entry(service, account).getPassword() ?? undefined,
    set: (service, account, value) => entry(service, account).setPassword(value),
    delete: (service, account) => void entry(service, account).deletePassword(),
  };
}
