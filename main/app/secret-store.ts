import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoistError } from '../domain/hoist-error.js';

/**
 * Tokens live outside the database in a file only the user can read (mode 0600). The desktop app wraps values with the
 * OS keychain (Electron safeStorage) before they reach this store; the headless CLI has no keychain to ask.
 */
export class SecretStore {
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'secrets.json');
  }

  get(key: string): string | undefined {
    return this.readAll()[key];
  }

  set(key: string, value: string): void {
    this.writeAll({ ...this.readAll(), [key]: value });
  }

  delete(key: string): void {
    const all = this.readAll();
    if (!(key in all)) return;
    delete all[key];
    this.writeAll(all);
  }

  private readAll(): Record<string, string> {
    if (!existsSync(this.path)) return {};
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>;
    } catch (error) {
      throw new HoistError('data-dir-unwritable', `Cannot read the token store ${this.path}: ${(error as Error).message}`);
    }
  }

  private writeAll(all: Record<string, string>): void {
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
