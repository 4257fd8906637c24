import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { openContext, type CliContext } from '../../main/app/cli/cli-context.js';
import { watchAdd } from '../../main/app/cli/watch-commands.js';
import { runServe, type ServeEvent } from '../../main/app/serve/run-serve.js';
import { FAST, until } from './watch-harness.js';

let em: GraphEmulator;
let base: string;
let tree: string;
let dataDir: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'hoist-serve-'));
  tree = join(base, 'tree');
  dataDir = join(base, 'data');
  mkdirSync(tree);
  em = await GraphEmulator.start({ storageDir: join(base, 'server') });
});
afterAll(async () => {
  await em.close();
  rmSync(base, { recursive: true, force: true });
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const write = (rel: string, content: Buffer | string) => {
  const path = join(tree, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 30_000);
  utimesSync(path, past, past);
};
const uploadsSent = () => em.requests.filter((r) => r.op === 'graph.create' || r.op === 'graph.simple').length;
const itemAt = (path: string) => em.items().find((i) => i.path === path);

/** Runs the daemon until stop() is called; resolves `ready` once every watch has done its first reconcile. */
function serve(): { ctx: CliContext; events: ServeEvent[]; ready: Promise<void>; stop: () => Promise<void> } {
  const ctx = openContext(dataDir, { ...process.env, T: 'graph-test-token' });
  const controller = new AbortController();
  const events: ServeEvent[] = [];
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const running = runServe({ ctx, signal: controller.signal, onEvent: (e) => events.push(e), onReady: markReady, watchOptions: FAST });
  return {
    ctx,
    events,
    ready,
    stop: async () => {
      controller.abort();
      await running;
      ctx.store.close();
    },
  };
}

describe('hoist serve against the Graph emulator', () => {
  it('uploads a watched tree, then live changes; a restart re-uploads nothing; a file changed while stopped becomes a new version', async () => {
    const setup = openContext(dataDir, process.env);
    setup.store.destinations.add(
      'od',
      'graph',
      { endpoint: em.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: 327_680 * 4, token: { kind: 'env', name: 'T' } },
      Date.now(),
    );
    expect(watchAdd(setup, tree, { dest: 'od', remoteDir: '/Sync' })).toMatch(/Watching .* → od:\/Sync \(watch #1\)/);
    setup.store.close();
    write('small.txt', 'hello');
    write('big/video.bin', Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    write('big/nested/notes.md', '# notes');
    write('.DS_Store', 'junk');

    const first = serve();
    await first.ready;
    await until(() => ['/Sync/small.txt', '/Sync/big/video.bin', '/Sync/big/nested/notes.md'].every((p) => itemAt(p)), 'three items uploaded', 60_000);
    expect(itemAt('/Sync/big/video.bin')?.sha256).toBe(sha256(join(tree, 'big/video.bin')));
    expect(itemAt('/Sync/.DS_Store')).toBeUndefined();
    await until(() => first.ctx.store.syncIndex.countsFor(1).uploaded === 3, 'index records three uploads');
    expect(first.ctx.store.syncIndex.get(1, 'big/video.bin')?.remoteItemId).toBe(itemAt('/Sync/big/video.bin')?.id);

    writeFileSync(join(tree, 'live.txt'), 'written while serving');
    await until(() => itemAt('/Sync/live.txt') !== undefined, 'a live file uploaded', 30_000);
    await until(() => first.ctx.store.syncIndex.countsFor(1).uploaded === 4, 'index records the live upload');
    await first.stop();
    const sentBeforeRestart = uploadsSent();

    const second = serve();
    await second.ready;
    const scans = second.events.filter((e) => e.type === 'watch-scanned');
    expect(scans.at(-1)).toMatchObject({ files: 4, changed: 0, deleted: 0 });
    // Give the queue a moment to prove it has nothing to do (bounded: one scheduler look).
    await new Promise((r) => setTimeout(r, 500));
    expect(uploadsSent()).toBe(sentBeforeRestart);
    expect(second.ctx.store.jobs.listByState(['queued', 'running'])).toEqual([]);
    await second.stop();

    write('big/video.bin', Buffer.alloc(2 * 1024 * 1024, 9)); // changed while Hoist is closed
    const third = serve();
    await third.ready;
    await until(() => itemAt('/Sync/big/video.bin')?.size === 2 * 1024 * 1024, 'the new version uploaded', 60_000);
    expect(itemAt('/Sync/big/video.bin')?.sha256).toBe(sha256(join(tree, 'big/video.bin')));
    await until(() => third.ctx.store.syncIndex.get(1, 'big/video.bin')?.state === 'uploaded', 'index updated');
    expect(uploadsSent()).toBe(sentBeforeRestart + 1);
    await third.stop();
  });
});
