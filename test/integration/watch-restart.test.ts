import { afterEach, describe, expect, it } from 'vitest';
import { renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAST, until, WatchEnv } from './watch-harness.js';
import { startChokidarWatch, type StartLiveWatch } from '../../main/watch/live-watch.js';

const envs: WatchEnv[] = [];
const env = (...args: ConstructorParameters<typeof WatchEnv>) => {
  const e = new WatchEnv(...args);
  envs.push(e);
  return e;
};
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

/** Makes a file look written a minute ago, as files changed while the app was closed usually are. */
const age = (e: WatchEnv, rel: string) => {
  const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000); // whole seconds: exact through utimes
  utimesSync(e.path(rel), past, past);
};

describe('restart: the tree is reconciled against the sync index', () => {
  it('re-uploads nothing unchanged, uploads what changed or appeared while closed, records what was deleted', async () => {
    const e = env();
    const w = e.addWatch();
    for (const rel of ['same.txt', 'changed.txt', 'deleted.txt', 'sub/same-too.bin']) e.write(rel, `content of ${rel}`);
    await e.start();
    await until(() => e.jobs().length === 4, 'the first index queued four files');
    e.completeAll();
    await e.stop();

    // While Hoist is not running:
    e.append('changed.txt', ' + an edit');
    age(e, 'changed.txt');
    unlinkSync(e.path('deleted.txt'));
    e.write('added.txt', 'new while closed');
    age(e, 'added.txt');

    const eventsBefore = e.events.length;
    await e.start();
    // start() resolves after the reconcile: the decisions are already in the database.
    expect(e.jobs().filter((j) => j.state === 'queued').map((j) => j.remotePath).sort()).toEqual(['/Backup/added.txt', '/Backup/changed.txt']);
    expect(e.jobsFor('/Backup/same.txt')).toHaveLength(1);
    expect(e.jobsFor('/Backup/sub/same-too.bin')).toHaveLength(1);
    expect(e.row(w.id, 'same.txt')?.state).toBe('uploaded');
    expect(e.row(w.id, 'deleted.txt')?.state).toBe('deleted');
    expect(e.row(w.id, 'changed.txt')?.state).toBe('queued');
    const [reconcile, catchUp] = e.events.slice(eventsBefore).filter((ev) => ev.type === 'watch-scanned');
    expect(reconcile).toMatchObject({ isFull: true, files: 4, changed: 2, deleted: 1 });
    // The second pass after the live watch is attached finds nothing more (it exists for changes made in between).
    expect(catchUp).toMatchObject({ isFull: true, files: 4, changed: 0, deleted: 0 });
  });

  it('catches a change made after the index scan but before the live watch was attached', async () => {
    let e!: WatchEnv;
    // The real chokidar port, with a write slipped in between the first reconcile and chokidar attaching its watches.
    const startWithWrite: StartLiveWatch = (input) => {
      e.write('sneaky.txt', 'written while the watches were being attached');
      return startChokidarWatch(input);
    };
    e = env(FAST, startWithWrite);
    const w = e.addWatch();
    e.write('first.txt', '1');
    await e.start();
    await until(() => e.row(w.id, 'sneaky.txt') !== undefined, 'the sneaky file indexed');
    expect(e.jobs().map((j) => j.remotePath).sort()).toEqual(['/Backup/first.txt', '/Backup/sneaky.txt']);
  });

  it('settles uploads that finished while the daemon was not listening (another process resumed them)', async () => {
    const e = env();
    const w = e.addWatch();
    e.write('a.txt', 'a');
    e.write('b.txt', 'b');
    await e.start();
    await until(() => e.jobs().length === 2, 'two jobs');
    await e.stop();
    const [a, b] = e.jobs();
    e.store.jobs.complete(a!.id, { id: 'remote-a', hashes: {} }, Date.now()); // e.g. `hoist resume` in a terminal
    e.store.jobs.setState(b!.id, 'failed', Date.now(), { code: 'x', message: 'boom' });
    await e.start();
    expect(e.row(w.id, 'a.txt')).toMatchObject({ state: 'uploaded', remoteItemId: 'remote-a' });
    expect(e.row(w.id, 'b.txt')?.state).toBe('failed');
    expect(e.jobs()).toHaveLength(2); // a failed upload is retried by the user (or by a change), not in a loop
  });

  it('keeps a large first index as pending rows, creates jobs as the queue drains, and continues after a restart', async () => {
    // A slice per file: the scan hands its files over one at a time, as on a slow disk (a refill rule that waits for
    // room to free up in chunks once left this queue at 31 jobs with 119 files pending and nothing more to come).
    const options = { ...FAST, maxQueuedJobs: 40, batchSize: 25, scanSliceMs: 0 };
    const e = env(options);
    const w = e.addWatch();
    for (let i = 0; i < 150; i++) e.write(`many/f${String(i).padStart(3, '0')}.txt`, `file ${i}`);
    for (let i = 0; i < 150; i++) age(e, `many/f${String(i).padStart(3, '0')}.txt`);
    await e.start();
    const counts = () => e.store.syncIndex.countsFor(w.id);
    expect(counts()).toMatchObject({ queued: 40, pending: 110 });
    expect(e.jobs()).toHaveLength(40);
    for (const job of e.jobs().slice(0, 10)) e.completeJob(job.id);
    expect(counts()).toMatchObject({ uploaded: 10, queued: 40, pending: 100 });
    await e.stop();

    await e.start(options);
    expect(counts()).toMatchObject({ uploaded: 10, queued: 40, pending: 100 });
    expect(e.jobs()).toHaveLength(50);
    for (let round = 0; round < 20 && counts().uploaded < 150; round++) e.completeAll();
    expect(counts()).toMatchObject({ uploaded: 150, queued: 0, pending: 0 });
    expect(new Set(e.jobs().map((j) => j.remotePath)).size).toBe(150);
    expect(e.jobs()).toHaveLength(150);
  });

  it('does not take an empty mount point for 100,000 deletions', async () => {
    const e = env();
    const w = e.addWatch();
    e.write('a.txt', 'a');
    age(e, 'a.txt');
    const staged = join(e.base, 'staged-a.txt'); // exists alongside a.txt, so it cannot reuse a.txt's inode
    writeFileSync(staged, 'a');
    await e.start();
    await until(() => e.jobs().length === 1, 'job');
    e.completeAll();
    await e.stop();
    unlinkSync(e.path('a.txt')); // the folder is now empty, as a mount point without its drive
    await e.start();
    expect(e.service!.watcher(w.id)?.currentStatus).toBe('missing');
    expect(e.store.watches.get(w.id)?.statusMessage).toMatch(/empty although 1 file\(s\) were synced/);
    expect(e.row(w.id, 'a.txt')?.state).toBe('uploaded');
    const recorded = e.row(w.id, 'a.txt')!;
    // The drive is back: same size and mtime, but a new inode (as removable drives renumber them on each mount).
    utimesSync(staged, new Date(recorded.mtimeMs), new Date(recorded.mtimeMs));
    renameSync(staged, e.path('a.txt'));
    await until(() => e.service!.watcher(w.id)?.currentStatus === 'watching', 'watching again');
    expect(e.jobs()).toHaveLength(1);
    expect(e.row(w.id, 'a.txt')?.state).toBe('uploaded');
    expect(e.row(w.id, 'a.txt')?.inode).not.toBe(recorded.inode);
  });
});
