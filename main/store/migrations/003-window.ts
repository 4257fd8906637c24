/**
 * What the window needs of a job beyond its upload state: a timed pause (`paused_until_ms`, set only on jobs a timed
 * pause paused, so that only those resume when it ends; a hand pause leaves it NULL), "Clear finished"
 * (`cleared_at_ms`: hidden from the queue, kept for `hoist status` and the sync index) and when the server last lost
 * the job's session (`session_lost_at_ms`, for the "session expired; restarted on a new one" notice). Waiting for network, rate limited and stalled
 * are not stored: they describe the moment, and a restart asks the network and the server again. So `jobs.state` and
 * its CHECK constraint stay as they are.
 */
export const sql = `
ALTER TABLE jobs ADD COLUMN paused_until_ms INTEGER;
ALTER TABLE jobs ADD COLUMN cleared_at_ms INTEGER;
ALTER TABLE jobs ADD COLUMN session_lost_at_ms INTEGER;
CREATE INDEX jobs_by_update ON jobs(updated_at_ms);
`;
