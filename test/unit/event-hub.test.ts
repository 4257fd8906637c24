import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventName, HoistEvent, HoistEvents } from '../../preload/contract/events.js';
import { EventHub, type HubClient } from '../../main/bridge/event-hub.js';
import { LiveJobs, STALL_AFTER_MS } from '../../main/bridge/live-jobs.js';
import { DEFAULT_SETTINGS } from '../../main/bridge/settings.js';
import { planParts } from '../../main/domain/part-plan.js';
import { Store } from '../../main/store/store.js';

const MiB = 1024 * 1024;
let dir: string;
let store: Store;
let clock: { now: number };
let live: LiveJobs;
let hub: EventHub;
let destId: number;

const PID = 4242;
const newJob = (name: string, sizeBytes = 40 * MiB) =>
  store.jobs.create({ destinationId: destId, localPath: `/data/${name}`, remotePath: `/${name}`, sizeBytes, mtimeMs: 1, inode: null }, clock.now);

function client(): HubClient & { batches: HoistEvent[][] } {
  const batches: HoistEvent[][] = [];
  return { batches, partJobs: new Set(), send: (events) => batches.push(events) };
}
const named = <K extends EventName>(batch: HoistEvent[] | undefined, name: K): Array<HoistEvents[K]> =>
  (batch ?? []).filter((e) => e.name === name).map((e) => e.payload as HoistEvents[K]);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoist-hub-'));
  store = Store.open(join(dir, 'hoist.db'));
  destId = store.destinations.add('od', 'graph', {}, 0).id;
  clock = { now: 1_800_000_000_000 };
  live = new LiveJobs();
});
afterEach(() => {
  hub?.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeHub(): EventHub {
  hub = new EventHub({
    store,
    live,
    nowMs: () => clock.now,
    pid: PID,
    clock: () => '12:00',
    warningWindowMs: () => 3_600_000,
    flushEveryMs: 60_000, // the tests flush by hand
    lists: { destinations: () => [], watches: () => [], settings: () => DEFAULT_SETTINGS },
  });
  return hub;
}

/** A running job with an open session of 4 parts of 10 MiB, leased by this process. */
function runningJob(name: string) {
  const job = newJob(name);
  store.jobs.setState(job.id, 'running', clock.now);
  store.jobs.tryLease(job.id, { pid: PID, startTime: null }, clock.now, 30_000, () => true);
  const session = store.sessions.open({ jobId: job.id, provider: 'graph', sessionUrl: 'u', remoteSessionId: null, partSizeBytes: 10 * MiB, expiresAtMs: null, extra: {} }, planParts(0, 40 * MiB, 10 * MiB), clock.now);
  return { job, session };
}

describe('event hub: coalesced deltas for the windows', () => {
  it('turns a thousand byte events into one batch with one progress entry per job', () => {
    const { job } = runningJob('a.bin');
    const other = newJob('b.bin');
    makeHub();
    const c = client();
    hub.attach(c);
    hub.flush();
    c.batches.length = 0;
    live.onEvent({ type: 'job-started', jobId: job.id, totalBytes: 40 * MiB, ackedBytes: 0 }, clock.now);
    for (let i = 0; i < 1000; i++) {
      clock.now += 1;
      live.onEvent({ type: 'bytes-sent', jobId: job.id, partIndex: 0, bytes: 1024 }, clock.now);
    }
    hub.flush();
    expect(c.batches).toHaveLength(1);
    const progress = named(c.batches[0], 'progress');
    expect(progress).toHaveLength(1);
    expect(progress[0]!.jobs).toEqual([expect.objectContaining({ id: job.id, ackedBytes: 0, inFlightBytes: 1000 * 1024, stalledSinceMs: null })]);
    expect(progress[0]!.jobs[0]!.bytesPerSec).toBeGreaterThan(0);
    // Only the job whose numbers moved is in the tick; the other job is untouched.
    expect(progress[0]!.jobs.map((j) => j.id)).not.toContain(other.id);
    // A flush with nothing new sends nothing at all.
    hub.flush();
    expect(c.batches).toHaveLength(1);
  });

  it('sends only the jobs that changed, whole, and removes cleared ones', () => {
    const jobs = Array.from({ length: 50 }, (_, i) => newJob(`f${i}.bin`));
    makeHub();
    const c = client();
    hub.attach(c);
    hub.flush();
    c.batches.length = 0;
    clock.now += 1000;
    store.jobs.pauseIds([jobs[3]!.id], clock.now);
    hub.markJobs([jobs[3]!.id]);
    hub.flush();
    const changed = named(c.batches[0], 'jobsChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.jobs.map((j) => [j.id, j.state])).toEqual([[jobs[3]!.id, 'paused']]);
    expect(named(c.batches[0], 'appStateChanged')[0]).toMatchObject({ counts: { paused: 1, queued: 49 } });

    store.jobs.complete(jobs[0]!.id, { id: 'item' }, clock.now);
    const cleared = store.jobs.clearFinished(clock.now);
    hub.markJobs(cleared);
    hub.flush();
    expect(named(c.batches.at(-1), 'jobsRemoved')).toEqual([{ ids: [jobs[0]!.id] }]);
    expect(hub.jobViews()).toHaveLength(49);
  });

  it('finds jobs queued by a watched folder, and what another process wrote, without being told the ids', () => {
    makeHub();
    const c = client();
    hub.attach(c);
    hub.flush();
    const queued = newJob('watched.bin');
    hub.markNewJobs();
    hub.flush();
    expect(named(c.batches.at(-1), 'jobsAdded')[0]!.jobs.map((j) => j.name)).toEqual(['watched.bin']);

    // A second connection is another process (a `hoist upload` in a terminal): seen through data_version.
    const other = Store.open(join(dir, 'hoist.db'));
    try {
      clock.now += 2000;
      other.jobs.pauseIds([queued.id], clock.now);
      const theirs = other.jobs.create({ destinationId: destId, localPath: '/data/cli.bin', remotePath: '/cli.bin', sizeBytes: 5, mtimeMs: 1, inode: null }, clock.now);
      hub.flush();
      const batch = c.batches.at(-1);
      expect(named(batch, 'jobsChanged')[0]!.jobs.map((j) => [j.id, j.state])).toEqual([[queued.id, 'paused']]);
      expect(named(batch, 'jobsAdded')[0]!.jobs.map((j) => j.id)).toEqual([theirs.id]);
    } finally {
      other.close();
    }
  });

  it('shows progress of a job another process runs, from its acknowledged parts, as running elsewhere', () => {
    makeHub();
    const c = client();
    hub.attach(c);
    hub.flush();
    const other = Store.open(join(dir, 'hoist.db'));
    try {
      const job = other.jobs.create({ destinationId: destId, localPath: '/data/cli.bin', remotePath: '/cli.bin', sizeBytes: 40 * MiB, mtimeMs: 1, inode: null }, clock.now);
      other.jobs.setState(job.id, 'running', clock.now);
      other.jobs.tryLease(job.id, { pid: 999, startTime: null }, clock.now, 30_000, () => true);
      const session = other.sessions.open({ jobId: job.id, provider: 'graph', sessionUrl: 'u', remoteSessionId: null, partSizeBytes: 10 * MiB, expiresAtMs: null, extra: {} }, planParts(0, 40 * MiB, 10 * MiB), clock.now);
      hub.flush();
      expect(named(c.batches.at(-1), 'jobsAdded')[0]!.jobs[0]).toMatchObject({ id: job.id, state: 'running', activity: { kind: 'elsewhere', pid: 999 } });
      clock.now += 1000;
      other.sessions.markPartDone(session.id, 0, null, null);
      hub.flush();
      const ticks = named(c.batches.at(-1), 'progress');
      expect(ticks[0]!.jobs).toEqual([expect.objectContaining({ id: job.id, ackedBytes: 10 * MiB })]);
    } finally {
      other.close();
    }
  });

  it('says "stalled" once no byte moved for a while, instead of a growing ETA', () => {
    const { job } = runningJob('slow.bin');
    makeHub();
    const c = client();
    hub.attach(c);
    live.onEvent({ type: 'job-started', jobId: job.id, totalBytes: 40 * MiB, ackedBytes: 0 }, clock.now);
    live.onEvent({ type: 'bytes-sent', jobId: job.id, partIndex: 0, bytes: MiB }, clock.now);
    hub.flush();
    expect(hub.view(job.id)?.activity).toEqual({ kind: 'sending' });
    const lastByteAt = clock.now;
    clock.now += STALL_AFTER_MS + 1;
    hub.flush();
    const batch = c.batches.at(-1);
    expect(named(batch, 'jobsChanged')[0]!.jobs[0]!.activity).toEqual({ kind: 'stalled', sinceMs: lastByteAt });
    expect(live.progressOf(job.id, clock.now)).toMatchObject({ bytesPerSec: 0, etaSec: null, stalledSinceMs: lastByteAt });
  });

  it('sends part changes only to the clients that show the job: the parts that changed, or the whole list after a re-plan', () => {
    const { job, session } = runningJob('parts.bin');
    makeHub();
    const watching = client();
    const notWatching = client();
    hub.attach(watching);
    hub.attach(notWatching);
    const parts = hub.partsFor(watching, job.id);
    expect(parts.parts.map((p) => p.state)).toEqual(['pending', 'pending', 'pending', 'pending']);
    live.onEvent({ type: 'job-started', jobId: job.id, totalBytes: 40 * MiB, ackedBytes: 0 }, clock.now);
    live.onEvent({ type: 'bytes-sent', jobId: job.id, partIndex: 1, bytes: 5 * MiB }, clock.now);
    hub.flush();
    expect(named(notWatching.batches.at(-1), 'partsChanged')).toEqual([]);
    const delta = named(watching.batches.at(-1), 'partsChanged');
    expect(delta).toEqual([{ jobId: job.id, sessionId: session.id, isComplete: false, parts: [expect.objectContaining({ index: 1, state: 'sending', sentBytes: 5 * MiB })] }]);

    live.onEvent({ type: 'part-failed', jobId: job.id, partIndex: 1, reason: 'connection reset' }, clock.now);
    live.onEvent({ type: 'job-retrying', jobId: job.id, delayMs: 8000, reason: 'connection reset', kind: 'retry' }, clock.now);
    hub.flush();
    expect(named(watching.batches.at(-1), 'partsChanged')[0]!.parts).toEqual([
      expect.objectContaining({ index: 1, state: 'failed', lastError: 'connection reset', retryAtMs: clock.now + 8000 }),
    ]);

    // Resuming mid-part (offset protocols) re-plans from that part on: the whole new list goes out.
    store.sessions.replanFrom(session.id, 1, [...planParts(10 * MiB, 15 * MiB, 5 * MiB, 1), ...planParts(15 * MiB, 40 * MiB, 10 * MiB, 2)]);
    live.onEvent({ type: 'job-started', jobId: job.id, totalBytes: 40 * MiB, ackedBytes: 0 }, clock.now);
    hub.markJobs([job.id]);
    hub.flush();
    const replanned = named(watching.batches.at(-1), 'partsChanged')[0]!;
    expect(replanned.isComplete).toBe(true);
    expect(replanned.parts.map((p) => p.sizeBytes)).toEqual([10 * MiB, 5 * MiB, 10 * MiB, 10 * MiB, 5 * MiB]);

    hub.releaseParts(watching, job.id);
    live.onEvent({ type: 'bytes-sent', jobId: job.id, partIndex: 2, bytes: MiB }, clock.now);
    hub.flush();
    expect(named(watching.batches.at(-1), 'partsChanged')).toEqual([]);
  });

  it('parts re-planned at another size mid-upload (fragments sized to the link): the whole new list goes out', () => {
    const { job, session } = runningJob('grow.bin');
    makeHub();
    const watching = client();
    hub.attach(watching);
    hub.partsFor(watching, job.id);
    live.onEvent({ type: 'job-started', jobId: job.id, totalBytes: 40 * MiB, ackedBytes: 0 }, clock.now);
    store.sessions.markPartDone(session.id, 0, null, null);
    store.sessions.replanFrom(session.id, 1, planParts(10 * MiB, 40 * MiB, 20 * MiB, 1), 20 * MiB);
    live.onEvent({ type: 'parts-replanned', jobId: job.id, partSizeBytes: 20 * MiB }, clock.now);
    hub.flush();
    const replanned = named(watching.batches.at(-1), 'partsChanged')[0]!;
    expect(replanned.isComplete).toBe(true);
    expect(replanned.parts.map((p) => p.sizeBytes)).toEqual([10 * MiB, 20 * MiB, 10 * MiB]);
    expect(store.sessions.get(session.id)!.partSizeBytes).toBe(20 * MiB);
  });

  it('computes warnings for a paused job whose session is about to expire, and drops them once resumed and sending', () => {
    const { job, session } = runningJob('film.mov');
    store.sessions.markPartDone(session.id, 0, null, null, clock.now + 12 * 60_000);
    store.jobs.pauseIds([job.id], clock.now);
    makeHub();
    const c = client();
    hub.attach(c);
    hub.flush();
    expect(named(c.batches.at(-1), 'warningsChanged')[0]!.warnings).toEqual([
      expect.objectContaining({ kind: 'session-expiring', jobId: job.id, expiresAtMs: clock.now + 12 * 60_000, bytesAtRiskBytes: 10 * MiB }),
    ]);
    store.jobs.resumeIds([job.id], clock.now, ['paused']);
    store.jobs.setState(job.id, 'running', clock.now);
    live.onEvent({ type: 'job-started', jobId: job.id, totalBytes: 40 * MiB, ackedBytes: 10 * MiB }, clock.now);
    live.onEvent({ type: 'bytes-sent', jobId: job.id, partIndex: 1, bytes: MiB }, clock.now);
    hub.markJobs([job.id]);
    hub.flush();
    expect(named(c.batches.at(-1), 'warningsChanged')[0]!.warnings).toEqual([]);
  });

  it('shows a destination waiting for the network, or rate limited, on every job of it, and in the app state', () => {
    const { job } = runningJob('film.mov');
    const queued = newJob('next.mov');
    makeHub();
    const c = client();
    hub.attach(c);
    hub.flush();
    live.onEvent({ type: 'destination-waiting', destinationId: destId, sinceMs: clock.now - 1000 }, clock.now);
    hub.markDestination(destId);
    hub.flush();
    const changed = named(c.batches.at(-1), 'jobsChanged')[0]!.jobs;
    expect(changed.map((j) => [j.id, j.activity])).toEqual([
      [job.id, { kind: 'waiting-network', sinceMs: clock.now - 1000 }],
      [queued.id, { kind: 'waiting-network', sinceMs: clock.now - 1000 }],
    ]);
    expect(named(c.batches.at(-1), 'appStateChanged')[0]).toMatchObject({ kind: 'waiting-network', waitingNetwork: [{ destination: 'od', sinceMs: clock.now - 1000 }] });

    live.onEvent({ type: 'destination-online', destinationId: destId }, clock.now);
    live.onEvent({ type: 'destination-rate-limited', destinationId: destId, untilMs: clock.now + 42_000 }, clock.now);
    hub.markDestination(destId);
    hub.flush();
    expect(hub.view(queued.id)?.activity).toEqual({ kind: 'rate-limited', untilMs: clock.now + 42_000 });
    expect(hub.appState()).toMatchObject({ kind: 'rate-limited', rateLimited: [{ destination: 'od', untilMs: clock.now + 42_000 }] });
    clock.now += 43_000;
    hub.flush();
    expect(named(c.batches.at(-1), 'jobsChanged')[0]!.jobs.find((j) => j.id === queued.id)?.activity).toEqual({ kind: 'none' });
  });
});
