/** Views for the renderer's unit tests: complete objects with overridable fields. */
import type { JobView, PartView, SnapshotView } from '../../preload/contract/index.js';

export function job(id: number, patch: Partial<JobView> = {}): JobView {
  return {
    id,
    name: `file-${id}.bin`,
    localPath: `/home/ana/Videos/file-${id}.bin`,
    isReceivedCopy: false,
    remotePath: `/file-${id}.bin`,
    destination: 'OneDrive',
    provider: 'graph',
    state: 'queued',
    activity: { kind: 'none' },
    pausedUntilMs: null,
    sizeBytes: 1000,
    ackedBytes: 0,
    bytesSentTotal: 0,
    partsTotal: 1,
    partsDone: 0,
    sessionExpiresAtMs: null,
    expiry: null,
    restartReason: null,
    sessionLostAtMs: null,
    errorCode: null,
    errorMessage: null,
    error: null,
    remoteItemId: null,
    remoteWebUrl: null,
    createdAtMs: 1_000 + id,
    updatedAtMs: 1_000 + id,
    ...patch,
  };
}

export function failed(id: number, cause: NonNullable<JobView['error']>['cause'], patch: Partial<JobView> = {}): JobView {
  return job(id, { state: 'failed', error: { code: cause, cause, message: `failed because ${cause}` }, errorCode: cause, errorMessage: `failed because ${cause}`, ...patch });
}

const isFinished = (j: JobView) => j.state === 'done' || j.state === 'cancelled';

/** A snapshot as main sends it: the unfinished jobs of `jobs`, and how many finished ones there are. */
export function snapshot(jobs: JobView[], patch: Partial<SnapshotView> = {}): SnapshotView {
  const unfinished = jobs.filter((j) => !isFinished(j));
  return {
    jobs: unfinished,
    finishedCount: jobs.length - unfinished.length,
    destinations: [],
    watches: [],
    settings: { filesAtOnce: 4, defaultDestination: null, warningWindowMin: 30, theme: 'system', bandwidthLimit: 'off', stallTimeoutSec: 60, keepPausedSessionsAlive: false },
    appState: { kind: 'idle', summary: 'No uploads', counts: { uploading: 0, queued: 0, paused: 0, failed: 0, done: 0 }, pausedUntilMs: null, waitingNetwork: [], rateLimited: [], bandwidthLimitBytesPerSec: null },
    warnings: [],
    totals: { bytesPerSec: 0, etaSec: null, remainingBytes: 0 },
    nowMs: 50_000,
    fileIntake: 'stream',
    ...patch,
  };
}

/** The finished jobs of `jobs` as `listFinished` answers: newest first. */
export function finishedOf(jobs: JobView[]): JobView[] {
  return jobs.filter(isFinished).sort((a, b) => b.updatedAtMs - a.updatedAtMs || b.id - a.id);
}

export function part(index: number, state: PartView['state'], patch: Partial<PartView> = {}): PartView {
  return { index, offsetBytes: index * 100, sizeBytes: 100, state, sentBytes: state === 'done' ? 100 : 0, attempts: 1, lastError: null, retryAtMs: null, ...patch };
}
