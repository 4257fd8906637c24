import type { ProcessIdentity } from '../domain/process-identity.js';
import type { Db } from './open-database.js';

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface FileIdentity {
  sizeBytes: number;
  mtimeMs: number;
  /** Inode (or file id) as a string where the OS has one; null where it does not. */
  inode: string | null;
}

export interface JobRow extends FileIdentity {
  id: number;
  destinationId: number;
  localPath: string;
  remotePath: string;
  state: JobState;
  errorCode: string | null;
  errorMessage: string | null;
  restartReason: string | null;
  remoteItem: unknown;
  bytesSentTotal: number;
  /** Set when a timed pause paused the job: it resumes then. Null when paused by hand (or not paused). */
  pausedUntilMs: number | null;
  /** Hidden from the window's queue by "Clear finished". */
  clearedAtMs: number | null;
  /** When the server last lost the job's session (expired or unknown) and it started over on a new one. */
  sessionLostAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface JobRaw {
  id: number;
  destination_id: number;
  local_path: string;
  remote_path: string;
  size_bytes: number;
  mtime_ms: number;
  inode: string | null;
  state: JobState;
  error_code: string | null;
  error_message: string | null;
  restart_reason: string | null;
  remote_item_json: string | null;
  bytes_sent_total: number;
  paused_until_ms: number | null;
  cleared_at_ms: number | null;
  session_lost_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

interface LeaseRaw {
  lease_pid: number | null;
  lease_pid_start: string | null;
}

export const toJobRow = (r: JobRaw): JobRow => ({
  id: r.id,
  destinationId: r.destination_id,
  localPath: r.local_path,
  remotePath: r.remote_path,
  sizeBytes: r.size_bytes,
  mtimeMs: r.mtime_ms,
  inode: r.inode,
  state: r.state,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  restartReason: r.restart_reason,
  remoteItem: r.remote_item_json === null ? null : JSON.parse(r.remote_item_json),
  bytesSentTotal: r.bytes_sent_total,
  pausedUntilMs: r.paused_until_ms,
  clearedAtMs: r.cleared_at_ms,
  sessionLostAtMs: r.session_lost_at_ms,
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
});

/** States from which a job can still make progress. */
export const ACTIVE_STATES: readonly JobState[] = ['queued', 'running', 'paused'];

export class JobsRepo {
  constructor(private readonly db: Db) {}

  create(input: { destinationId: number; localPath: string; remotePath: string } & FileIdentity, nowMs: number): JobRow {
    const info = this.db
      .prepare(
        `INSERT INTO jobs (destination_id, local_path, remote_path, size_bytes, mtime_ms, inode, state, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
      )
      .run(input.destinationId, input.localPath, input.remotePath, input.sizeBytes, input.mtimeMs, input.inode, nowMs, nowMs);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): JobRow | undefined {
    const raw = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRaw | undefined;
    return raw && toJobRow(raw);
  }

  /** The newest unfinished job for the same file and target, so re-running an upload resumes it. */
  findActive(destinationId: number, localPath: string, remotePath: string): JobRow | undefined {
    const raw = this.db
      .prepare(
        `SELECT * FROM jobs WHERE destination_id = ? AND local_path = ? AND remote_path = ?
           AND state IN ('queued', 'running', 'paused', 'failed') ORDER BY id DESC LIMIT 1`,
      )
      .get(destinationId, localPath, remotePath) as JobRaw | undefined;
    return raw && toJobRow(raw);
  }

  /** The newest finished upload of the same file to the same place (what a re-run of `hoist upload` compares with). */
  findDone(destinationId: number, localPath: string, remotePath: string): JobRow | undefined {
    const raw = this.db
      .prepare(`SELECT * FROM jobs WHERE destination_id = ? AND local_path = ? AND remote_path = ? AND state = 'done' ORDER BY id DESC LIMIT 1`)
      .get(destinationId, localPath, remotePath) as JobRaw | undefined;
    return raw && toJobRow(raw);
  }

  /** How many jobs are in each state. */
  countsByState(): Partial<Record<JobState, number>> {
    const counts: Partial<Record<JobState, number>> = {};
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[]) counts[r.state] = r.n;
    return counts;
  }

  /** The highest job id (0 when there is none). */
  maxId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM jobs').get() as { id: number }).id;
  }

  list(): JobRow[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY id').all() as JobRaw[]).map(toJobRow);
  }

  listByState(states: readonly JobState[]): JobRow[] {
    const marks = states.map(() => '?').join(', ');
    return (this.db.prepare(`SELECT * FROM jobs WHERE state IN (${marks}) ORDER BY id`).all(...states) as JobRaw[]).map(toJobRow);
  }

  /** The oldest runnable jobs, at most `limit` (the daemon's queue can hold a whole folder tree). */
  nextRunnable(limit: number, excludeIds: ReadonlySet<number>, excludeDestinations: ReadonlySet<number> = new Set()): JobRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM jobs WHERE state IN ('queued', 'running')
           AND destination_id NOT IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?`,
      )
      .all(JSON.stringify([...excludeDestinations]), limit + excludeIds.size) as JobRaw[];
    return rows.map(toJobRow).filter((j) => !excludeIds.has(j.id)).slice(0, limit);
  }

  setState(id: number, state: JobState, nowMs: number, error?: { code: string; message: string } | null): void {
    this.db
      .prepare('UPDATE jobs SET state = ?, error_code = ?, error_message = ?, updated_at_ms = ? WHERE id = ?')
      .run(state, error?.code ?? null, error?.message ?? null, nowMs, id);
  }

  /**
   * Pauses only jobs that can still run; returns how many changed. `untilMs` marks a timed pause (only jobs it paused
   * resume when it ends); a pause by hand leaves it null.
   */
  pause(ids: readonly number[] | 'all', nowMs: number, untilMs: number | null = null): number {
    return this.pauseIds(ids, nowMs, untilMs).length;
  }

  /**
   * Makes paused (and failed, which a user retries by resuming) jobs runnable again; `from` narrows which (the window
   * resumes paused jobs and retries failed ones). Returns the ids that changed.
   */
  resume(ids: readonly number[] | 'all', nowMs: number, from: ReadonlyArray<'paused' | 'failed'> = ['paused', 'failed']): number {
    return this.resumeIds(ids, nowMs, from).length;
  }

  resumeIds(ids: readonly number[] | 'all', nowMs: number, from: ReadonlyArray<'paused' | 'failed'> = ['paused', 'failed']): number[] {
    const where = ids === 'all' ? '' : `AND id IN (SELECT value FROM json_each(?))`;
    const args = ids === 'all' ? [] : [JSON.stringify(ids)];
    const states = from.map((s) => `'${s}'`).join(', ');
    return (
      this.db
        .prepare(
          `UPDATE jobs SET state = 'queued', error_code = NULL, error_message = NULL, paused_until_ms = NULL, cleared_at_ms = NULL,
             updated_at_ms = ? WHERE state IN (${states}) ${where} RETURNING id`,
        )
        .all(nowMs, ...args) as { id: number }[]
    ).map((r) => r.id);
  }

  /** The jobs a timed pause paused (paused_until_ms set) become runnable again; returns their ids. */
  resumeTimedPaused(nowMs: number): number[] {
    return (
      this.db
        .prepare(`UPDATE jobs SET state = 'queued', paused_until_ms = NULL, updated_at_ms = ? WHERE state = 'paused' AND paused_until_ms IS NOT NULL RETURNING id`)
        .all(nowMs) as { id: number }[]
    ).map((r) => r.id);
  }

  /** Like pause, returning the ids that changed. */
  pauseIds(ids: readonly number[] | 'all', nowMs: number, untilMs: number | null = null): number[] {
    const where = ids === 'all' ? '' : `AND id IN (SELECT value FROM json_each(?))`;
    const args = ids === 'all' ? [] : [JSON.stringify(ids)];
    return (
      this.db
        .prepare(`UPDATE jobs SET state = 'paused', paused_until_ms = ?, updated_at_ms = ? WHERE state IN ('queued', 'running') ${where} RETURNING id`)
        .all(untilMs, nowMs, ...args) as { id: number }[]
    ).map((r) => r.id);
  }

  updateIdentity(id: number, identity: FileIdentity, reason: string, nowMs: number): void {
    this.db
      .prepare('UPDATE jobs SET size_bytes = ?, mtime_ms = ?, inode = ?, restart_reason = ?, updated_at_ms = ? WHERE id = ?')
      .run(identity.sizeBytes, identity.mtimeMs, identity.inode, reason, nowMs, id);
  }

  /** The server lost the job's session (expired, unknown): it starts over on a new one, for this reason. */
  noteRestart(id: number, reason: string, nowMs: number): void {
    this.db.prepare('UPDATE jobs SET restart_reason = ?, session_lost_at_ms = ?, updated_at_ms = ? WHERE id = ?').run(reason, nowMs, nowMs, id);
  }

  /** Hides finished and cancelled jobs from the window's queue; returns their ids. */
  clearFinished(nowMs: number): number[] {
    return (
      this.db
        .prepare(`UPDATE jobs SET cleared_at_ms = ? WHERE state IN ('done', 'cancelled') AND cleared_at_ms IS NULL RETURNING id`)
        .all(nowMs) as { id: number }[]
    ).map((r) => r.id);
  }

  complete(id: number, remoteItem: unknown, nowMs: number): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = 'done', remote_item_json = ?, error_code = NULL, error_message = NULL,
           lease_pid = NULL, lease_pid_start = NULL, lease_expires_at_ms = NULL, updated_at_ms = ? WHERE id = ?`,
      )
      .run(JSON.stringify(remoteItem ?? null), nowMs, id);
  }

  addBytesSent(id: number, bytes: number): void {
    this.db.prepare('UPDATE jobs SET bytes_sent_total = bytes_sent_total + ? WHERE id = ?').run(bytes, id);
  }

  /** The process recorded as holding the job's lease, if any (alive or not). */
  leaseHolder(id: number): ProcessIdentity | null {
    const row = this.db.prepare('SELECT lease_pid, lease_pid_start FROM jobs WHERE id = ?').get(id) as LeaseRaw | undefined;
    return row?.lease_pid == null ? null : { pid: row.lease_pid, startTime: row.lease_pid_start };
  }

  /**
   * Takes the job's lease for `holder` unless another process that is still alive holds an unexpired one. A holder
   * killed with kill -9 (gone, a zombie not yet reaped, or its pid since reused) does not count: a re-run continues at once.
   */
  tryLease(id: number, holder: ProcessIdentity, nowMs: number, ttlMs: number, isHolderAlive: (holder: ProcessIdentity) => boolean): boolean {
    const row = this.db.prepare('SELECT lease_pid, lease_pid_start, lease_expires_at_ms FROM jobs WHERE id = ?').get(id) as
      | (LeaseRaw & { lease_expires_at_ms: number | null })
      | undefined;
    if (!row) return false;
    const held =
      row.lease_pid !== null &&
      row.lease_pid !== holder.pid &&
      (row.lease_expires_at_ms ?? 0) > nowMs &&
      isHolderAlive({ pid: row.lease_pid, startTime: row.lease_pid_start });
    if (held) return false;
    // Taken only if the lease is still as read: the liveness probe may run a command (ps), which is kept out of a write
    // transaction, and another process may have taken the lease meanwhile.
    const taken = this.db
      .prepare(
        `UPDATE jobs SET lease_pid = ?, lease_pid_start = ?, lease_expires_at_ms = ?
         WHERE id = ? AND lease_pid IS ? AND lease_pid_start IS ? AND lease_expires_at_ms IS ?`,
      )
      .run(holder.pid, holder.startTime, nowMs + ttlMs, id, row.lease_pid, row.lease_pid_start, row.lease_expires_at_ms);
    return taken.changes === 1;
  }

  renewLease(id: number, holder: ProcessIdentity, nowMs: number, ttlMs: number): void {
    this.db
      .prepare('UPDATE jobs SET lease_expires_at_ms = ? WHERE id = ? AND lease_pid = ? AND lease_pid_start IS ?')
      .run(nowMs + ttlMs, id, holder.pid, holder.startTime);
  }

  releaseLease(id: number, holder: ProcessIdentity): void {
    this.db
      .prepare('UPDATE jobs SET lease_pid = NULL, lease_pid_start = NULL, lease_expires_at_ms = NULL WHERE id = ? AND lease_pid = ? AND lease_pid_start IS ?')
      .run(id, holder.pid, holder.startTime);
  }

  stateOf(id: number): JobState | undefined {
    return (this.db.prepare('SELECT state FROM jobs WHERE id = ?').get(id) as { state: JobState } | undefined)?.state;
  }
}
