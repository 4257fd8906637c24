/**
 * Watched folders and the sync index: for every file of a watched folder, the fingerprint it was last seen with and
 * the remote item it became. `status*` columns let `hoist watch list` in another process show what `hoist serve` sees.
 */
export const sql = `
CREATE TABLE watches (
  id INTEGER PRIMARY KEY,
  dir TEXT NOT NULL,
  destination_id INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
  remote_dir TEXT NOT NULL DEFAULT '/',
  ignore_patterns_json TEXT NOT NULL DEFAULT '[]',
  symlink_policy TEXT NOT NULL DEFAULT 'skip' CHECK (symlink_policy IN ('skip', 'follow')),
  include_hidden INTEGER NOT NULL DEFAULT 0,
  mirror_deletes INTEGER NOT NULL DEFAULT 0,
  is_paused INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'idle',
  status_message TEXT,
  status_at_ms INTEGER,
  last_scan_at_ms INTEGER,
  created_at_ms INTEGER NOT NULL,
  UNIQUE (dir, destination_id, remote_dir)
);

CREATE TABLE sync_index (
  watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
  rel_path TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  inode TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'queued', 'uploaded', 'failed', 'cancelled', 'deleted')),
  job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  remote_item_id TEXT,
  content_hash TEXT,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (watch_id, rel_path)
) WITHOUT ROWID;
CREATE INDEX sync_index_by_job ON sync_index(job_id) WHERE job_id IS NOT NULL;
CREATE INDEX sync_index_by_state ON sync_index(state, watch_id);
`;
