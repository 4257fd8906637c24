/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service of a Linux desktop) as the secret
 * store uses it: one text per service and account. Every call is synchronous and may throw when the keychain is locked
 * or not there (a headless Linux has no Secret Service on D-Bus).
 */
export interface KeychainPort {
  /** Whether a keychain answers here now (probed once per process by the real one). */
  isAvailable(): boolean;
  /** Undefined when nothing is stored under the account. */
  get(service: string, account: string): string | undefined;
  set(service: string, account: string, value: string): void;
  delete(service: string, account: string): void;
}

/** A keychain in memory: the tests' stand-in, shared by an "app" and a "CLI" SecretStore in one process. */
export function memoryKeychain(isAvailable = true): KeychainPort & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  const id = (service: string, account: string) => `${service}\u0000${account}`;
  const check = () => {
    if (!isAvailable) throw new Error('Platform failure: no Secret Service on the session bus');
  };
  return {
    entries,
    isAvailable: () => isAvailable,
    get: (service, account) => (check(), entries.get(id(service, account))),
    set: (service, account, value) => void (check(), entries.set(id(service, account), value)),
    delete: (service, account) => void (check(), entries.delete(id(service, account))),
  };
}
