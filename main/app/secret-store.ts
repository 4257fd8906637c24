import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoistError } from '../domain/hoist-error.js';
import type { KeychainPort } from './keychain/keychain-port.js';

/**
 * Encryption with a key the OS keeps (e.g. Electron's safeStorage). Only Electron can use such a key, so the CLI could
 * not read what it wrapped: the keychain port is what both share. `isAvailable` false means plain text in the file.
 */
export interface SecretCipher {
  readonly isAvailable: boolean;
  encrypt(plainText: string): string;
  decrypt(cipherText: string): string;
}

/**
 * A value as stored in secrets.json: plain text, `{ enc }` when a cipher wrapped it, or `{ keychain: true }` when the
 * value itself is in the OS keychain (never ambiguous with a plain value).
 */
type StoredValue = string | { enc: string } | { keychain: true };

/** Where a stored secret is kept. */
export type SecretPlace = 'keychain' | 'encrypted-file' | 'file' | 'absent';

/** The keychain service of Hoist's secrets; the account names the data folder, so two folders never share one. */
const KEYCHAIN_SERVICE = 'Hoist';

const isKeychainMarker = (value: StoredValue | undefined): value is { keychain: true } => typeof value === 'object' && 'keychain' in value;

/**
 * Tokens live outside the database. Where an OS keychain answers (a desktop session: macOS, Windows, a Linux desktop
 * with a Secret Service), the value goes there and secrets.json keeps only a marker, so the desktop app and the CLI
 * read the same token; elsewhere (headless Linux) the value stays in secrets.json, a file only the user can read (mode
 * 0600), as it always did.
 */
export class SecretStore {
  private readonly path: string;
  private readonly keychainAccount: (key: string) => string;
  /** Set once the keychain failed a write in this process: later writes go to the file without trying it again. */
  private keychainFailed = false;

  constructor(
    dataDir: string,
    private readonly cipher?: SecretCipher,
    private readonly keychain?: KeychainPort,
  ) {
    this.path = join(dataDir, 'secrets.json');
    this.keychainAccount = (key) => `${key} (${dataDir})`;
  }

  /** Whether values written now are kept encrypted at rest (in the keychain, or by a cipher), not only by the file mode. */
  get isEncryptedAtRest(): boolean {
    return this.canUseKeychain() || (this.cipher?.isAvailable ?? false);
  }

  /** Where the value under the key is kept now (without reading it). */
  placeOf(key: string): SecretPlace {
    const value = this.readAll()[key];
    if (value === undefined) return 'absent';
    if (typeof value === 'string') return 'file';
    return isKeychainMarker(value) ? 'keychain' : 'encrypted-file';
  }

  /** Whether a value is stored under the key (without decrypting it). */
  has(key: string): boolean {
    return key in this.readAll();
  }

  get(key: string): string | undefined {
    const value = this.readAll()[key];
    if (value === undefined || typeof value === 'string') return value;
    if (isKeychainMarker(value)) return this.fromKeychain(key);
    if (!this.cipher?.isAvailable) {
      throw new HoistError('auth-failed', `The stored secret "${key}" was encrypted with the OS keychain by the Hoist desktop app and cannot be read here.`);
    }
    try {
      return this.cipher.decrypt(value.enc);
    } catch (error) {
      throw new HoistError('auth-failed', `The stored secret "${key}" cannot be decrypted with the OS keychain: ${(error as Error).message}`);
    }
  }

  set(key: string, value: string): void {
    const before = this.readAll()[key];
    if (this.canUseKeychain()) {
      try {
        this.keychain!.set(KEYCHAIN_SERVICE, this.keychainAccount(key), value);
        this.writeAll({ ...this.readAll(), [key]: { keychain: true } });
        return;
      } catch {
        // The keychain went away (locked, its service stopped): the file keeps the value, as on a headless machine.
        this.keychainFailed = true;
      }
    }
    const stored: StoredValue = this.cipher?.isAvailable ? { enc: this.cipher.encrypt(value) } : value;
    this.writeAll({ ...this.readAll(), [key]: stored });
    if (isKeychainMarker(before)) this.forgetInKeychain(key);
  }

  delete(key: string): void {
    const all = this.readAll();
    if (!(key in all)) return;
    const value = all[key];
    delete all[key];
    this.writeAll(all);
    if (isKeychainMarker(value)) this.forgetInKeychain(key);
  }

  private canUseKeychain(): boolean {
    return this.keychain !== undefined && !this.keychainFailed && this.keychain.isAvailable();
  }

  private fromKeychain(key: string): string | undefined {
    if (!this.keychain) {
      throw new HoistError('auth-failed', `The stored secret "${key}" is kept in the OS keychain, which this Hoist cannot use (HOIST_KEYCHAIN=off, or no keychain support here).`);
    }
    try {
      // A value the user removed from the keychain reads as never stored: signing in again, or adding the token, fixes it.
      return this.keychain.get(KEYCHAIN_SERVICE, this.keychainAccount(key));
    } catch (error) {
      throw new HoistError(
        'auth-failed',
        `The stored secret "${key}" is kept in the OS keychain, which does not answer here (${(error as Error).message}). ` +
          'Run Hoist in the desktop session that stored it, or unlock the keychain.',
      );
    }
  }

  /** Best effort: a value the file no longer points to must not linger in the keychain, but a failure here is no error. */
  private forgetInKeychain(key: string): void {
    try {
      this.keychain?.delete(KEYCHAIN_SERVICE, this.keychainAccount(key));
    } catch {
      // the keychain is away; the entry is unreachable without its marker
    }
  }

  private readAll(): Record<string, StoredValue> {
    if (!existsSync(this.path)) return {};
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, StoredValue>;
    } catch (error) {
      throw new HoistError('data-dir-unwritable', `Cannot read the token store ${this.path}: ${(error as Error).message}`);
    }
  }

  private writeAll(all: Record<string, StoredValue>): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
    } catch (error) {
      throw new HoistError('data-dir-unwritable', `Cannot write the token store ${this.path}: ${(error as Error).message}`);
    }
  }
}
