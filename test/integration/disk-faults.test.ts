import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { GraphProtocol } from '../../main/protocols/graph-protocol.js';
import { diskFileSource, type FileSource } from '../../main/engine/file-source.js';
import { makeHarness, type Harness } from '../support/engine-harness.js';
import { removeDir, sha256File, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const FRAGMENT = 327_680 * 4;
let work: string;
let emulator: GraphEmulator;
let h: Harness | undefined;

beforeEach(async () => {
  work = tempDir('disk');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
});
afterEach(async () => {
  h?.store.close();
  h = undefined;
  await emulator.close();
  removeDir(work);
});

const graph = () => new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: FRAGMENT, accessToken: async () => 'graph-test-token' });

describe('disk and database faults', () => {
  it('a full disk mid-upload waits with nothing half-written, and uploads go on once space is freed', async () => {
    h = makeHarness(work, graph());
    const a = join(work, 'film.bin');
    const b = join(work, 'notes.bin');
    writeRandomFile(a, 8 * MiB + 5);
    // 64 MiB in 1.25 MiB fragments: its 52 part rows need a page the full database cannot give.
    writeRandomFile(b, 64 * MiB);
    emulator.setThroughput(4 * MiB);
    const first = await h.addJob(a, '/film.bin');
    const second = await h.addJob(b, '/notes.bin');
    const runA = h.scheduler.run([first]);
    await waitFor(() => h!.events.some((e) => e.type === 'part-acked'), 20_000, 'a part acknowledged');

    // Fill the database to its page limit, as a full disk would: nothing that needs a new page can be written.
    const db = h.store.db;
    db.exec('CREATE TABLE filler (x BLOB)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    let isFull = false;
    for (let i = 0; i < 100_000 && !isFull; i++) {
      try {
        db.prepare('INSERT INTO filler VALUES (randomblob(2000))').run();
      } catch (error) {
        isFull = (error as { code?: string }).code === 'SQLITE_FULL';
      }
    }
    expect(isFull).toBe(true);
    // A second upload starts now: recording its session and parts needs room the disk does not have.
    const runB = h.scheduler.run([second]);
    await waitFor(() => h!.events.some((e) => e.type === 'job-retrying' && e.jobId === second && e.kind === 'disk-full'), 20_000, 'the job waiting for room');
    // Nothing half-written: a session is recorded with all its parts or not at all, and the job is not failed.
    const recorded = h.store.sessions.openForJob(second);
    if (recorded) expect(h.store.sessions.parts(recorded.id)).toHaveLength(52);
    expect(h.store.jobs.get(second)?.state).toBe('running');

    db.exec('DELETE FROM filler');
    db.pragma('max_page_count = 1073741823');
    emulator.setThroughput(undefined);
    expect(await runA).toEqual([{ jobId: first, state: 'done' }]);
    expect(await runB).toEqual([{ jobId: second, state: 'done' }]);
    for (const [file, path] of [[a, '/film.bin'], [b, '/notes.bin']] as const) expect(emulator.items().find((i) => i.path === path)?.sha256).toBe(await sha256File(file));
    expect(h.events.filter((e) => e.type === 'job-finished' && e.state === 'failed')).toEqual([]);
  });

  it('a source file truncated or unreadable mid-upload: the job says so and nothing is committed', async () => {
    // A file source whose reads fail with EIO after 3 MiB, as a dying disk would.
    const failing: FileSource = {
      ...diskFileSource,
      open: (path, options) => {
        const reader = diskFileSource.open(path, options);
        return {
          close: () => reader.close(),
          async *read(offset, size) {
            for await (const chunk of reader.read(offset, size)) {
              if (offset >= 3 * MiB) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
              yield chunk;
            }
          },
        };
      },
    };
    h = makeHarness(work, graph(), {}, failing);
    const file = join(work, 'dying.bin');
    writeRandomFile(file, 8 * MiB);
    const id = await h.addJob(file, '/dying.bin');
    const [outcome] = await h.scheduler.run([id]);
    expect(outcome).toMatchObject({ state: 'failed', message: expect.stringMatching(/Cannot read .*dying\.bin|i\/o error/) });
    expect(h.store.jobs.get(id)).toMatchObject({ state: 'failed', errorCode: 'file-unreadable' });
    expect(emulator.items()).toEqual([]);

    // Truncated while uploading: the old session is dropped, never committed as a mix; what is on disk now goes up.
    h.store.close();
    h = makeHarness(join(work, 'second'), graph());
    const shrinking = join(work, 'shrinking.bin');
    writeRandomFile(shrinking, 8 * MiB);
    emulator.setThroughput(4 * MiB);
    const second = await h.addJob(shrinking, '/shrinking.bin');
    const run = h.scheduler.run([second]);
    await waitFor(() => h!.events.some((e) => e.type === 'part-acked'), 20_000, 'a part acknowledged');
    writeRandomFile(shrinking, 2 * MiB);
    expect(await run).toEqual([{ jobId: second, state: 'done' }]);
    expect(h.events.some((e) => e.type === 'job-restarted' && /changed|size/.test(e.reason))).toBe(true);
    expect(emulator.items().find((i) => i.path === '/shrinking.bin')?.sha256).toBe(await sha256File(shrinking));
  });
});

describe('a damaged or locked database', () => {
  it('gives a plain message, not a stack trace', async () => {
    const { runCli } = await import('../support/cli.js');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const Database = (await import('better-sqlite3')).default;
    const damaged = join(work, 'damaged');
    mkdirSync(damaged);
    writeFileSync(join(damaged, 'hoist.db'), Buffer.alloc(8192, 0x5a));
    const broken = await runCli(['--data-dir', damaged, 'status']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/hoist: .*hoist\.db is not a Hoist database or is damaged/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);

    const locked = join(work, 'locked');
    expect((await runCli(['--data-dir', locked, 'status'])).code).toBe(0);
    const holder = new Database(join(locked, 'hoist.db'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const run = await runCli(['--data-dir', locked, 'pause', '--all']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/hoist: The database .* is locked by another program/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});
