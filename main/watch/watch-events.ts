import type { WatchStatus } from '../store/watches-repo.js';

/**
 * What folder watching reports. Counts per batch, never one event per file: a burst of 10,000 files is a handful of
 * events, so a UI subscribed to them never floods.
 */
export type WatchEvent =
  | { type: 'watch-status'; watchId: number; status: WatchStatus; message?: string }
  | {
      type: 'watch-scanned';
      watchId: number;
      isFull: boolean;
      files: number;
      /** New or changed files found (queued, or waiting to settle). */
      changed: number;
      /** Recorded files no longer there (renamed ones included). */
      deleted: number;
      /** Of the deleted, files that reappeared under another name (same inode, size and mtime). */
      renamed: number;
      ignored: number;
      durationMs: number;
    }
  | {
      type: 'files-queued';
      watchId: number;
      /** Jobs created now. */
      queued: number;
      /** Recorded as needing upload; jobs follow as the queue drains. */
      pending: number;
      /** Of these, files that are a vanished file under a new name. */
      renamed: number;
      /** Deleted earlier and back unchanged while the remote copy exists: recorded, nothing sent. */
      restored: number;
    }
  | { type: 'files-deleted'; watchId: number; count: number; isMirrorRequested: boolean }
  | { type: 'file-unsettled'; watchId: number; relPath: string; waitedMs: number }
  | { type: 'watch-warning'; watchId: number; message: string };

export type WatchEventSink = (event: WatchEvent) => void;
