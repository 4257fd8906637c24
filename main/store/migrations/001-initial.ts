/** Initial schema: destinations, upload jobs, their server sessions and the parts of each session. */
export const sql = `
CREATE TABLE destinations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  provider TEXT NOT NULL,
  config_json TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  destination_id INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
  local_path TEXT NOT NULL,
  remote_path TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  inode TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'done', 'failed', 'cancelled')),
  error_code TEXT,
  error_message TEXT,
  restart_reason TEXT,
  remote_item_json TEXT,
  bytes_sent_total INTEGER NOT NULL DEFAULT 0,
  lease_pid INTEGER,
  lease_expires_at_ms INTEGER,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX jobs_by_state ON jobs(state, id);
CREATE INDEX jobs_by_path ON jobs(destination_id, local_path, remote_path);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  session_url TEXT,
  remote_session_id TEXT,
  part_size_bytes INTEGER NOT NULL,
  expires_at_ms INTEGER,
  state TEXT NOT NULL CHECK (state IN ('open', 'committed', 'expired', 'aborted', 'abandoned')),
  extra_json TEXT NOT NULL DEFAULT '{}',
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_job ON sessions(job_id, state);

CREATE TABLE parts (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  part_index INTEGER NOT NULL,
  offset_bytes INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  digest TEXT,
  server_reply_json TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, part_index)
) WITHOUT ROWID;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;
