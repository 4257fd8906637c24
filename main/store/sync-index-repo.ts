import type { IndexedFile, SyncState } from '../domain/sync-diff.js';
import type { FileIdentity, JobState } from './jobs-repo.js';
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

/** A queued row whose job has ended (or vanished) without the index hearing of it: the daemon was down, or another process ran it. */
export interface UnsettledRow {
  relPath: string;
  jobId: number | null;
  jobState: JobState | null;
  jobIdentity: FileIdentity | null;
  remoteItemJson: string | null;
}

/**
 * The sync index: one row per file of a watched folder. Statements are prepared once: a first scan writes 100,000 rows
 * and a restart reads as many, so per-call `prepare` would dominate.
 */
export class SyncIndexRepo {
  private readonly stmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {}

  private stmt(sql: string): ReturnType<Db['prepare']> {
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
  recordUploaded(watchId: number, relPath: string, identity: FileIdentity, remoteItemId: string | null, contentHash: string | null, nowMs: number): void {
    this.stmt(
      `UPDATE sync_index SET size_bytes = ?, mtime_ms = ?, inode = ?, state = 'uploaded', remote_item_id = ?, content_hash = ?,
         updated_at_ms = ? WHERE watch_id = ? AND rel_path = ?`,
    ).run(identity.sizeBytes, identity.mtimeMs, identity.inode, remoteItemId, contentHash, nowMs, watchId, relPath);
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

  /** Up to `limit` rows waiting for a job, across watches, in index order (folder by folder, path by path). */
  listPending(limit: number): SyncIndexRow[] {
    return (this.stmt(`SELECT * FROM sync_index WHERE state = 'pending' LIMIT ?`).all(limit) as Raw[]).map(toRow);
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

  listUnsettled(watchId: number): UnsettledRow[] {
    const rows = this.stmt(
      `SELECT s.rel_path, s.job_id, j.state AS job_state, j.size_bytes, j.mtime_ms, j.inode, j.remote_item_json
         FROM sync_index s LEFT JOIN jobs j ON j.id = s.job_id
        WHERE s.state = 'queued' AND s.watch_id = ? AND (j.id IS NULL OR j.state IN ('done', 'failed', 'cancelled'))`,
    ).all(watchId) as Array<{
      rel_path: string;
      job_id: number | null;
      job_state: JobState | null;
      size_bytes: number | null;
      mtime_ms: number | null;
      inode: string | null;
      remote_item_json: string | null;
    }>;
    return rows.map((r) => ({
      relPath: r.rel_path,
      jobId: r.job_id,
      jobState: r.job_state,
      jobIdentity: r.size_bytes === null || r.mtime_ms === null ? null : { sizeBytes: r.size_bytes, mtimeMs: r.mtime_ms, inode: r.inode },
      remoteItemJson: r.remote_item_json,
    }));
  }
}
