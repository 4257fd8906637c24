import type { Db } from './open-database.js';
import type { ProviderKind } from './destinations-repo.js';
import { toJobRow, type JobRaw, type JobRow } from './jobs-repo.js';
import type { SessionState } from './sessions-repo.js';

/** A job with what the window shows of it: its destination and its latest session, with that session's part counts. */
export interface JobViewRow extends JobRow {
  /** The process holding the job's lease (running it), if any. */
  leasePid: number | null;
  destinationName: string;
  provider: ProviderKind;
  /** The job's latest session (open, or the last one it had), if any. */
  session: {
    id: number;
    state: SessionState;
    expiresAtMs: number | null;
    createdAtMs: number;
    partsTotal: number;
    partsDone: number;
    ackedBytes: number;
  } | null;
}

interface Raw extends JobRaw {
  lease_pid: number | null;
  destination_name: string;
  provider: ProviderKind;
  session_id: number | null;
  session_state: SessionState | null;
  session_expires_at_ms: number | null;
  session_created_at_ms: number | null;
  parts_total: number | null;
  parts_done: number | null;
  acked_bytes: number | null;
}

/**
 * One statement per read, whatever the number of jobs: the latest session by a correlated MAX(id) over the
 * sessions_by_job index, and its part counts by range scans of the parts primary key (session_id, part_index).
 */
const SELECT = `
SELECT j.*, d.name AS destination_name, d.provider AS provider,
  s.id AS session_id, s.state AS session_state, s.expires_at_ms AS session_expires_at_ms, s.created_at_ms AS session_created_at_ms,
  (SELECT COUNT(*) FROM parts p WHERE p.session_id = s.id) AS parts_total,
  (SELECT COUNT(*) FROM parts p WHERE p.session_id = s.id AND p.state = 'done') AS parts_done,
  (SELECT COALESCE(SUM(p.size_bytes), 0) FROM parts p WHERE p.session_id = s.id AND p.state = 'done') AS acked_bytes
FROM jobs j
JOIN destinations d ON d.id = j.destination_id
LEFT JOIN sessions s ON s.id = (SELECT MAX(id) FROM sessions WHERE job_id = j.id)`;

const toViewRow = (r: Raw): JobViewRow => ({
  ...toJobRow(r),
  leasePid: r.lease_pid,
  destinationName: r.destination_name,
  provider: r.provider,
  session:
    r.session_id === null
      ? null
      : {
          id: r.session_id,
          state: r.session_state!,
          expiresAtMs: r.session_expires_at_ms,
          createdAtMs: r.session_created_at_ms!,
          partsTotal: r.parts_total ?? 0,
          partsDone: r.parts_done ?? 0,
          ackedBytes: r.acked_bytes ?? 0,
        },
});

/** Reads of jobs as the window lists them (`hoist status` too). */
export class JobViewRows {
  constructor(private readonly db: Db) {}

  /** Every job not cleared from the queue (`includeCleared`: every job), oldest first. */
  all(includeCleared = false): JobViewRow[] {
    const where = includeCleared ? '' : 'WHERE j.cleared_at_ms IS NULL';
    return (this.db.prepare(`${SELECT} ${where} ORDER BY j.id`).all() as Raw[]).map(toViewRow);
  }

  /** These jobs (those that exist), oldest first. */
  byIds(ids: readonly number[]): JobViewRow[] {
    if (ids.length === 0) return [];
    // One statement per call; the id list travels as JSON so the SQL text (and its cached statement) stays the same.
    return (this.db.prepare(`${SELECT} WHERE j.id IN (SELECT value FROM json_each(?)) ORDER BY j.id`).all(JSON.stringify(ids)) as Raw[]).map(toViewRow);
  }

  /** Jobs changed at or after `sinceMs`, or created after `afterId` (what another process did meanwhile). */
  changedSince(sinceMs: number, afterId: number): JobViewRow[] {
    return (this.db.prepare(`${SELECT} WHERE j.updated_at_ms >= ? OR j.id > ? ORDER BY j.id`).all(sinceMs, afterId) as Raw[]).map(toViewRow);
  }

  /** Jobs running in another process: their progress lives only in the database. */
  runningElsewhere(pid: number): JobViewRow[] {
    return (this.db.prepare(`${SELECT} WHERE j.state = 'running' AND j.lease_pid IS NOT NULL AND j.lease_pid <> ? ORDER BY j.id`).all(pid) as Raw[]).map(toViewRow);
  }
}
