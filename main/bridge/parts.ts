import type { PartsView } from '../../preload/contract/views.js';
import type { JobViewRow } from '../store/job-view-rows.js';
import type { Store } from '../store/store.js';
import type { LiveJobs } from './live-jobs.js';

/**
 * A job's parts as the part strip draws them: the stored parts of its latest session with what is live laid over them
 * (bytes on the wire, the part that failed). A file sent in one request (no session) is one part.
 */
export function partsOf(store: Store, live: LiveJobs, row: JobViewRow | undefined, jobId: number): PartsView {
  if (!row) return { jobId, sessionId: null, parts: [] };
  const retryAtMs = live.retryAtMs(jobId);
  if (!row.session) {
    const single = { sessionId: 0, partIndex: 0, offsetBytes: 0, sizeBytes: row.sizeBytes, state: row.state === 'done' ? 'done' : 'pending', digest: null, serverReply: null, attempts: 0 } as const;
    return { jobId, sessionId: null, parts: live.overlayParts(jobId, [single], retryAtMs) };
  }
  const parts = store.sessions.parts(row.session.id);
  // A session the server already completed (or a finished job) has nothing pending, whatever a stale row says.
  const isDone = row.state === 'done';
  return { jobId, sessionId: row.session.id, parts: live.overlayParts(jobId, isDone ? parts.map((p) => ({ ...p, state: 'done' as const })) : parts, retryAtMs) };
}
