import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoistError } from '../domain/hoist-error.js';

/**
 * Encryption with a key the OS keeps (Electron: `safeStorage.encryptString(s).toString('base64')` and its inverse).
 * `isAvailable` false (e.g. Linux without a keyring) means values are stored as plain text in the 0600 file.
 */
export interface SecretCipher {
  readonly isAvailable: boolean;
  encrypt(plainText: string): string;
  decrypt(cipherText: string): string;
}

/** A value as stored: plain text, or `{ enc }` when a cipher wrapped it (never ambiguous with a plain value). */
type StoredValue = string | { enc: string };

/**
 * Tokens live outside the database in a file only the user can read (mode 0600). The desktop app passes a cipher backed
 * by the OS keychain (Electron safeStorage) so values are also encrypted at rest; the headless CLI has no keychain to
 * ask and relies on the file mode.
 */
export class SecretStore {
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly cipher?: SecretCipher,
  ) {
    this.path = join(dataDir, 'secrets.json');
  }

  /** Whether values written now are encrypted at rest (and not only protected by the file mode). */
  get isEncryptedAtRest(): boolean {
    return this.cipher?.isAvailable ?? false;
  }

  /** Whether a value is stored under the key (without decrypting it). */
  has(key: string): boolean {
    return key in this.readAll();
  }

  get(key: string): string | undefined {
    const value = this.readAll()[key];
    if (value === undefined || typeof value === 'string') return value;
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
    const stored: StoredValue = this.cipher?.isAvailable ? { enc: this.cipher.encrypt(value) } : value;
    this.writeAll({ ...this.readAll(), [key]: stored });
  }

  delete(key: string): void {
    const all = this.readAll();
    if (!(key in all)) return;
    delete all[key];
    this.writeAll(all);
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
