import type Database from 'better-sqlite3';
import type { IndexedFile, SyncState } from '../domain/sync-diff.js';
import type { FileIdentity } from './jobs-repo.js';
import type { Db } from './open-database.js';

export interface SyncIndexRow extends IndexedFile {
  watchId: number;
  relPath: string;
  jobId: number | null;
  contentHash: string | null;
  updatedAtMs: number;
}

interface Raw {
  watch_id: number;
  rel_path: string;
  size_bytes: number;
  mtime_ms: number;
  inode: string | null;
  state: SyncState;
  job_id: number | null;
  remote_item_id: string | null;
  content_hash: string | null;
  updated_at_ms: number;
}

const toRow = (r: Raw): SyncIndexRow => ({
  watchId: r.watch_id,
  relPath: r.rel_path,
  sizeBytes: r.size_bytes,
  mtimeMs: r.mtime_ms,
  inode: r.inode,
  state: r.state,
  jobId: r.job_id,
  remoteItemId: r.remote_item_id,
  contentHash: r.content_hash,
  updatedAtMs: r.updated_at_ms,
});

/**
 * The sync index: one row per file of a watched folder. Statements are prepared once: a first scan writes 100,000 rows
 * and a restart reads as many, so per-call `prepare` would dominate.
 */
export class SyncIndexRepo {
  private readonly stmts = new Map<string, Database.Statement<unknown[]>>();

  constructor(private readonly db: Db) {}

  private stmt(sql: string): Database.Statement<unknown[]> {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  get(watchId: number, relPath: string): SyncIndexRow | undefined {
    const raw = this.stmt('SELECT * FROM sync_index WHERE watch_id = ? AND rel_path = ?').get(watchId, relPath) as Raw | undefined;
    return raw && toRow(raw);
  }

  /** Every row of a watch (or of one folder in it), keyed by relative path: what a scan compares the tree with. */
  loadAll(watchId: number, underDir = ''): Map<string, SyncIndexRow> {
    const rows = underDir
      ? (this.stmt('SELECT * FROM sync_index WHERE watch_id = ? AND rel_path > ? AND rel_path < ?').all(watchId, `${underDir}/`, `${underDir}0`) as Raw[])
      : (this.stmt('SELECT * FROM sync_index WHERE watch_id = ?').all(watchId) as Raw[]);
    return new Map(rows.map((r) => [r.rel_path, toRow(r)]));
  }

  /** Rows still present locally (not deleted) at `relPath` or below it: what a vanished file or folder took with it. */
  listLiveAtOrUnder(watchId: number, relPath: string): SyncIndexRow[] {
    return (
      this.stmt(
        `SELECT * FROM sync_index WHERE watch_id = ? AND state <> 'deleted'
           AND (rel_path = ? OR (rel_path > ? AND rel_path < ?))`,
      ).all(watchId, relPath, `${relPath}/`, `${relPath}0`) as Raw[]
    ).map(toRow);
  }

  /** Needs uploading, no job yet (a scan found it; jobs are created as the queue drains). */
  recordPending(watchId: number, relPath: string, identity: FileIdentity, nowMs: number): void {
    this.stmt(
      `INSERT INTO sync_index (watch_id, rel_path, size_bytes, mtime_ms, inode, state, job_id, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, 'pending', NULL, ?)
       ON CONFLICT (watch_id, rel_path) DO UPDATE SET size_bytes = excluded.size_bytes, mtime_ms = excluded.mtime_ms,
         inode = excluded.inode, state = 'pending', job_id = NULL, updated_at_ms = excluded.updated_at_ms`,
    ).run(watchId, relPath, identity.sizeBytes, identity.mtimeMs, identity.inode, nowMs);
  }

  /** A job uploads this version; the remote item of the previous version stays until the new one is done. */
  recordQueued(watchId: number, relPath: string, identity: FileIdentity, jobId: number, nowMs: number): void {
    this.stmt(
      `INSERT INTO sync_index (watch_id, rel_path, size_bytes, mtime_ms, inode, state, job_id, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)
       ON CONFLICT (watch_id, rel_path) DO UPDATE SET size_bytes = excluded.size_bytes, mtime_ms = excluded.mtime_ms,
         inode = excluded.inode, state = 'queued', job_id = excluded.job_id, updated_at_ms = excluded.updated_at_ms`,
    ).run(watchId, relPath, identity.sizeBytes, identity.mtimeMs, identity.inode, jobId, nowMs);
  }

  /** The uploaded version: its fingerprint is the one the job sent, which the engine keeps current if the file changed. */
  recordUploaded(
    watchId: number,
    relPath: string,
    identity: FileIdentity,
    remoteItemId: string | null,
    contentHash: string | null,
    state: 'uploaded' | 'deleted',
    nowMs: number,
  ): void {
    this.stmt(
      `UPDATE sync_index SET size_bytes = ?, mtime_ms = ?, inode = ?, state = ?, remote_item_id = ?, content_hash = ?,
         updated_at_ms = ? WHERE watch_id = ? AND rel_path = ?`,
    ).run(identity.sizeBytes, identity.mtimeMs, identity.inode, state, remoteItemId, contentHash, nowMs, watchId, relPath);
  }

  setState(watchId: number, relPath: string, state: SyncState, nowMs: number): void {
    this.stmt('UPDATE sync_index SET state = ?, updated_at_ms = ? WHERE watch_id = ? AND rel_path = ?').run(state, nowMs, watchId, relPath);
  }

  /** Same size and mtime, another inode (a remounted drive, a restored backup): keep the row, refresh the inode. */
  refreshInode(watchId: number, relPath: string, inode: string | null, state: SyncState, nowMs: number): void {
    this.stmt('UPDATE sync_index SET inode = ?, state = ?, updated_at_ms = ? WHERE watch_id = ? AND rel_path = ?').run(inode, state, nowMs, watchId, relPath);
  }

  byJob(jobId: number): SyncIndexRow | undefined {
    const raw = this.stmt('SELECT * FROM sync_index WHERE job_id = ?').get(jobId) as Raw | undefined;
    return raw && toRow(raw);
  }

  /** Up to `limit` rows of these watches waiting for a job, in index order (watch by watch, path by path). */
  listPending(watchIds: readonly number[], limit: number): SyncIndexRow[] {
    if (watchIds.length === 0) return [];
    const marks = watchIds.map(() => '?').join(', ');
    return (this.stmt(`SELECT * FROM sync_index WHERE state = 'pending' AND watch_id IN (${marks}) LIMIT ?`).all(...watchIds, limit) as Raw[]).map(toRow);
  }

  countInState(state: SyncState): number {
    return (this.stmt('SELECT count(*) AS n FROM sync_index WHERE state = ?').get(state) as { n: number }).n;
  }

  countsFor(watchId: number): Record<SyncState, number> {
    const counts: Record<SyncState, number> = { pending: 0, queued: 0, uploaded: 0, failed: 0, cancelled: 0, deleted: 0 };
    for (const r of this.stmt('SELECT state, count(*) AS n FROM sync_index WHERE watch_id = ? GROUP BY state').all(watchId) as { state: SyncState; n: number }[]) {
      counts[r.state] = r.n;
    }
    return counts;
  }

  /** Counts by state of every watch at once (one grouped query, for the window's list of watched folders). */
  countsByWatch(): Map<number, Record<SyncState, number>> {
    const all = new Map<number, Record<SyncState, number>>();
    for (const r of this.stmt('SELECT watch_id, state, count(*) AS n FROM sync_index GROUP BY watch_id, state').all() as { watch_id: number; state: SyncState; n: number }[]) {
      let counts = all.get(r.watch_id);
      if (!counts) all.set(r.watch_id, (counts = { pending: 0, queued: 0, uploaded: 0, failed: 0, cancelled: 0, deleted: 0 }));
      counts[r.state] = r.n;
    }
    return all;
  }

  /** Rows whose upload failed because the file was not there (its folder went missing): retried once it is back. */
  listFailedAsMissing(watchId: number): SyncIndexRow[] {
    return (
      this.stmt(
        `SELECT s.* FROM sync_index s JOIN jobs j ON j.id = s.job_id
          WHERE s.watch_id = ? AND s.state = 'failed' AND j.state = 'failed' AND j.error_code = 'file-missing'`,
      ).all(watchId) as Raw[]
    ).map(toRow);
  }

  /** Queued rows whose job ended (or vanished) without the index hearing of it: the daemon was down, or another process ran it. */
  listUnsettled(watchId: number): SyncIndexRow[] {
    return (
      this.stmt(
        `SELECT s.* FROM sync_index s LEFT JOIN jobs j ON j.id = s.job_id
          WHERE s.state = 'queued' AND s.watch_id = ? AND (j.id IS NULL OR j.state IN ('done', 'failed', 'cancelled'))`,
      ).all(watchId) as Raw[]
    ).map(toRow);
  }
}
