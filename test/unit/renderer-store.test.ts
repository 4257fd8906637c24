import { describe, expect, it } from 'vitest';
import type { HoistEvent } from '../../preload/contract/index.js';
import { initialDomainState, type DomainState } from '../../renderer/store/domain-state.js';
import { announcementFor } from '../../renderer/store/announcements.js';
import { applyEvent, applyEvents, applyFinished, applyParts, applyProgress, applySnapshot, releaseParts, requestParts } from '../../renderer/store/reducers.js';
import { createQueueItemsSelector, failedByCause, finishedCount, groupCounts, queueCount, queueItems } from '../../renderer/store/selectors.js';
import { failed, finishedOf, job, part, snapshot } from '../support/renderer-fixtures.js';

/** The store after the snapshot of `jobs`: finished ones only counted. */
const counted = (...jobs: Parameters<typeof snapshot>[0]): DomainState => applySnapshot(initialDomainState, snapshot(jobs), 40_000);
/** The same once listFinished answered: every job in the store. */
const loaded = (...jobs: Parameters<typeof snapshot>[0]): DomainState => applyFinished(counted(...jobs), finishedOf(jobs));
const tick = (jobs: Array<{ id: number; ackedBytes: number }>): HoistEvent => ({
  name: 'progress',
  payload: { jobs: jobs.map((j) => ({ inFlightBytes: 0, bytesPerSec: 100, etaSec: 5, stalledSinceMs: null, ...j })), totals: { bytesPerSec: 100, etaSec: 5, remainingBytes: 10 } },
});

describe('applySnapshot', () => {
  it('normalises jobs by id into groups in display order and measures the clock skew', () => {
    const state = loaded(
      job(3, { state: 'running' }),
      job(1, { state: 'running' }),
      job(2, { state: 'done', updatedAtMs: 10 }),
      job(4, { state: 'cancelled', updatedAtMs: 20 }),
      failed(5, 'network'),
      failed(6, 'signed-out'),
      job(7, { state: 'paused' }),
      job(8),
    );
    expect(state.isLoaded).toBe(true);
    expect(state.jobs[3]?.name).toBe('file-3.bin');
    expect(state.groups).toEqual({ uploading: [1, 3], attention: [6, 5], paused: [7], queued: [8], finished: [4, 2] });
    expect(state.clockSkewMs).toBe(10_000);
  });

  it('keeps only the part subscriptions of jobs that still exist', () => {
    let state = loaded(job(1, { state: 'running' }), job(2, { state: 'running' }));
    state = requestParts(requestParts(state, 1), 2);
    state = applySnapshot(state, snapshot([job(1, { state: 'running' })]), 0);
    expect(Object.keys(state.parts)).toEqual(['1']);
  });
});

describe('finished jobs, loaded when the window shows them', () => {
  const done = (id: number, updatedAtMs = id) => job(id, { state: 'done', updatedAtMs });
  const history = (from: number, count: number) => Array.from({ length: count }, (_, i) => done(from + i));

  it('are only counted by the snapshot: the Finished header shows the count, without rows', () => {
    const state = counted(job(1, { state: 'running' }), job(2), ...history(10, 3), job(20, { state: 'cancelled', updatedAtMs: 5 }));
    expect(state.finished).toEqual({ status: 'counted', unloadedCount: 4 });
    expect(state.groups.finished).toEqual([]);
    expect(Object.keys(state.jobs)).toEqual(['1', '2']);
    expect(groupCounts(state).finished).toBe(4);
    expect(queueCount(state)).toBe(6);
    expect(queueItems(state, 'all', true).map((item) => item.key)).toEqual(['g:uploading', 'j:1', 'g:queued', 'j:2', 'g:finished']);
    expect(queueItems(state, 'all', true).at(-1)).toMatchObject({ kind: 'group', group: 'finished', count: 4 });
  });

  it('merge 10,000 finished jobs in one update, newest first, leaving the other groups alone', () => {
    const jobs = [job(1, { state: 'running' }), ...history(2, 10_000)];
    const before = counted(...jobs);
    const after = applyFinished(before, finishedOf(jobs));
    expect(after.finished).toEqual({ status: 'loaded', unloadedCount: 0 });
    expect(after.groups.finished).toHaveLength(10_000);
    expect(after.groups.finished[0]).toBe(10_001);
    expect(after.groups.finished.at(-1)).toBe(2);
    expect(after.groups.uploading).toBe(before.groups.uploading);
    expect(after.jobs[1]).toBe(before.jobs[1]);
    expect(finishedCount(after)).toBe(10_000);
    expect(queueItems(after, 'all', true)).toHaveLength(2 + 1 + 10_000);
  });

  it('count a job that finishes before the load once, and take the answer as the newer view', () => {
    let state = counted(job(1, { state: 'running' }), ...history(10, 3));
    state = applyEvent(state, { name: 'jobsChanged', payload: { jobs: [done(1, 50)] } });
    expect(state.groups.finished).toEqual([1]);
    expect(state.finished.unloadedCount).toBe(3);
    expect(finishedCount(state)).toBe(4);
    // listFinished answers after that event: it holds job 1 too, with its remote link by now.
    state = applyFinished(state, [{ ...done(1, 50), remoteWebUrl: 'https://x.invalid/1' }, ...finishedOf(history(10, 3))]);
    expect(state.groups.finished).toEqual([1, 12, 11, 10]);
    expect(state.jobs[1]?.remoteWebUrl).toBe('https://x.invalid/1');
    expect(finishedCount(state)).toBe(4);
  });

  it('count a job that finishes after the load', () => {
    let state = loaded(job(1, { state: 'running' }), ...history(10, 3));
    state = applyEvent(state, { name: 'jobsChanged', payload: { jobs: [job(1, { state: 'cancelled', updatedAtMs: 60 })] } });
    expect(state.groups.finished).toEqual([1, 12, 11, 10]);
    expect(state.groups.uploading).toEqual([]);
    expect(finishedCount(state)).toBe(4);
    expect(state.finished).toEqual({ status: 'loaded', unloadedCount: 0 });
  });

  it('move an unloaded finished job that changed, or was queued again, out of the unloaded count', () => {
    let state = counted(job(1), ...history(10, 3));
    state = applyEvent(state, { name: 'jobsChanged', payload: { jobs: [{ ...done(10), remoteWebUrl: 'https://x.invalid/10' }] } });
    expect(state.groups.finished).toEqual([10]);
    expect(state.finished.unloadedCount).toBe(2);
    expect(finishedCount(state)).toBe(3);
    state = applyEvent(state, { name: 'jobsChanged', payload: { jobs: [job(11, { state: 'queued' })] } });
    expect(state.groups.queued).toEqual([1, 11]);
    expect(state.finished.unloadedCount).toBe(1);
    expect(finishedCount(state)).toBe(2);
  });

  it('add new finished jobs (another process) to the count, loaded or not', () => {
    let state = counted(job(1), ...history(10, 3));
    state = applyEvent(state, { name: 'jobsAdded', payload: { jobs: [done(30)] } });
    expect(state.groups.finished).toEqual([30]);
    expect(state.finished.unloadedCount).toBe(3);
    expect(finishedCount(state)).toBe(4);
  });

  it('leave the count when cleared, loaded or not', () => {
    let state = counted(job(1, { state: 'running' }), ...history(10, 3));
    state = applyEvent(state, { name: 'jobsChanged', payload: { jobs: [done(1, 50)] } });
    state = applyEvent(state, { name: 'jobsRemoved', payload: { ids: [1, 10, 11, 12] } });
    expect(finishedCount(state)).toBe(0);
    expect(state.finished).toEqual({ status: 'counted', unloadedCount: 0 });
    expect(queueItems(state, 'all', true)).toEqual([]);

    // Only unloaded ones cleared: nothing but the count changes.
    const unloaded = counted(job(1), ...history(10, 3));
    const cleared = applyEvent(unloaded, { name: 'jobsRemoved', payload: { ids: [10, 11, 12] } });
    expect(cleared.finished.unloadedCount).toBe(0);
    expect(cleared.jobs).toBe(unloaded.jobs);
    expect(cleared.groups).toBe(unloaded.groups);

    // Once loaded, an id the window does not hold changes nothing.
    const all = loaded(job(1), ...history(10, 3));
    expect(applyEvent(all, { name: 'jobsRemoved', payload: { ids: [99] } })).toBe(all);
    expect(finishedCount(applyEvent(all, { name: 'jobsRemoved', payload: { ids: [10, 11, 12] } }))).toBe(0);
  });

  it('are forgotten by a new snapshot (a reconnect), which counts them again', () => {
    const jobs = [job(1, { state: 'running' }), ...history(10, 3)];
    const state = applySnapshot(loaded(...jobs), snapshot([...jobs, done(20)]), 0);
    expect(state.finished).toEqual({ status: 'counted', unloadedCount: 4 });
    expect(state.groups.finished).toEqual([]);
    expect(state.jobs[10]).toBeUndefined();
  });

  it('recompute the list when only the count moved', () => {
    const select = createQueueItemsSelector();
    let state = counted(job(1), ...history(10, 3));
    expect(select(state, 'all', false).at(-1)).toMatchObject({ group: 'finished', count: 3 });
    state = applyEvent(state, { name: 'jobsRemoved', payload: { ids: [10] } });
    expect(select(state, 'all', false).at(-1)).toMatchObject({ group: 'finished', count: 2 });
  });
});

describe('jobs events', () => {
  it('adds 10,000 jobs in one update, one new jobs map and group', () => {
    const before = loaded(job(1));
    const jobs = Array.from({ length: 10_000 }, (_, i) => job(i + 2, { state: 'done', updatedAtMs: i }));
    const after = applyEvent(before, { name: 'jobsAdded', payload: { jobs } });
    expect(Object.keys(after.jobs)).toHaveLength(10_001);
    expect(after.groups.finished).toHaveLength(10_000);
    // Latest finished first.
    expect(after.groups.finished[0]).toBe(10_001);
    expect(after.groups.finished.at(-1)).toBe(2);
    expect(after.groups.queued).toBe(before.groups.queued);
  });

  it('moves a changed job between groups, keeps the others in place and drops its live numbers once it stops', () => {
    let state = loaded(job(1, { state: 'running' }), job(2, { state: 'running' }), job(3, { state: 'done', updatedAtMs: 5 }));
    state = applyEvent(state, tick([{ id: 1, ackedBytes: 500 }]));
    expect(state.live[1]?.ackedBytes).toBe(500);
    state = applyEvent(state, { name: 'jobsChanged', payload: { jobs: [job(1, { state: 'done', updatedAtMs: 9 })] } });
    expect(state.groups.uploading).toEqual([2]);
    expect(state.groups.finished).toEqual([1, 3]);
    expect(state.live[1]).toBeUndefined();
  });

  it('leaves the groups untouched when a job changes without moving', () => {
    const before = loaded(job(1, { state: 'running' }), job(2, { state: 'running' }));
    const after = applyEvent(before, { name: 'jobsChanged', payload: { jobs: [job(1, { state: 'running', activity: { kind: 'checking' } })] } });
    expect(after.groups).toBe(before.groups);
    expect(after.jobs[1]?.activity).toEqual({ kind: 'checking' });
    expect(after.jobs[2]).toBe(before.jobs[2]);
  });

  it('removes jobs with their live numbers and parts', () => {
    let state = loaded(job(1, { state: 'running' }), job(2, { state: 'done' }));
    state = requestParts(applyEvent(state, tick([{ id: 1, ackedBytes: 10 }])), 1);
    state = applyEvent(state, { name: 'jobsRemoved', payload: { ids: [1, 2, 99] } });
    expect(state.jobs).toEqual({});
    expect(state.groups.uploading).toEqual([]);
    expect(state.groups.finished).toEqual([]);
    expect(state.live).toEqual({});
    expect(state.parts).toEqual({});
  });
});

describe('progress ticks', () => {
  it('replace only the objects of jobs whose numbers changed', () => {
    let state = loaded(job(1, { state: 'running' }), job(2, { state: 'running' }), job(3, { state: 'running' }));
    state = applyEvent(state, tick([{ id: 1, ackedBytes: 10 }, { id: 2, ackedBytes: 10 }]));
    const first = state;
    state = applyEvent(state, tick([{ id: 1, ackedBytes: 20 }, { id: 2, ackedBytes: 10 }]));
    expect(state.live[1]).not.toBe(first.live[1]);
    expect(state.live[1]?.ackedBytes).toBe(20);
    expect(state.live[2]).toBe(first.live[2]);
    expect(state.jobs).toBe(first.jobs);
    expect(state.groups).toBe(first.groups);
  });

  it('returns the same state when nothing changed, and ignores jobs that are finished or unknown', () => {
    let state = loaded(job(1, { state: 'running' }), job(2, { state: 'done' }));
    state = applyEvent(state, tick([{ id: 1, ackedBytes: 10 }]));
    expect(applyEvent(state, tick([{ id: 1, ackedBytes: 10 }]))).toBe(state);
    const late = applyProgress(state, { jobs: [{ id: 2, ackedBytes: 1, inFlightBytes: 0, bytesPerSec: 1, etaSec: 1, stalledSinceMs: null }, { id: 9, ackedBytes: 1, inFlightBytes: 0, bytesPerSec: 1, etaSec: 1, stalledSinceMs: null }], totals: state.totals });
    expect(late).toBe(state);
  });
});

describe('parts', () => {
  it('are kept only while a row holds them, merged by index, and replaced by a re-plan', () => {
    let state = loaded(job(1, { state: 'running', partsTotal: 3 }));
    const ignored = applyParts(state, { jobId: 1, sessionId: 7, parts: [part(0, 'done')], isComplete: true });
    expect(ignored).toBe(state);

    state = requestParts(state, 1);
    expect(state.parts[1]).toBeNull();
    state = applyParts(state, { jobId: 1, sessionId: 7, parts: [part(0, 'done'), part(1, 'sending'), part(2, 'pending')], isComplete: true });
    const untouched = state.parts[1]!.parts[0];
    state = applyEvent(state, { name: 'partsChanged', payload: { jobId: 1, sessionId: 7, parts: [part(1, 'done'), part(2, 'sending', { sentBytes: 40 })], isComplete: false } });
    expect(state.parts[1]!.parts.map((p) => p.state)).toEqual(['done', 'done', 'sending']);
    expect(state.parts[1]!.parts[0]).toBe(untouched);

    state = applyEvent(state, { name: 'partsChanged', payload: { jobId: 1, sessionId: 8, parts: [part(0, 'pending'), part(1, 'pending')], isComplete: true } });
    expect(state.parts[1]).toEqual({ jobId: 1, sessionId: 8, parts: [part(0, 'pending'), part(1, 'pending')] });

    state = releaseParts(state, 1);
    expect(applyParts(state, { jobId: 1, sessionId: 8, parts: [], isComplete: true })).toBe(state);
  });

  it('ignore a partial change for another session or before the list arrived', () => {
    let state = requestParts(loaded(job(1, { state: 'running' })), 1);
    expect(applyParts(state, { jobId: 1, sessionId: 1, parts: [part(0, 'done')], isComplete: false })).toBe(state);
    state = applyParts(state, { jobId: 1, sessionId: 1, parts: [part(0, 'pending')], isComplete: true });
    expect(applyParts(state, { jobId: 1, sessionId: 2, parts: [part(0, 'done')], isComplete: false })).toBe(state);
  });
});

describe('grouping', () => {
  it('files failed jobs by cause, the fixable causes first, and lists groups in window order', () => {
    const state = loaded(failed(1, 'network'), failed(2, 'signed-out', { destination: 'Box' }), failed(3, 'signed-out', { destination: 'OneDrive' }), failed(4, 'file-gone'), job(5, { state: 'running' }), job(6, { state: 'done' }));
    expect(failedByCause(state)).toEqual([
      { cause: 'signed-out', ids: [2, 3], destinations: ['Box', 'OneDrive'] },
      { cause: 'file-gone', ids: [4], destinations: ['OneDrive'] },
      { cause: 'network', ids: [1], destinations: ['OneDrive'] },
    ]);
    expect(groupCounts(state)).toEqual({ uploading: 1, attention: 4, paused: 0, queued: 0, finished: 1 });
    const keys = queueItems(state, 'all', false).map((item) => item.key);
    expect(keys).toEqual(['g:uploading', 'j:5', 'g:attention', 'c:signed-out', 'j:2', 'j:3', 'c:file-gone', 'j:4', 'c:network', 'j:1', 'g:finished']);
    expect(queueItems(state, 'all', true).at(-1)).toEqual({ kind: 'job', key: 'j:6', id: 6, group: 'finished' });
    expect(queueItems(state, 'attention', false).map((item) => item.key)).toEqual(keys.slice(2, 10));
  });

  it('recomputes the list only when groups or options change, not on a progress tick', () => {
    const select = createQueueItemsSelector();
    let state = loaded(job(1, { state: 'running' }), job(2));
    const items = select(state, 'all', false);
    state = applyEvent(state, tick([{ id: 1, ackedBytes: 5 }]));
    expect(select(state, 'all', false)).toBe(items);
    expect(select(state, 'all', true)).not.toBe(items);
    state = applyEvent(state, { name: 'jobsChanged', payload: { jobs: [job(2, { state: 'paused' })] } });
    expect(select(state, 'all', true).map((item) => item.key)).toEqual(['g:uploading', 'j:1', 'g:paused', 'j:2']);
  });
});

describe('applyEvents and announcements', () => {
  it('applies a batch in order and names the jobs that finished or failed', () => {
    const before = loaded(job(1, { state: 'running', name: 'film.mov' }), job(2, { state: 'running', name: 'notes.pdf' }));
    const events: HoistEvent[] = [
      { name: 'jobsChanged', payload: { jobs: [job(1, { state: 'done', name: 'film.mov' })] } },
      { name: 'jobsChanged', payload: { jobs: [failed(2, 'signed-out', { name: 'notes.pdf' })] } },
      { name: 'settingsChanged', payload: { ...before.settings, theme: 'dark' } },
    ];
    const after = applyEvents(before, events);
    expect(after.settings.theme).toBe('dark');
    expect(after.groups.finished).toEqual([1]);
    expect(announcementFor(before.jobs, events)).toBe('film.mov uploaded. notes.pdf failed: failed because signed-out');
  });

  it('counts instead of naming when many finish at once, and stays quiet for jobs already done', () => {
    const jobs = Array.from({ length: 5 }, (_, i) => job(i + 1, { state: 'running' }));
    const before = loaded(...jobs, job(9, { state: 'done' }));
    const events: HoistEvent[] = [{ name: 'jobsChanged', payload: { jobs: [...jobs.map((j) => ({ ...j, state: 'done' as const })), job(9, { state: 'done' })] } }];
    expect(announcementFor(before.jobs, events)).toBe('5 files uploaded');
    expect(announcementFor(before.jobs, [{ name: 'jobsChanged', payload: { jobs: [job(9, { state: 'done' })] } }])).toBeNull();
  });

  it('stays quiet for a finished job that was not loaded yet', () => {
    const before = counted(job(1, { state: 'running' }), job(9, { state: 'done' }));
    expect(before.jobs[9]).toBeUndefined();
    expect(announcementFor(before.jobs, [{ name: 'jobsChanged', payload: { jobs: [job(9, { state: 'done', remoteWebUrl: 'https://x.invalid/9' })] } }])).toBeNull();
  });
});
