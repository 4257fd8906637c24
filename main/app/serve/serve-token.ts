import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoistError } from '../../domain/hoist-error.js';

/**
 * The access token of `hoist serve`'s window: generated once, kept in the data folder readable only by the user, so
 * the address stays the same across restarts (a bookmark keeps working) and nobody else on the machine can use it.
 */
export function serveToken(dataDir: string): string {
  const path = join(dataDir, 'serve-token');
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(existing)) return existing;
  } catch {
    // none yet
  }
  const token = randomBytes(24).toString('base64url');
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (error) {
    throw new HoistError('data-dir-unwritable', `Cannot write the window's access token to ${path}: ${(error as Error).message}`);
  }
  return token;
}
