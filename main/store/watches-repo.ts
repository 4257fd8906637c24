import type { Db } from './open-database.js';

export type SymlinkPolicy = 'skip' | 'follow';

/** What `hoist serve` is doing with a watched folder right now (persisted so other processes can show it). */
export type WatchStatus = 'idle' | 'starting' | 'scanning' | 'watching' | 'polling' | 'missing' | 'paused' | 'stopped';

export interface WatchRow {
  id: number;
  /** Absolute path of the watched folder. */
  dir: string;
  destinationId: number;
  /** Folder at the destination, always `/`-rooted. */
  remoteDir: string;
  /** Extra gitignore-style patterns of this folder (the defaults apply too). */
  ignorePatterns: string[];
  symlinkPolicy: SymlinkPolicy;
  includeHidden: boolean;
  /** The user asked for local deletions to be deleted remotely too (recorded; see the sync service for what is done). */
  mirrorDeletes: boolean;
  isPaused: boolean;
  status: WatchStatus;
  statusMessage: string | null;
  statusAtMs: number | null;
  lastScanAtMs: number | null;
  createdAtMs: number;
}

interface Raw {
  id: number;
  dir: string;
  destination_id: number;
  remote_dir: string;
  ignore_patterns_json: string;
  symlink_policy: SymlinkPolicy;
  include_hidden: number;
  mirror_deletes: number;
  is_paused: number;
  status: WatchStatus;
  status_message: string | null;
  status_at_ms: number | null;
  last_scan_at_ms: number | null;
  created_at_ms: number;
}

const toRow = (r: Raw): WatchRow => ({
  id: r.id,
  dir: r.dir,
  destinationId: r.destination_id,
  remoteDir: r.remote_dir,
  ignorePatterns: JSON.parse(r.ignore_patterns_json) as string[],
  symlinkPolicy: r.symlink_policy,
  includeHidden: r.include_hidden === 1,
  mirrorDeletes: r.mirror_deletes === 1,
  isPaused: r.is_paused === 1,
  status: r.status,
  statusMessage: r.status_message,
  statusAtMs: r.status_at_ms,
  lastScanAtMs: r.last_scan_at_ms,
  createdAtMs: r.created_at_ms,
});

export interface NewWatch {
  dir: string;
  destinationId: number;
  remoteDir: string;
  ignorePatterns: string[];
  symlinkPolicy: SymlinkPolicy;
  includeHidden: boolean;
  mirrorDeletes: boolean;
}

export class WatchesRepo {
  constructor(private readonly db: Db) {}

  add(input: NewWatch, nowMs: number): WatchRow {
    const info = this.db
      .prepare(
        `INSERT INTO watches (dir, destination_id, remote_dir, ignore_patterns_json, symlink_policy, include_hidden, mirror_deletes, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.dir,
        input.destinationId,
        input.remoteDir,
        JSON.stringify(input.ignorePatterns),
        input.symlinkPolicy,
        input.includeHidden ? 1 : 0,
        input.mirrorDeletes ? 1 : 0,
        nowMs,
      );
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): WatchRow | undefined {
    const raw = this.db.prepare('SELECT * FROM watches WHERE id = ?').get(id) as Raw | undefined;
    return raw && toRow(raw);
  }

  find(dir: string, destinationId: number, remoteDir: string): WatchRow | undefined {
    const raw = this.db
      .prepare('SELECT * FROM watches WHERE dir = ? AND destination_id = ? AND remote_dir = ?')
      .get(dir, destinationId, remoteDir) as Raw | undefined;
    return raw && toRow(raw);
  }

  list(): WatchRow[] {
    return (this.db.prepare('SELECT * FROM watches ORDER BY id').all() as Raw[]).map(toRow);
  }

  /** Removes the watch and (by cascade) its sync index; jobs already queued stay. */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM watches WHERE id = ?').run(id).changes > 0;
  }

  setPaused(id: number, isPaused: boolean, nowMs: number): boolean {
    return (
      this.db
        .prepare(`UPDATE watches SET is_paused = ?, status = CASE WHEN ? THEN 'paused' ELSE 'idle' END, status_message = NULL, status_at_ms = ? WHERE id = ?`)
        .run(isPaused ? 1 : 0, isPaused ? 1 : 0, nowMs, id).changes > 0
    );
  }

  setStatus(id: number, status: WatchStatus, message: string | null, nowMs: number): void {
    this.db.prepare('UPDATE watches SET status = ?, status_message = ?, status_at_ms = ? WHERE id = ?').run(status, message, nowMs, id);
  }

  markScanned(id: number, nowMs: number): void {
    this.db.prepare('UPDATE watches SET last_scan_at_ms = ? WHERE id = ?').run(nowMs, id);
  }
}
