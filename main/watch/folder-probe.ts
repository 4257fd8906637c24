import { lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import type { Store } from '../store/store.js';
import type { WatchRow } from '../store/watches-repo.js';
import type { PathLook } from './pending-gate.js';
import { localPathOf } from './sync-writer.js';
import { identityOf } from './tree-scanner.js';

/** The watched folder itself (following a symlinked root), or undefined when it is not there. */
export function statFolder(dir: string): BigIntStats | undefined {
  try {
    return statSync(dir, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Device and inode: a folder deleted and re-created, or a drive remounted, gets another one. */
export const folderIdOf = (s: BigIntStats): string => `${s.dev}:${s.ino}`;

/**
 * Why a present folder should still count as unavailable: unreadable, or empty while the index knows live files from
 * it. The second is far more often an unmounted drive (its mount point left empty) than a user who deleted
 * everything, so it is treated as missing instead of recording 100,000 deletions.
 */
export function whyFolderUnusable(store: Store, watch: WatchRow): string | undefined {
  let isEmpty: boolean;
  try {
    isEmpty = readdirSync(watch.dir).length === 0;
  } catch {
    return `${watch.dir} cannot be read`;
  }
  if (!isEmpty) return undefined;
  const counts = store.syncIndex.countsFor(watch.id);
  const live = counts.pending + counts.queued + counts.uploaded + counts.failed + counts.cancelled;
  return live > 0 ? `${watch.dir} is empty although ${live} file(s) were synced from it; waiting for it to come back (an unmounted drive?)` : undefined;
}

/** One lstat: what is at a watched path now, following symlinks only when the watch's policy says so. */
export function lookAt(watch: WatchRow, relPath: string): PathLook {
  const abs = localPathOf(watch, relPath);
  try {
    let s = lstatSync(abs, { bigint: true });
    if (s.isSymbolicLink()) {
      if (watch.symlinkPolicy === 'skip') return { kind: 'other' };
      s = statSync(abs, { bigint: true });
    }
    if (s.isDirectory()) return { kind: 'dir' };
    if (s.isFile()) return { kind: 'file', identity: identityOf(s) };
    return { kind: 'other' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'gone' } : { kind: 'other' };
  }
}
