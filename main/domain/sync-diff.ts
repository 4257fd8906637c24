import type { FileIdentity } from '../store/jobs-repo.js';
import { sameContentStamp } from './file-stability.js';

/** How a watched file stands in the sync index. */
export type SyncState = 'pending' | 'queued' | 'uploaded' | 'failed' | 'cancelled' | 'deleted';

/** The part of a sync-index row the decisions need. */
export interface IndexedFile extends FileIdentity {
  state: SyncState;
  remoteItemId: string | null;
}

/**
 * What to do with a file found on disk, given its index row:
 * - `upload`: new, or changed since it was recorded (a changed file becomes a new version of the same remote path);
 * - `restore`: deleted earlier and back unchanged while the remote copy still exists: nothing to send;
 * - `unchanged`: recorded with this size and mtime (queued, uploaded, or failed/cancelled, which only a user retries).
 *
 * Size and mtime decide, not the inode: removable drives and network shares renumber inodes on every mount, and
 * re-uploading a 100,000-file drive because it was plugged in again is the failure this index exists to prevent.
 */
export type FileDiff = { kind: 'upload'; reason: 'new' | 'changed' } | { kind: 'restore' } | { kind: 'unchanged'; isInodeStale: boolean };

export function diffFile(row: IndexedFile | undefined, current: FileIdentity): FileDiff {
  if (!row) return { kind: 'upload', reason: 'new' };
  const isSame = sameContentStamp(row, current);
  if (row.state === 'deleted') return isSame && row.remoteItemId !== null ? { kind: 'restore' } : { kind: 'upload', reason: isSame ? 'new' : 'changed' };
  if (!isSame) return { kind: 'upload', reason: 'changed' };
  if (row.state === 'pending') return { kind: 'unchanged', isInodeStale: row.inode !== current.inode };
  return { kind: 'unchanged', isInodeStale: row.inode !== current.inode };
}

/** A file that vanished and one that appeared with the same inode, size and mtime are one file renamed. */
export function renameKey(identity: FileIdentity): string | undefined {
  return identity.inode === null ? undefined : `${identity.inode}:${identity.sizeBytes}:${identity.mtimeMs}`;
}

/** The remote path of a watched file: the watch's remote folder plus the relative path, always with `/`. */
export function remotePathOf(remoteDir: string, relPath: string): string {
  const parts = [...remoteDir.split('/'), ...relPath.split('/')].filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}

/** Normalizes a user's --remote-dir: leading slash, no trailing slash, no empty or `.` segments, `..` refused. */
export function normalizeRemoteDir(input: string): string | undefined {
  const parts = input.replaceAll('\\', '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return undefined;
  return `/${parts.join('/')}`;
}
