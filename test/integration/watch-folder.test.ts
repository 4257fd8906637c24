import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../main/store/store.js';
import { elapse, FAST, until, WatchEnv } from './watch-harness.js';

const envs: WatchEnv[] = [];
const env = (...args: ConstructorParameters<typeof WatchEnv>) => {
  const e = new WatchEnv(...args);
  envs.push(e);
  return e;
};
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

describe('folder watching with real chokidar on a real tree', () => {
  it('queues a created file once, keeping the relative tree under the remote folder', async () => {
    const e = env();
    const w = e.addWatch();
    await e.start();
    expect(e.service!.watcher(w.id)?.currentStatus).toBe('watching');
    e.write('photos/2024/a.jpg', 'jpeg bytes');
    await until(() => e.jobsFor('/Backup/photos/2024/a.jpg').length === 1, 'a job for the new file');
    const [job] = e.jobsFor('/Backup/photos/2024/a.jpg');
    expect(job).toMatchObject({ localPath: e.path('photos/2024/a.jpg'), sizeBytes: 10, state: 'queued' });
    expect(e.row(w.id, 'photos/2024/a.jpg')).toMatchObject({ state: 'queued', jobId: job!.id, sizeBytes: 10 });
    expect(e.wakes).toBeGreaterThan(0);
    await elapse(FAST.stability.quietMs * 2);
    expect(e.jobs()).toHaveLength(1);
  });

  it('finds files written into a folder before its watch was attached (mkdir -p + write at once)', async () => {
    const e = env();
    e.addWatch();
    await e.start();
    e.write('deep/er/and/deeper/x.bin', 'x');
    e.write('deep/er/y.bin', 'yy');
    await until(() => e.jobs().length === 2, 'both files queued');
    expect(e.jobs().map((j) => j.remotePath).sort()).toEqual(['/Backup/deep/er/and/deeper/x.bin', '/Backup/deep/er/y.bin']);
  });

  it('uploads a modified file as a new job for the same remote path', async () => {
    const e = env();
    const w = e.addWatch();
    e.write('doc.txt', 'v1');
    await e.start();
    await until(() => e.jobs().length === 1, 'initial job');
    e.completeJob(e.jobs()[0]!.id);
    expect(e.row(w.id, 'doc.txt')).toMatchObject({ state: 'uploaded', remoteItemId: `item-${e.jobs()[0]!.id}` });
    e.append('doc.txt', ' and v2');
    await until(() => e.jobsFor('/Backup/doc.txt').length === 2, 'a second job for the changed file');
    expect(e.jobsFor('/Backup/doc.txt')[1]).toMatchObject({ sizeBytes: 9, state: 'queued' });
    expect(e.row(w.id, 'doc.txt')).toMatchObject({ state: 'queued', sizeBytes: 9 });
  });

  it('treats a rename as the new path uploaded and the old one deleted; renaming back to an uploaded name sends nothing', async () => {
    const e = env();
    const w = e.addWatch();
    e.write('a.bin', 'content');
    await e.start();
    await until(() => e.jobs().length === 1, 'initial job');
    e.completeJob(e.jobs()[0]!.id);

    renameSync(e.path('a.bin'), e.path('b.bin'));
    await until(() => e.jobsFor('/Backup/b.bin').length === 1, 'the renamed path queued');
    await until(() => e.row(w.id, 'a.bin')?.state === 'deleted', 'the old path recorded as deleted');
    expect(e.eventsOf('files-queued').some((ev) => ev.renamed === 1)).toBe(true);
    e.completeJob(e.jobsFor('/Backup/b.bin')[0]!.id);

    // a.bin's content is at the destination under that name already: renaming back restores the row, no upload.
    renameSync(e.path('b.bin'), e.path('a.bin'));
    await until(() => e.row(w.id, 'a.bin')?.state === 'uploaded', 'a.bin restored');
    await until(() => e.row(w.id, 'b.bin')?.state === 'deleted', 'b.bin recorded as deleted');
    expect(e.jobs()).toHaveLength(2);
    expect(e.eventsOf('files-queued').some((ev) => ev.restored === 1)).toBe(true);
  });

  it('records a deletion without deleting remotely, and cancels the queued upload of a deleted file', async () => {
    const e = env();
    const w = e.addWatch({ mirrorDeletes: true });
    e.write('keep.txt', 'k');
    e.write('gone.txt', 'g');
    e.write('queued.txt', 'q');
    await e.start();
    await until(() => e.jobs().length === 3, 'three jobs');
    e.completeJob(e.jobsFor('/Backup/gone.txt')[0]!.id);
    e.completeJob(e.jobsFor('/Backup/keep.txt')[0]!.id);
    unlinkSync(e.path('gone.txt'));
    unlinkSync(e.path('queued.txt'));
    await until(() => e.row(w.id, 'gone.txt')?.state === 'deleted' && e.row(w.id, 'queued.txt')?.state === 'deleted', 'deletions recorded');
    expect(e.row(w.id, 'gone.txt')?.remoteItemId).toBeTruthy();
    expect(e.jobsFor('/Backup/queued.txt')[0]?.state).toBe('cancelled');
    expect(e.row(w.id, 'keep.txt')?.state).toBe('uploaded');
    const warning = e.eventsOf('watch-warning').find((ev) => /Mirroring deletions/.test(ev.message));
    expect(warning?.message).toMatch(/recorded in the sync index only/);
  });

  it('batches a burst of 2,000 new files into a few transactions and events', async () => {
    const e = env();
    const w = e.addWatch();
    await e.start();
    for (let d = 0; d < 20; d++) {
      mkdirSync(e.path(`burst/d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) e.write(`burst/d${d}/f${f}.dat`, `${d}-${f}`);
    }
    const counts = () => e.store.syncIndex.countsFor(w.id);
    await until(() => counts().queued + counts().pending === 2_000, 'all 2,000 files in the index', 30_000);
    // Files found by scanning the new folders wait as 'pending' rows; jobs exist for at most maxQueuedJobs at once.
    expect(e.jobs().length).toBeLessThanOrEqual(FAST.maxQueuedJobs);
    expect(e.jobs().length).toBeGreaterThan(0);
    const queuedEvents = e.eventsOf('files-queued');
    expect(queuedEvents.length).toBeLessThan(60);
    expect(e.wakes).toBeLessThan(60);
    // As uploads finish, the rest get jobs: no file is lost, none is queued twice.
    for (let round = 0; round < 10 && counts().queued > 0; round++) e.completeAll();
    expect(e.jobs()).toHaveLength(2_000);
    expect(new Set(e.jobs().map((j) => j.remotePath)).size).toBe(2_000);
    expect(counts()).toMatchObject({ uploaded: 2_000, pending: 0, queued: 0 });
  });

  it('does not queue a file while it is still being appended to, and queues its final size once it settles', async () => {
    const e = env(undefined);
    const w = e.addWatch();
    await e.start({ ...FAST, stability: { ...FAST.stability, maxWaitMs: 800 } });
    e.write('growing.iso', 'start');
    const appendUntil = Date.now() + 2_000;
    let size = 5;
    while (Date.now() < appendUntil) {
      e.append('growing.iso', 'more data'); // a write every 100 ms, well inside the 300 ms quiet period
      size += 9;
      await elapse(100);
      expect(e.jobs()).toHaveLength(0);
    }
    expect(e.eventsOf('file-unsettled').map((ev) => ev.relPath)).toEqual(['growing.iso']);
    await until(() => e.jobs().length === 1, 'the settled file queued');
    expect(e.jobs()[0]).toMatchObject({ sizeBytes: size, remotePath: '/Backup/growing.iso' });
    expect(e.row(w.id, 'growing.iso')?.sizeBytes).toBe(size);
  });

  it('applies default and per-folder ignore rules, skips hidden files, and holds empty files longer', async () => {
    const e = env();
    const w = e.addWatch({ ignorePatterns: ['*.log', 'build/', '!keep.tmp'] });
    await e.start();
    const skipped = ['.DS_Store', 'Thumbs.db', 'desktop.ini', '~$report.docx', 'x.tmp', 'movie.part', 'file.crdownload', '.~lock.a.odt#', '.a.txt.swp', 'notes.txt~', 'app.log', 'build/out.bin', '.hidden/file.txt', '.secret'];
    for (const rel of skipped) e.write(rel, 'x');
    e.write('keep.tmp', 'kept by a negation');
    e.write('real.txt', 'real');
    e.write('empty.txt', '');
    await until(() => e.jobs().length === 2, 'the two real files queued');
    expect(e.jobs().map((j) => j.remotePath).sort()).toEqual(['/Backup/keep.tmp', '/Backup/real.txt']);
    // The empty file waits zeroByteQuietMs (a copier may be about to fill it), then uploads: empty files are files.
    await until(() => e.jobs().length === 3, 'the empty file queued later');
    expect(e.jobsFor('/Backup/empty.txt')[0]?.sizeBytes).toBe(0);
    await e.service!.watcher(w.id)!.rescanNow();
    expect(e.jobs()).toHaveLength(3);
  });

  it('uploads hidden files when asked', async () => {
    const e = env();
    e.addWatch({ includeHidden: true });
    e.write('.config/settings.json', '{}');
    await e.start();
    await until(() => e.jobs().length === 1, 'the hidden file queued');
    expect(e.jobs()[0]?.remotePath).toBe('/Backup/.config/settings.json');
  });

  it('skips symlinks by default and follows them without looping when asked', async () => {
    const outside = env();
    outside.write('linked/inner.txt', 'inner');
    const skip = env();
    skip.write('real.txt', 'r');
    symlinkSync(outside.path('linked'), skip.path('to-dir'));
    symlinkSync(skip.tree, skip.path('loop'));
    skip.addWatch();
    await skip.start();
    await until(() => skip.jobs().length === 1, 'only the real file');
    expect(skip.jobs()[0]?.remotePath).toBe('/Backup/real.txt');

    await skip.stop();
    const follow = env();
    follow.write('real.txt', 'r');
    symlinkSync(outside.path('linked'), follow.path('to-dir'));
    symlinkSync(follow.tree, follow.path('loop')); // points back at the root: must not loop
    follow.addWatch({ symlinkPolicy: 'follow' });
    await follow.start();
    await until(() => follow.jobs().length === 2, 'the real file and the linked one');
    expect(follow.jobs().map((j) => j.remotePath).sort()).toEqual(['/Backup/real.txt', '/Backup/to-dir/inner.txt']);
  });

  it('survives the watched folder being removed and re-created: missing, then rescanned', async () => {
    const e = env();
    const w = e.addWatch();
    e.write('one.txt', '1');
    e.write('sub/two.txt', '2');
    await e.start();
    await until(() => e.jobs().length === 2, 'initial jobs');
    e.completeAll();

    rmSync(e.tree, { recursive: true, force: true });
    await until(() => e.service!.watcher(w.id)?.currentStatus === 'missing', 'status missing');
    expect(e.store.watches.get(w.id)?.statusMessage).toMatch(/not there|disappeared/);
    await elapse(FAST.deleteDelayMs * 2);
    // A vanished folder is not a mass deletion.
    expect(e.row(w.id, 'one.txt')?.state).toBe('uploaded');

    mkdirSync(e.tree);
    e.write('one.txt', 'one, rewritten');
    e.write('three.txt', '3');
    await until(() => e.service!.watcher(w.id)?.currentStatus === 'watching', 'watching again');
    await until(() => e.jobs().length === 4, 'the rewritten and the new file queued');
    expect(e.jobsFor('/Backup/one.txt')).toHaveLength(2);
    expect(e.row(w.id, 'sub/two.txt')?.state).toBe('deleted');
    // Live again: a later file is seen.
    e.write('four.txt', '4');
    await until(() => e.jobs().length === 5, 'a file written after the return');
  });

  it('treats an unplugged and re-plugged drive as the same files: nothing re-sent, uploads that failed meanwhile retried', async () => {
    const e = env();
    const w = e.addWatch();
    e.write('a.txt', 'a');
    e.write('b.txt', 'b');
    await e.start();
    await until(() => e.jobs().length === 2, 'two jobs');
    const a = e.jobsFor('/Backup/a.txt')[0]!;
    const b = e.jobsFor('/Backup/b.txt')[0]!;
    e.completeJob(a.id);

    const away = `${e.tree}-unplugged`;
    renameSync(e.tree, away); // the mount point's content is gone
    await until(() => e.service!.watcher(w.id)?.currentStatus === 'missing', 'status missing');
    // Meanwhile the uploader tried b and found no file:
    e.store.jobs.setState(b.id, 'failed', Date.now(), { code: 'file-missing', message: 'gone' });
    e.service!.onJobFinished(b.id);
    expect(e.row(w.id, 'b.txt')?.state).toBe('failed');

    renameSync(away, e.tree); // plugged in again
    await until(() => e.service!.watcher(w.id)?.currentStatus === 'watching', 'watching again');
    expect(e.jobs()).toHaveLength(2);
    expect(e.store.jobs.get(b.id)?.state).toBe('queued');
    expect(e.row(w.id, 'b.txt')?.state).toBe('queued');
    expect(e.row(w.id, 'a.txt')?.state).toBe('uploaded');
  });

  it('follows `hoist watch pause/resume/remove` made by another process while running', async () => {
    const e = env();
    const w = e.addWatch();
    await e.start();
    const cli = Store.open(join(e.base, 'data', 'hoist.db')); // a second connection, as a `hoist watch …` process has
    try {
      cli.watches.setPaused(w.id, true, Date.now());
      await until(() => e.service!.watcher(w.id) === undefined, 'the watcher stopped');
      e.write('while-paused.txt', 'p');
      await elapse(FAST.stability.quietMs * 2);
      expect(e.jobs()).toHaveLength(0);
      expect(e.store.watches.get(w.id)?.status).toBe('paused');

      cli.watches.setPaused(w.id, false, Date.now());
      await until(() => e.jobs().length === 1, 'the file written while paused found by the resume scan');
      await until(() => e.service!.watcher(w.id)?.currentStatus === 'watching', 'watching again');

      cli.watches.remove(w.id);
      await until(() => e.service!.watcher(w.id) === undefined, 'the removed watch stopped');
    } finally {
      cli.close();
    }
  });

  it('falls back to periodic rescans with a clear message when the OS refuses watches (ENOSPC)', async () => {
    const refusing = (input: Parameters<NonNullable<ConstructorParameters<typeof WatchEnv>[1]>>[0]) => {
      setImmediate(() => input.onError(Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })));
      return { ready: new Promise<void>(() => undefined), close: async () => undefined };
    };
    const e = env(FAST, refusing);
    const w = e.addWatch();
    e.write('before.txt', 'b');
    await e.start();
    expect(e.service!.watcher(w.id)?.currentStatus).toBe('polling');
    const message = e.store.watches.get(w.id)?.statusMessage ?? '';
    expect(message).toMatch(/limit on watched folders/);
    expect(message).toMatch(/sudo sysctl fs\.inotify\.max_user_watches=\d+/);
    expect(message).toMatch(/rescans it every/);
    await until(() => e.jobs().length === 1, 'the existing file queued');
    e.write('later.txt', 'l');
    await until(() => e.jobs().length === 2, 'a new file found by the fallback rescan');
  });
});
