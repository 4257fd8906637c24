/**
 * The real OS limits, not a simulation: the daemon's watch code (built, from dist/) runs in a child process inside a
 * fresh user namespace whose inotify limits are lowered (/proc/sys/user/max_inotify_*, per namespace since Linux 5.11),
 * so the machine's limits are untouched. Needs Linux, unprivileged user namespaces and `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const DIST = resolve(import.meta.dirname, '../../dist');
const skipReason =
  process.platform !== 'linux'
    ? 'inotify limits exist only on Linux'
    : !existsSync(join(DIST, 'main/watch/watch-service.js'))
      ? 'dist/ is not built (npm test builds it first)'
      : spawnSync('unshare', ['-U', '-r', 'sh', '-c', 'test -w /proc/sys/user/max_inotify_watches'], { timeout: 10_000 }).status !== 0
        ? 'this kernel does not let an unprivileged user namespace lower its own inotify limits'
        : undefined;
const canRun = skipReason === undefined;
if (skipReason) process.stdout.write(`watch-limits: skipped: ${skipReason}\n`);

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'hoist-watch-limits-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const CHILD = `
import { writeFileSync } from 'node:fs';
import { Store } from '${DIST}/main/store/store.js';
import { WatchService } from '${DIST}/main/watch/watch-service.js';
import { DEFAULT_WATCH_OPTIONS } from '${DIST}/main/watch/watch-options.js';
const [tree, dbPath] = process.argv.slice(1);
const store = Store.open(dbPath);
const dest = store.destinations.add('od', 'graph', {}, Date.now());
const watch = store.watches.add({ dir: tree, destinationId: dest.id, remoteDir: '/', ignorePatterns: [], symlinkPolicy: 'skip', includeHidden: false, mirrorDeletes: false }, Date.now());
const options = { ...DEFAULT_WATCH_OPTIONS, stability: { quietMs: 200, zeroByteQuietMs: 400, maxWaitMs: 60000 }, fallbackRescanMs: 300 };
const service = new WatchService({ store, options, nowMs: Date.now, events: (e) => console.log(JSON.stringify(e)), onJobsQueued() {}, configPollMs: 100 });
await service.start();
console.log(JSON.stringify({ type: 'started', status: service.watcher(watch.id).currentStatus, jobs: store.jobs.list().length }));
writeFileSync(tree + '/later.txt', 'written after start');
for (const deadline = Date.now() + 10000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
  if (store.jobs.list().some((j) => j.remotePath === '/later.txt')) break;
}
console.log(JSON.stringify({ type: 'done', jobs: store.jobs.list().map((j) => j.remotePath).sort() }));
await service.stop();
store.close();
`;

async function runLimited(name: string, sysctl: string): Promise<Array<Record<string, unknown>>> {
  const tree = join(base, name, 'tree');
  for (let d = 0; d < 30; d++) {
    mkdirSync(join(tree, `d${d}`), { recursive: true });
    writeFileSync(join(tree, `d${d}`, 'f.txt'), `file ${d}`);
    // Written well before the watcher starts, as the initial scan expects: without this, whether they are old enough
    // to pass the 200 ms stability gate at start depended on how fast the child process started.
    const past = new Date(Date.now() - 10_000);
    utimesSync(join(tree, `d${d}`, 'f.txt'), past, past);
  }
  const script = `echo ${sysctl.split('=')[1]} > /proc/sys/user/${sysctl.split('=')[0]} && exec "$0" "$@"`;
  const child = spawn('unshare', ['-U', '-r', 'sh', '-c', script, process.execPath, '--input-type=module', '-e', CHILD, tree, join(base, name, 'hoist.db')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(timer);
  expect(stderr, stderr).toBe('');
  expect(code).toBe(0);
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(!canRun)(`real inotify limits (user namespace with lowered limits)${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
  it('ENOSPC (max_user_watches reached): a clear message with the sysctl, and rescans that still find new files', async () => {
    const lines = await runLimited('enospc', 'max_inotify_watches=10');
    const warning = lines.find((l) => l.type === 'watch-warning');
    expect(String(warning?.message)).toMatch(/the system limit on watched folders is reached \(fs\.inotify\.max_user_watches = 10\)/);
    expect(String(warning?.message)).toMatch(/sudo sysctl fs\.inotify\.max_user_watches=524288/);
    expect(lines.find((l) => l.type === 'started')).toMatchObject({ status: 'polling', jobs: 30 });
    expect(lines.find((l) => l.type === 'done')?.jobs).toContain('/later.txt');
  });

  it('EMFILE (no inotify instance left): a clear message, and the same fallback', async () => {
    const lines = await runLimited('emfile', 'max_inotify_instances=0');
    const warning = lines.find((l) => l.type === 'watch-warning');
    expect(String(warning?.message)).toMatch(/too many open files/);
    expect(String(warning?.message)).toMatch(/fs\.inotify\.max_user_instances/);
    expect(lines.find((l) => l.type === 'started')).toMatchObject({ status: 'polling', jobs: 30 });
    expect(lines.find((l) => l.type === 'done')?.jobs).toContain('/later.txt');
  });
});
