import { describe, expect, it } from 'vitest';
import type { AppStateView, JobCountsView, WarningView } from '../../preload/contract/views.js';
import { appState } from '../../main/domain/app-state.js';
import { ATTENTION_QUIET_MS, EMPTY_NOTIFIER_MEMORY, planNotifications, type DesktopNotification, type JobBrief, type NotifierInput, type NotifierMemory } from '../../main/app/electron/notification-plan.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0);
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const counts = (c: Partial<JobCountsView> = {}): JobCountsView => ({ uploading: 0, queued: 0, paused: 0, failed: 0, done: 0, ...c });
const state = (c: Partial<JobCountsView> = {}, pausedUntilMs: number | null = null): AppStateView =>
  appState({ counts: counts(c), pausedUntilMs, waitingNetwork: [], rateLimited: [], bandwidthLimitBytesPerSec: null, nowMs: T0, clock });
const job = (id: number, state: JobBrief['state'], errorMessage: string | null = null): JobBrief => ({ id, name: `file-${id}.bin`, state, errorMessage });
const expiring = (jobId: number, sessionStart = 1): WarningView => ({
  kind: 'session-expiring',
  id: `expiring:${jobId}:${sessionStart}`,
  jobId,
  jobName: `file-${jobId}.bin`,
  destination: 'OneDrive',
  provider: 'graph',
  expiresAtMs: T0 + 30 * 60_000,
  bytesAtRiskBytes: 50 * 1024 * 1024,
});

/** Feeds inputs in order (at the given times) and collects what was notified. */
function run(steps: Array<[NotifierInput, number?]>, start: NotifierMemory = EMPTY_NOTIFIER_MEMORY): { memory: NotifierMemory; told: DesktopNotification[] } {
  let memory = start;
  const told: DesktopNotification[] = [];
  for (const [input, nowMs = T0] of steps) {
    const next = planNotifications(memory, input, { nowMs, clock });
    memory = next.memory;
    told.push(...next.notifications);
  }
  return { memory, told };
}

describe('notification decisions', () => {
  it('a batch finished: once, with how many files, when the queue runs dry after uploads', () => {
    const { told } = run([
      [{ kind: 'snapshot', jobs: [], appState: state({ done: 2 }), warnings: [] }],
      [{ kind: 'app-state', appState: state({ uploading: 1, queued: 2, done: 2 }) }],
      [{ kind: 'app-state', appState: state({ uploading: 1, done: 4 }) }],
      [{ kind: 'app-state', appState: state({ done: 5 }) }],
      [{ kind: 'app-state', appState: state({ done: 5 }) }],
    ]);
    expect(told).toEqual([{ kind: 'batch-finished', title: 'Uploads finished', body: '3 files uploaded.' }]);
  });

  it('a batch that ends with failures says so; one paused part-way or by a timed pause says nothing', () => {
    const withFailure = run([
      [{ kind: 'app-state', appState: state({ uploading: 2 }) }],
      [{ kind: 'app-state', appState: state({ done: 1, failed: 1 }) }],
    ]).told;
    expect(withFailure.map((n) => n.body)).toEqual(['1 file uploaded. 1 upload needs attention.']);
    const pausedByHand = run([
      [{ kind: 'app-state', appState: state({ uploading: 2 }) }],
      [{ kind: 'app-state', appState: state({ uploading: 1, done: 1 }) }],
      [{ kind: 'app-state', appState: state({ paused: 1, done: 1 }) }],
    ]).told;
    expect(pausedByHand).toEqual([]);
    const timed = run([
      [{ kind: 'app-state', appState: state({ uploading: 2 }) }],
      [{ kind: 'app-state', appState: state({ done: 1, paused: 1 }, T0 + 3_600_000) }],
    ]).told;
    expect(timed).toEqual([]);
  });

  it('clearing the Finished group mid-batch does not make uploads vanish from the count', () => {
    const { told } = run([
      [{ kind: 'app-state', appState: state({ uploading: 2, done: 10 }) }],
      [{ kind: 'app-state', appState: state({ uploading: 2, done: 0 }) }],
      [{ kind: 'app-state', appState: state({ done: 2 }) }],
    ]);
    expect(told.map((n) => n.body)).toEqual(['2 files uploaded.']);
  });

  it('a job that needs attention: its name and error, once; again only after it failed anew', () => {
    const { told } = run([
      [{ kind: 'snapshot', jobs: [job(1, 'running')], appState: state({ uploading: 1 }), warnings: [] }],
      [{ kind: 'jobs', jobs: [job(1, 'failed', 'Signed out of OneDrive: sign in again.')] }],
      [{ kind: 'jobs', jobs: [job(1, 'failed', 'Signed out of OneDrive: sign in again.')] }],
      [{ kind: 'jobs', jobs: [job(1, 'queued')] }, T0 + 2 * ATTENTION_QUIET_MS],
      [{ kind: 'jobs', jobs: [job(1, 'failed', 'The file is gone.')] }, T0 + 2 * ATTENTION_QUIET_MS],
    ]);
    expect(told).toEqual([
      { kind: 'needs-attention', title: 'file-1.bin needs attention', body: 'Signed out of OneDrive: sign in again.', jobId: 1 },
      { kind: 'needs-attention', title: 'file-1.bin needs attention', body: 'The file is gone.', jobId: 1 },
    ]);
  });

  it('failures already there at start are not news; a burst of failures is one notification after the quiet period', () => {
    const start = run([[{ kind: 'snapshot', jobs: [job(1, 'failed'), job(2, 'running'), job(3, 'running'), job(4, 'running')], appState: state({ failed: 1, uploading: 3 }), warnings: [] }]]);
    expect(start.told).toEqual([]);
    const { told } = run(
      [
        [{ kind: 'jobs', jobs: [job(2, 'failed', 'refused')] }, T0],
        [{ kind: 'jobs', jobs: [job(3, 'failed', 'refused')] }, T0 + 1_000],
        [{ kind: 'jobs', jobs: [job(4, 'failed', 'refused')] }, T0 + 2_000],
        [{ kind: 'tick' }, T0 + 30_000],
        [{ kind: 'tick' }, T0 + ATTENTION_QUIET_MS + 1],
        [{ kind: 'tick' }, T0 + 3 * ATTENTION_QUIET_MS],
      ],
      start.memory,
    );
    expect(told.map((n) => n.title)).toEqual(['file-2.bin needs attention', '2 uploads need attention']);
  });

  it('a held failure that was retried or removed meanwhile is not told', () => {
    const { told } = run([
      [{ kind: 'jobs', jobs: [job(1, 'failed', 'x')] }, T0],
      [{ kind: 'jobs', jobs: [job(2, 'failed', 'y'), job(3, 'failed', 'z')] }, T0 + 1_000],
      [{ kind: 'jobs', jobs: [job(2, 'queued')] }, T0 + 2_000],
      [{ kind: 'jobs-removed', ids: [3] }, T0 + 3_000],
      [{ kind: 'tick' }, T0 + 2 * ATTENTION_QUIET_MS],
    ]);
    expect(told.map((n) => n.title)).toEqual(['file-1.bin needs attention']);
  });

  it('a paused upload whose session is about to expire: once per session, also when the app starts', () => {
    const { told, memory } = run([
      [{ kind: 'snapshot', jobs: [job(7, 'paused')], appState: state({ paused: 1 }), warnings: [expiring(7)] }],
      [{ kind: 'warnings', warnings: [expiring(7)] }],
      [{ kind: 'app-state', appState: state({ paused: 1 }) }],
    ]);
    expect(told).toEqual([
      {
        kind: 'session-expiring',
        title: 'file-7.bin is paused and its upload session expires soon',
        body: 'Resume it before 09:30, or 50.0 MiB already sent to OneDrive must be sent again.',
        jobId: 7,
      },
    ]);
    // The warning went (resumed, or its session changed) and a new session's warning comes: told again.
    const later = run(
      [
        [{ kind: 'warnings', warnings: [] }],
        [{ kind: 'warnings', warnings: [expiring(7, 2)] }],
      ],
      memory,
    );
    expect(later.told.map((n) => n.kind)).toEqual(['session-expiring']);
  });

  it('an expiring session of a job that is not paused (queued, waiting) is not a notification until it is paused', () => {
    const { told } = run([
      [{ kind: 'snapshot', jobs: [job(8, 'queued')], appState: state({ queued: 1 }), warnings: [expiring(8)] }],
      [{ kind: 'warnings', warnings: [expiring(8)] }],
      [{ kind: 'jobs', jobs: [job(8, 'paused')] }],
    ]);
    expect(told.map((n) => [n.kind, n.jobId])).toEqual([['session-expiring', 8]]);
  });
});
