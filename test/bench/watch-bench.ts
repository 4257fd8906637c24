/**
 * Folder-watching benchmark: Hoist's watcher (chokidar on folders + own scan + SQLite sync index) next to plain
 * chokidar 4 (`chokidar.watch(tree)`, defaults), on the same 100,000-file tree in 1,000 folders, in the same run, each
 * in its own child process measured from the outside (measure.ts: peak RSS = VmHWM, CPU from /proc).
 *
 *   1. plain chokidar: time to 'ready', peak RSS, inotify watches, idle CPU over 30 s, latency of a new file's 'add'
 *   2. Hoist, first index: time until every file is in the index (service.start() resolved), the same figures, and
 *      latency from a new file being closed to its job being queued (includes the 2 s stability window)
 *   3. Hoist restart after the uploads are done (simulated in the database): ready time, files re-queued (must be 0)
 *   4. ENOSPC: Hoist in a user namespace whose inotify limit is below the folder count: message and fallback
 *
 * Standalone: `npm run build && node --expose-gc dist/test/bench/watch-bench.js`; run.ts runs it as `watchBench`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Store } from '../../main/store/store.js';
import { emptySection, fmt, renderTable, type Bench, type BenchContext, type BenchSection, type ResultRow } from './bench.js';
import { Cleanup } from './cleanup.js';
import { freeBytes, GiB } from './files.js';
import { cpuSecondsOf, pollUntil, startMeasuredChild } from './measure.js';

const FOLDERS = 1_000;
const FILES_PER_FOLDER = 100;
const IDLE_WINDOW_MS = 30_000;
const QUIET_MS = 2_000;
/** "Idle CPU ≈ 0": under 1 % of one core over the window. */
const IDLE_CPU_MAX_SECONDS = IDLE_WINDOW_MS / 1000 / 100;
const CHILD = resolve(import.meta.dirname, 'watch-bench-child.js');

export const watchBench: Bench = {
  id: 'watch',
  title: 'Folder watching: Hoist vs plain chokidar 4 (same tree, same run)',
  run: runWatchSection,
};

interface ChildRun {
  /** Hoist: every file reconciled with the index (the queue is decided). chokidar: same as readyMs. */
  indexedMs: number;
  /** chokidar: 'ready'. Hoist: live watch attached and the catch-up reconcile done ('watching'). */
  readyMs: number;
  peakRssBytes: number;
  inotifyWatches: number;
  idleCpuSeconds: number;
  latencyMs: number;
  ready: Record<string, unknown>;
}

async function runWatchSection(ctx: BenchContext): Promise<BenchSection> {
  const section = emptySection();
  if (process.platform !== 'linux') {
    section.failures.push('watch bench: Linux only (reads /proc for inotify watches, memory and CPU)');
    return section;
  }
  const tree = ctx.cleanup.tempDir('watch-tree');
  if ((await freeBytes(tree)) < 2 * GiB) {
    section.failures.push(`watch bench: needs 2 GiB free under ${tree}`);
    return section;
  }
  const buildStarted = performance.now();
  ctx.log(`watch: writing ${FOLDERS * FILES_PER_FOLDER} files in ${FOLDERS} folders under ${tree}`);
  for (let d = 0; d < FOLDERS; d++) {
    const dir = join(tree, `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir);
    for (let f = 0; f < FILES_PER_FOLDER; f++) writeFileSync(join(dir, `f${String(f).padStart(3, '0')}.txt`), `folder ${d} file ${f}\n`);
  }
  section.details.push(
    `watch bench: ${FOLDERS * FILES_PER_FOLDER} files in ${FOLDERS} folders written in ${fmt.secs(performance.now() - buildStarted)}; ` +
      `${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; Node ${process.version}`,
  );
  // The tree's files must be older than the stability window, as files of a tree being added to a watch are.
  await new Promise((r) => setTimeout(r, QUIET_MS));

  const db = join(ctx.cleanup.tempDir('watch-db'), 'hoist.db');
  const plain = await step(ctx, section, 'plain chokidar', () => measureRun(ctx, tree, ['chokidar', tree], 'plain'));
  const first = await step(ctx, section, 'hoist first index', () => measureRun(ctx, tree, ['hoist', tree, db], 'first'));
  if (first) simulateUploadsDone(db);
  const restart = first ? await step(ctx, section, 'hoist restart', () => measureRun(ctx, tree, ['hoist', tree, db], 'restart')) : undefined;
  const fallback = await step(ctx, section, 'ENOSPC fallback', () => enospcFallback(ctx, tree));

  section.rows.push(...rowsFor(plain, first, restart, fallback));
  section.json = { files: FOLDERS * FILES_PER_FOLDER, folders: FOLDERS, plain, first, restart, fallback };
  for (const [name, run] of [['plain chokidar', plain], ['hoist first index', first], ['hoist restart', restart]] as const) {
    if (run) section.details.push(`  ${name}: ${JSON.stringify(run.ready)}`);
  }
  return section;
}

async function step<T>(ctx: BenchContext, section: BenchSection, name: string, run: () => Promise<T>): Promise<T | undefined> {
  ctx.log(`watch: ${name}`);
  try {
    return await run();
  } catch (error) {
    section.failures.push(`watch bench, ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** Starts a child, waits for its 'ready', measures 30 s of idle CPU, then the latency of one new file, then stops it. */
async function measureRun(ctx: BenchContext, tree: string, args: string[], tag: string): Promise<ChildRun> {
  const child = startMeasuredChild(process.execPath, [CHILD, ...args], { timeoutMs: 10 * 60_000, cleanup: ctx.cleanup, pollMs: 100 });
  const out = jsonLines(child.child);
  child.result.catch(() => undefined);
  try {
    const ready = await out.waitFor((l) => l.t === 'ready', `${args[0]} ready`, 9 * 60_000);
    ctx.log(`watch: ${args[0]} ready in ${fmt.secs(Number(ready.readyMs))} (indexed in ${fmt.secs(Number(ready.indexedMs ?? ready.readyMs))}); idle for ${IDLE_WINDOW_MS / 1000} s`);
    const cpuBefore = cpuSecondsOf(child.pid) ?? Number.NaN;
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    const idleCpuSeconds = (cpuSecondsOf(child.pid) ?? Number.NaN) - cpuBefore;
    const name = `bench-new-${tag}.txt`;
    writeFileSync(join(tree, name), 'a new file, closed now\n');
    const closedAtMs = Date.now();
    const seen = await out.waitFor((l) => l.t === 'seen' && String(l.path).endsWith(name), `${name} seen`, 60_000);
    const peak = child.current().peakRssBytes;
    child.kill('SIGTERM');
    const result = await child.result;
    return {
      indexedMs: Number(ready.indexedMs ?? ready.readyMs),
      readyMs: Number(ready.readyMs),
      peakRssBytes: Math.max(peak, result.peakRssBytes),
      inotifyWatches: Number(ready.inotifyWatches),
      idleCpuSeconds,
      latencyMs: Number(seen.atMs) - closedAtMs,
      ready,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

type Line = Record<string, unknown>;

/** The child's JSON lines as they arrive, and a bounded wait for one that fails at once if the child has exited. */
function jsonLines(child: ChildProcess): { lines: Line[]; waitFor(match: (l: Line) => boolean, what: string, timeoutMs: number): Promise<Line> } {
  const lines: Line[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('{')) lines.push(JSON.parse(line) as Line);
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4_000) stderr += d.toString();
  });
  return {
    lines,
    waitFor: (match, what, timeoutMs) =>
      pollUntil(
        () => {
          const found = lines.find(match);
          if (found) return found;
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the child exited (${child.exitCode ?? child.signalCode}) before ${what}: ${stderr.trim() || 'no error output'}`);
          }
          return undefined;
        },
        { timeoutMs, intervalMs: 5, what },
      ),
  };
}

/** What the uploader would have left after sending everything: every row uploaded, every job done. */
function simulateUploadsDone(dbPath: string): void {
  const store = Store.open(dbPath);
  try {
    store.db.transaction(() => {
      store.db.prepare(`UPDATE sync_index SET state = 'uploaded', remote_item_id = 'simulated-' || rel_path WHERE state IN ('pending', 'queued')`).run();
      store.db.prepare(`UPDATE jobs SET state = 'done' WHERE state IN ('queued', 'running')`).run();
    })();
  } finally {
    store.close();
  }
}

interface FallbackRun {
  status: string;
  message: string;
  readyMs: number;
  newFileQueuedMs: number;
}

/** Hoist where the OS grants fewer inotify watches (500, in a user namespace) than the tree has folders (1,001). */
async function enospcFallback(ctx: BenchContext, tree: string): Promise<FallbackRun | undefined> {
  const probe = spawnSync('unshare', ['-U', '-r', 'sh', '-c', 'test -w /proc/sys/user/max_inotify_watches'], { timeout: 10_000 });
  if (probe.status !== 0) {
    ctx.log('watch: no unprivileged user namespaces here; ENOSPC run skipped');
    return undefined;
  }
  const db = join(ctx.cleanup.tempDir('watch-db-enospc'), 'hoist.db');
  const script = 'echo 500 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"';
  const child = spawn('unshare', ['-U', '-r', 'sh', '-c', script, process.execPath, CHILD, 'hoist', tree, db], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOIST_WATCH_FALLBACK_RESCAN_MS: '5000' },
  });
  const untrack = ctx.cleanup.trackChild(child);
  const closed = new Promise((r) => child.once('close', r));
  const out = jsonLines(child);
  try {
    const ready = await out.waitFor((l) => l.t === 'ready', 'hoist ready under ENOSPC', 5 * 60_000);
    const name = 'bench-new-enospc.txt';
    writeFileSync(join(tree, name), 'found by a rescan\n');
    const closedAtMs = Date.now();
    const seen = await out.waitFor((l) => l.t === 'seen' && String(l.path).endsWith(name), 'the new file under ENOSPC', 120_000);
    return { status: String(ready.status), message: String(ready.warning ?? ''), readyMs: Number(ready.readyMs), newFileQueuedMs: Number(seen.atMs) - closedAtMs };
  } finally {
    child.kill('SIGTERM');
    await closed;
    untrack();
  }
}

function rowsFor(plain?: ChildRun, first?: ChildRun, restart?: ChildRun, fallback?: FallbackRun): ResultRow[] {
  const rows: ResultRow[] = [];
  const files = `${(FOLDERS * FILES_PER_FOLDER).toLocaleString('en')} files`;
  if (plain) {
    rows.push({ label: `plain chokidar 4: ready (${files})`, measured: fmt.secs(plain.readyMs) });
    rows.push({ label: 'plain chokidar 4: peak RSS', measured: fmt.mib(plain.peakRssBytes) });
    rows.push({ label: 'plain chokidar 4: inotify watches', measured: plain.inotifyWatches.toLocaleString('en') });
    rows.push({ label: 'plain chokidar 4: idle CPU over 30 s', measured: fmt.cpu(plain.idleCpuSeconds) });
    rows.push({ label: 'plain chokidar 4: new file → add event (no gate)', measured: fmt.secs(plain.latencyMs) });
  }
  if (first) {
    const readyTarget = plain ? `≤ ${fmt.secs(plain.readyMs)} (1.0 × chokidar)` : '≤ 1.0 × chokidar';
    rows.push({ label: `Hoist: first full index (${files})`, measured: fmt.secs(first.indexedMs), target: readyTarget, met: plain ? first.indexedMs <= plain.readyMs : undefined });
    rows.push({
      label: 'Hoist: … and live watch attached + catch-up scan',
      measured: fmt.secs(first.readyMs),
      target: plain ? `(${(first.readyMs / plain.readyMs).toFixed(2)} × chokidar)` : undefined,
    });
    const rssTarget = plain ? `≤ ${fmt.mib(plain.peakRssBytes * 1.2)} (1.2 × chokidar)` : '≤ 1.2 × chokidar';
    rows.push({ label: 'Hoist: peak RSS', measured: fmt.mib(first.peakRssBytes), target: rssTarget, met: plain ? first.peakRssBytes <= plain.peakRssBytes * 1.2 : undefined });
    rows.push({ label: 'Hoist: inotify watches', measured: first.inotifyWatches.toLocaleString('en'), target: `one per folder (${FOLDERS + 1})`, met: first.inotifyWatches <= FOLDERS + 1 });
    rows.push({ label: 'Hoist: idle CPU over 30 s (after first index)', measured: fmt.cpu(first.idleCpuSeconds), target: `≈ 0 (≤ ${IDLE_CPU_MAX_SECONDS.toFixed(2)} s)`, met: first.idleCpuSeconds <= IDLE_CPU_MAX_SECONDS });
    rows.push({ label: 'Hoist: new file closed → job queued', measured: fmt.secs(first.latencyMs), target: `≤ ${fmt.secs(QUIET_MS + 1_000)} (window + 1 s)`, met: first.latencyMs <= QUIET_MS + 1_000 });
  }
  if (restart) {
    const requeued = Number(restart.ready.jobsCreated);
    rows.push({ label: 'Hoist restart, 100,000 unchanged: index reconciled', measured: fmt.secs(restart.indexedMs), target: '< 15.00 s', met: restart.indexedMs < 15_000 });
    rows.push({ label: 'Hoist restart: live watch attached + catch-up scan', measured: fmt.secs(restart.readyMs), target: '< 15.00 s', met: restart.readyMs < 15_000 });
    rows.push({ label: 'Hoist restart: files re-queued', measured: String(requeued), target: '0', met: requeued === 0 });
    rows.push({ label: 'Hoist restart: peak RSS', measured: fmt.mib(restart.peakRssBytes) });
    rows.push({ label: 'Hoist restart: idle CPU over 30 s', measured: fmt.cpu(restart.idleCpuSeconds), target: `≈ 0 (≤ ${IDLE_CPU_MAX_SECONDS.toFixed(2)} s)`, met: restart.idleCpuSeconds <= IDLE_CPU_MAX_SECONDS });
    rows.push({ label: 'Hoist restart: new file closed → job queued', measured: fmt.secs(restart.latencyMs), target: `≤ ${fmt.secs(QUIET_MS + 1_000)}`, met: restart.latencyMs <= QUIET_MS + 1_000 });
  }
  if (fallback) {
    const isClear = fallback.status === 'polling' && /max_user_watches/.test(fallback.message) && /sudo sysctl/.test(fallback.message);
    rows.push({ label: 'ENOSPC (500 watches < 1,001 folders): status', measured: `${fallback.status}${isClear ? ' + sysctl hint' : ''}`, target: 'clear message + fallback', met: isClear });
    rows.push({ label: 'ENOSPC: new file found by 5 s rescans', measured: fmt.secs(fallback.newFileQueuedMs), target: '≤ rescan period + scan', met: fallback.newFileQueuedMs < 5_000 + fallback.readyMs + QUIET_MS });
  }
  return rows;
}

/** Runs the watch benchmark alone (own cleanup) or inside run.ts (its context); prints its table when alone. */
export async function runWatchBench(ctx?: BenchContext): Promise<BenchSection> {
  if (ctx) return runWatchSection(ctx);
  const cleanup = new Cleanup();
  cleanup.installProcessHandlers();
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  try {
    const section = await runWatchSection({
      cleanup,
      env: process.env,
      log,
      fixtures: { randomFile: () => Promise.reject(new Error('the watch bench needs no random files')) },
    });
    const out = ['', ...section.details, '', renderTable(watchBench.title, section.rows), ''];
    if (section.failures.length > 0) out.push('FAILURES:', ...section.failures.map((f) => `  ✗ ${f}`), '');
    out.push(`BENCH_JSON ${JSON.stringify({ node: process.version, failures: section.failures, watch: section.json })}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return section;
  } finally {
    cleanup.runAll();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runWatchBench().then(
    (section) => {
      process.exitCode = section.failures.length > 0 ? 1 : 0;
    },
    (error: unknown) => {
      process.stderr.write(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
