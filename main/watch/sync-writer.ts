import { join } from 'node:path';
import { diffFile, remotePathOf } from '../domain/sync-diff.js';
import type { FileIdentity } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';
import type { WatchRow } from '../store/watches-repo.js';
import type { SettledFile } from './pending-gate.js';
import type { WatchEventSink } from './watch-events.js';
import type { VanishedFile } from './vanished-files.js';
import type { WatchOptions } from './watch-options.js';

/** The local path of a watched file (native separators) from its `/`-separated relative path. */
export function localPathOf(watch: Pick<WatchRow, 'dir'>, relPath: string): string {
  return join(watch.dir, ...relPath.split('/'));
}

/**
 * The job that uploads this version of the file: an unfinished one for the same file and remote path is reused (the
 * engine notices the new size/mtime and starts a fresh session), a failed one is retried, else a new job is created.
 * A changed file thus becomes a new version of the same remote path, under the destination's conflict policy.
 */
export function queueJob(store: Store, watch: WatchRow, relPath: string, identity: FileIdentity, nowMs: number): number {
  const localPath = localPathOf(watch, relPath);
  const remotePath = remotePathOf(watch.remoteDir, relPath);
  const active = store.jobs.findActive(watch.destinationId, localPath, remotePath);
  if (active) {
    if (active.state === 'failed') store.jobs.resume([active.id], nowMs);
    return active.id;
  }
  return store.jobs.create({ destinationId: watch.destinationId, localPath, remotePath, ...identity }, nowMs).id;
}

export interface SettleCounts {
  queued: number;
  pending: number;
  renamed: number;
  restored: number;
}

/**
 * Writes one folder's decisions to the database, a batch per transaction: settled files become jobs (or pending rows),
 * vanished files become 'deleted' rows. Nothing here touches the file system.
 */
export class SyncWriter {
  private hasWarnedMirror = false;

  constructor(
    private readonly deps: {
      store: Store;
      watch: WatchRow;
      nowMs: () => number;
      options: WatchOptions;
      events: WatchEventSink;
      /** Removes and returns a vanished file with this identity (a rename's other half), if one is waiting. */
      takeVanished: (identity: FileIdentity, relPath: string) => VanishedFile | undefined;
    },
  ) {}

  /** Returns what happened; the caller wakes the scheduler when jobs were queued and fills the queue when rows are pending. */
  applySettled(files: readonly SettledFile[]): SettleCounts {
    const total: SettleCounts = { queued: 0, pending: 0, renamed: 0, restored: 0 };
    const { store, watch, options } = this.deps;
    for (let start = 0; start < files.length; start += options.batchSize) {
      const batch = files.slice(start, start + options.batchSize);
      const vanished: string[] = [];
      store.db.transaction(() => {
        let liveRoom = batch.some((f) => f.source === 'live') ? options.maxLiveQueuedJobs - store.syncIndex.countInState('queued') : 0;
        const nowMs = this.deps.nowMs();
        for (const file of batch) {
          const row = store.syncIndex.get(watch.id, file.relPath);
          const diff = diffFile(row, file.identity);
          if (diff.kind === 'unchanged') {
            if (diff.isInodeStale) store.syncIndex.refreshInode(watch.id, file.relPath, file.identity.inode, row!.state, nowMs);
            continue;
          }
          if (diff.kind === 'restore') {
            store.syncIndex.refreshInode(watch.id, file.relPath, file.identity.inode, 'uploaded', nowMs);
            total.restored++;
            continue;
          }
          const previous = this.deps.takeVanished(file.identity, file.relPath);
          if (previous) {
            vanished.push(previous.relPath);
            total.renamed++;
          }
          if (file.source === 'live' && liveRoom > 0) {
            store.syncIndex.recordQueued(watch.id, file.relPath, file.identity, queueJob(store, watch, file.relPath, file.identity, nowMs), nowMs);
            liveRoom--;
            total.queued++;
          } else {
            store.syncIndex.recordPending(watch.id, file.relPath, file.identity, nowMs);
            total.pending++;
          }
        }
        this.markDeleted(vanished, nowMs);
      })();
    }
    if (total.queued + total.pending + total.restored > 0) {
      this.deps.events({ type: 'files-queued', watchId: watch.id, ...total });
    }
    return total;
  }

  /** Records vanished files as deleted (never propagated unless mirroring, which no protocol can do yet). */
  recordDeletions(relPaths: readonly string[]): number {
    if (relPaths.length === 0) return 0;
    let count = 0;
    const { store, options } = this.deps;
    for (let start = 0; start < relPaths.length; start += options.batchSize) {
      const batch = relPaths.slice(start, start + options.batchSize);
      count += store.db.transaction(() => this.markDeleted(batch, this.deps.nowMs()))();
    }
    if (count > 0) this.reportDeletions(count);
    return count;
  }

  /**
   * Uploads queued before the folder went missing (drive unplugged) failed with "file missing" meanwhile; once the
   * folder is back with the file, they run again (and the engine resumes their server sessions). Returns how many.
   */
  retryUploadsThatFoundNoFile(isFilePresent: (relPath: string) => boolean): number {
    const { store, watch } = this.deps;
    const rows = store.syncIndex.listFailedAsMissing(watch.id).filter((r) => isFilePresent(r.relPath));
    if (rows.length === 0) return 0;
    store.db.transaction(() => {
      const nowMs = this.deps.nowMs();
      for (const row of rows) {
        store.jobs.resume([row.jobId!], nowMs);
        store.syncIndex.setState(watch.id, row.relPath, 'queued', nowMs);
      }
    })();
    return rows.length;
  }

  /** Same size and mtime as recorded but another inode (remount, restore): keep the state, refresh the inode. */
  refreshInodes(files: ReadonlyArray<{ relPath: string; inode: string | null }>): void {
    const { store, watch } = this.deps;
    store.db.transaction(() => {
      const nowMs = this.deps.nowMs();
      for (const f of files) {
        const row = store.syncIndex.get(watch.id, f.relPath);
        if (row) store.syncIndex.refreshInode(watch.id, f.relPath, f.inode, row.state === 'deleted' ? 'uploaded' : row.state, nowMs);
      }
    })();
  }

  private markDeleted(relPaths: readonly string[], nowMs: number): number {
    const { store, watch } = this.deps;
    let count = 0;
    for (const relPath of relPaths) {
      const row = store.syncIndex.get(watch.id, relPath);
      if (!row || row.state === 'deleted') continue;
      store.syncIndex.setState(watch.id, relPath, 'deleted', nowMs);
      count++;
      // An upload of a file that no longer exists can only fail; cancel it (a running one stops within a poll).
      if (row.jobId !== null) {
        const state = store.jobs.stateOf(row.jobId);
        if (state === 'queued' || state === 'running' || state === 'paused') store.jobs.setState(row.jobId, 'cancelled', nowMs);
      }
    }
    return count;
  }

  private reportDeletions(count: number): void {
    const { watch } = this.deps;
    this.deps.events({ type: 'files-deleted', watchId: watch.id, count, isMirrorRequested: watch.mirrorDeletes });
    if (watch.mirrorDeletes && !this.hasWarnedMirror) {
      this.hasWarnedMirror = true;
      this.deps.events({
        type: 'watch-warning',
        watchId: watch.id,
        message:
          'Mirroring deletions is switched on for this folder, but no upload protocol can delete remote files yet: ' +
          'local deletions are recorded in the sync index only, and the remote copies stay.',
      });
    }
  }
}
