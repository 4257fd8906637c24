import type { JobRow } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';
import type { SyncIndexRow } from '../store/sync-index-repo.js';

/** What the index keeps of a remote item: its id and the strongest content hash the server reported. */
export function remoteFacts(item: unknown): { id: string | null; contentHash: string | null } {
  if (typeof item !== 'object' || item === null) return { id: null, contentHash: null };
  const { id, hashes } = item as { id?: unknown; hashes?: { quickXorHash?: unknown; sha1Hex?: unknown; sha256Hex?: unknown } };
  const hash =
    typeof hashes?.sha256Hex === 'string'
      ? `sha256:${hashes.sha256Hex}`
      : typeof hashes?.sha1Hex === 'string'
        ? `sha1:${hashes.sha1Hex}`
        : typeof hashes?.quickXorHash === 'string'
          ? `quickxor:${hashes.quickXorHash}`
          : null;
  return { id: typeof id === 'string' ? id : null, contentHash: hash };
}

/**
 * Brings an index row up to date with its job: done → 'uploaded' with the remote item (and the fingerprint the job
 * actually sent), failed / cancelled → kept so only a change or the user retries it, vanished job → 'pending' again.
 * A row recorded as deleted stays deleted but learns the remote item, so the file coming back unchanged is not re-sent.
 * Returns true when the row changed.
 */
export function settleRowFromJob(store: Store, row: Pick<SyncIndexRow, 'watchId' | 'relPath' | 'state' | 'sizeBytes' | 'mtimeMs' | 'inode'>, job: JobRow | undefined, nowMs: number): boolean {
  if (!job) {
    if (row.state !== 'queued') return false;
    store.syncIndex.recordPending(row.watchId, row.relPath, row, nowMs);
    return true;
  }
  switch (job.state) {
    case 'done': {
      const facts = remoteFacts(job.remoteItem);
      store.syncIndex.recordUploaded(row.watchId, row.relPath, job, facts.id, facts.contentHash, row.state === 'deleted' ? 'deleted' : 'uploaded', nowMs);
      return true;
    }
    case 'failed':
    case 'cancelled':
      if (row.state !== 'queued') return false;
      store.syncIndex.setState(row.watchId, row.relPath, job.state, nowMs);
      return true;
    case 'queued':
    case 'running':
    case 'paused':
      return false;
  }
}
