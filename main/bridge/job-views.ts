import { basename, sep } from 'node:path';
import type { JobActivity, JobView } from '../../preload/contract/views.js';
import { failureCauseOf } from '../domain/failure-cause.js';
import { sessionExpiry } from '../domain/session-expiry.js';
import type { JobViewRow } from '../store/job-view-rows.js';
import type { Store } from '../store/store.js';

const NO_ACTIVITY: JobActivity = { kind: 'none' };

/** The window's (and `hoist status --json`'s) view of a job: its row, its latest session, and what it is doing now. */
export function toJobView(row: JobViewRow, activity: JobActivity = NO_ACTIVITY, receivedDir?: string): JobView {
  const session = row.session;
  const item = row.remoteItem as { id?: unknown; webUrl?: unknown } | null;
  const error = row.state === 'failed' && row.errorCode ? { code: row.errorCode, cause: failureCauseOf(row.errorCode), message: row.errorMessage ?? row.errorCode } : null;
  const ackedBytes = row.state === 'done' ? row.sizeBytes : (session?.ackedBytes ?? 0);
  const isSending = activity.kind === 'sending' || activity.kind === 'checking';
  return {
    id: row.id,
    name: basename(row.localPath),
    localPath: row.localPath,
    isReceivedCopy: receivedDir !== undefined && row.localPath.startsWith(`${receivedDir}${sep}`),
    remotePath: row.remotePath,
    destination: row.destinationName,
    provider: row.provider,
    state: row.state,
    activity: row.state === 'queued' || row.state === 'running' ? activity : NO_ACTIVITY,
    pausedUntilMs: row.state === 'paused' ? row.pausedUntilMs : null,
    sizeBytes: row.sizeBytes,
    ackedBytes,
    bytesSentTotal: row.bytesSentTotal,
    partsTotal: session?.partsTotal ?? 0,
    partsDone: session?.partsDone ?? 0,
    sessionExpiresAtMs: session?.expiresAtMs ?? null,
    expiry: row.state === 'done' || row.state === 'cancelled' ? null : sessionExpiry({ ...expiryFacts(row), isSending }),
    restartReason: row.restartReason,
    sessionLostAtMs: row.sessionLostAtMs,
    errorCode: row.state === 'failed' ? row.errorCode : null,
    errorMessage: row.state === 'failed' ? row.errorMessage : null,
    error,
    remoteItemId: item && typeof item.id === 'string' ? item.id : null,
    remoteWebUrl: item && typeof item.webUrl === 'string' ? item.webUrl : null,
    createdAtMs: row.createdAtMs,
    updatedAtMs: row.updatedAtMs,
  };
}

/** What the expiry decisions need of a job row. */
export function expiryFacts(row: JobViewRow) {
  return {
    jobId: row.id,
    jobName: basename(row.localPath),
    destination: row.destinationName,
    provider: row.provider,
    state: row.state,
    sizeBytes: row.sizeBytes,
    restartReason: row.restartReason,
    sessionLostAtMs: row.sessionLostAtMs,
    session: row.session && { state: row.session.state, expiresAtMs: row.session.expiresAtMs, createdAtMs: row.session.createdAtMs, ackedBytes: row.session.ackedBytes },
  };
}

/** Every job (`hoist status`), or the given ones, with what the database knows (no live activity). */
export function listJobViews(store: Store, ids?: readonly number[]): JobView[] {
  const rows = ids ? store.jobViews.byIds(ids) : store.jobViews.all(true);
  return rows.map((row) => toJobView(row));
}
