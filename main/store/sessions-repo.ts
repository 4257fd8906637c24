import type { Db } from './open-database.js';
import type { ProviderKind } from './destinations-repo.js';

export type SessionState = 'open' | 'committed' | 'expired' | 'aborted' | 'abandoned';
export type PartState = 'pending' | 'done';

export interface SessionRow {
  id: number;
  jobId: number;
  provider: ProviderKind;
  sessionUrl: string | null;
  remoteSessionId: string | null;
  partSizeBytes: number;
  expiresAtMs: number | null;
  state: SessionState;
  /** Provider-specific session facts (Box endpoints, tus location, S3 upload id...). */
  extra: Record<string, unknown>;
  createdAtMs: number;
}

export interface PartRow {
  sessionId: number;
  partIndex: number;
  offsetBytes: number;
  sizeBytes: number;
  state: PartState;
  digest: string | null;
  serverReply: unknown;
  attempts: number;
}

export interface PlannedPart {
  partIndex: number;
  offsetBytes: number;
  sizeBytes: number;
}

interface RawSession {
  id: number;
  job_id: number;
  provider: ProviderKind;
  session_url: string | null;
  remote_session_id: string | null;
  part_size_bytes: number;
  expires_at_ms: number | null;
  state: SessionState;
  extra_json: string;
  created_at_ms: number;
}

interface RawPart {
  session_id: number;
  part_index: number;
  offset_bytes: number;
  size_bytes: number;
  state: PartState;
  digest: string | null;
  server_reply_json: string | null;
  attempts: number;
}

const toSession = (r: RawSession): SessionRow => ({
  id: r.id,
  jobId: r.job_id,
  provider: r.provider,
  sessionUrl: r.session_url,
  remoteSessionId: r.remote_session_id,
  partSizeBytes: r.part_size_bytes,
  expiresAtMs: r.expires_at_ms,
  state: r.state,
  extra: JSON.parse(r.extra_json) as Record<string, unknown>,
  createdAtMs: r.created_at_ms,
});

const toPart = (r: RawPart): PartRow => ({
  sessionId: r.session_id,
  partIndex: r.part_index,
  offsetBytes: r.offset_bytes,
  sizeBytes: r.size_bytes,
  state: r.state,
  digest: r.digest,
  serverReply: r.server_reply_json === null ? null : JSON.parse(r.server_reply_json),
  attempts: r.attempts,
});

export class SessionsRepo {
  constructor(private readonly db: Db) {}

  /** Records a new open session and its planned parts in one transaction; older open sessions of the job are closed. */
  open(
    input: Omit<SessionRow, 'id' | 'state' | 'createdAtMs'>,
    parts: readonly PlannedPart[],
    nowMs: number,
  ): SessionRow {
    return this.db
      .transaction(() => {
        this.db.prepare(`UPDATE sessions SET state = 'abandoned' WHERE job_id = ? AND state = 'open'`).run(input.jobId);
        const info = this.db
          .prepare(
            `INSERT INTO sessions (job_id, provider, session_url, remote_session_id, part_size_bytes, expires_at_ms, state, extra_json, created_at_ms)
             VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
          )
          .run(
            input.jobId,
            input.provider,
            input.sessionUrl,
            input.remoteSessionId,
            input.partSizeBytes,
            input.expiresAtMs,
            JSON.stringify(input.extra),
            nowMs,
          );
        const sessionId = Number(info.lastInsertRowid);
        this.insertParts(sessionId, parts);
        return this.get(sessionId)!;
      })
      .immediate();
  }

  get(id: number): SessionRow | undefined {
    const raw = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as RawSession | undefined;
    return raw && toSession(raw);
  }

  openForJob(jobId: number): SessionRow | undefined {
    const raw = this.db
      .prepare(`SELECT * FROM sessions WHERE job_id = ? AND state = 'open' ORDER BY id DESC LIMIT 1`)
      .get(jobId) as RawSession | undefined;
    return raw && toSession(raw);
  }

  /** The job's most recent session in any state (what the user last saw progress on). */
  latestForJob(jobId: number): SessionRow | undefined {
    const raw = this.db.prepare('SELECT * FROM sessions WHERE job_id = ? ORDER BY id DESC LIMIT 1').get(jobId) as RawSession | undefined;
    return raw && toSession(raw);
  }

  /** Sessions a newer session of the same job replaced while they were open: they may still exist on the server. */
  abandoned(): Array<SessionRow & { destinationId: number }> {
    return (
      this.db
        .prepare(`SELECT s.*, j.destination_id FROM sessions s JOIN jobs j ON j.id = s.job_id WHERE s.state = 'abandoned' ORDER BY s.id`)
        .all() as Array<RawSession & { destination_id: number }>
    ).map((r) => ({ ...toSession(r), destinationId: r.destination_id }));
  }

  /** Server ids of the open sessions of a destination's jobs (uploads Hoist still resumes). */
  openRemoteIds(destinationId: number): string[] {
    return (
      this.db
        .prepare(`SELECT s.remote_session_id AS id FROM sessions s JOIN jobs j ON j.id = s.job_id WHERE s.state = 'open' AND j.destination_id = ? AND s.remote_session_id IS NOT NULL`)
        .all(destinationId) as { id: string }[]
    ).map((r) => r.id);
  }

  countForJob(jobId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE job_id = ?').get(jobId) as { n: number }).n;
  }

  setState(id: number, state: SessionState): void {
    this.db.prepare('UPDATE sessions SET state = ? WHERE id = ?').run(state, id);
  }

  update(id: number, patch: { expiresAtMs?: number | null; extra?: Record<string, unknown> }): void {
    if (patch.expiresAtMs !== undefined) this.db.prepare('UPDATE sessions SET expires_at_ms = ? WHERE id = ?').run(patch.expiresAtMs, id);
    if (patch.extra !== undefined) this.db.prepare('UPDATE sessions SET extra_json = ? WHERE id = ?').run(JSON.stringify(patch.extra), id);
  }

  parts(sessionId: number): PartRow[] {
    return (
      this.db.prepare('SELECT * FROM parts WHERE session_id = ? ORDER BY part_index').all(sessionId) as RawPart[]
    ).map(toPart);
  }

  /** Bytes the server acknowledged in this session (one indexed query, not a scan of every part row). */
  ackedBytes(sessionId: number): number {
    return (this.db.prepare(`SELECT COALESCE(SUM(size_bytes), 0) AS n FROM parts WHERE session_id = ? AND state = 'done'`).get(sessionId) as { n: number }).n;
  }

  /**
   * The server acknowledged this part: recorded in its own short transaction, with the session's new expiry when the
   * acknowledgement carried one.
   */
  markPartDone(sessionId: number, partIndex: number, digest: string | null, serverReply: unknown, sessionExpiresAtMs: number | null = null): void {
    const reply = serverReply === undefined ? null : JSON.stringify(serverReply);
    this.db
      .transaction(() => {
        this.db
          .prepare(`UPDATE parts SET state = 'done', digest = ?, server_reply_json = ? WHERE session_id = ? AND part_index = ?`)
          .run(digest, reply, sessionId, partIndex);
        if (sessionExpiresAtMs !== null) this.update(sessionId, { expiresAtMs: sessionExpiresAtMs });
      })
      .immediate();
  }

  markPartPending(sessionId: number, partIndex: number): void {
    this.db
      .prepare(`UPDATE parts SET state = 'pending', digest = NULL, server_reply_json = NULL WHERE session_id = ? AND part_index = ?`)
      .run(sessionId, partIndex);
  }

  countAttempt(sessionId: number, partIndex: number): void {
    this.db.prepare('UPDATE parts SET attempts = attempts + 1 WHERE session_id = ? AND part_index = ?').run(sessionId, partIndex);
  }

  /**
   * Replaces every part from `fromIndex` on with a new plan, as pending (offset protocols resuming mid-part), and with
   * `partSizeBytes` the session's part size too (fragments sized to the link).
   */
  replanFrom(sessionId: number, fromIndex: number, parts: readonly PlannedPart[], partSizeBytes?: number): void {
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM parts WHERE session_id = ? AND part_index >= ?').run(sessionId, fromIndex);
        this.insertParts(sessionId, parts);
        if (partSizeBytes !== undefined) this.db.prepare('UPDATE sessions SET part_size_bytes = ? WHERE id = ?').run(partSizeBytes, sessionId);
      })
      .immediate();
  }

  private insertParts(sessionId: number, parts: readonly PlannedPart[]): void {
    const insert = this.db.prepare(
      `INSERT INTO parts (session_id, part_index, offset_bytes, size_bytes, state) VALUES (?, ?, ?, ?, 'pending')`,
    );
    for (const p of parts) insert.run(sessionId, p.partIndex, p.offsetBytes, p.sizeBytes);
  }
}
