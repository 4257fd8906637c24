/**
 * The measured processes of the watch benchmark (watch-bench.ts starts them through measure.ts, so both sides are
 * measured from the outside the same way). Prints JSON lines on stdout:
 *   {"t":"ready","readyMs":…,"rssBytes":…,"inotifyWatches":…,…}   after the first full index / chokidar 'ready'
 *   {"t":"seen","path":…,"atMs":…}                                  when a file named bench-new-* is queued / added
 * and exits on SIGTERM.
 *
 *   node dist/test/bench/watch-bench-child.js chokidar <tree>
 *   node dist/test/bench/watch-bench-child.js hoist <tree> <db>
 */
import { watch as chokidarWatch } from 'chokidar';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { Store } from '../../main/store/store.js';
import { watchOptionsFrom } from '../../main/watch/watch-options.js';
import { WatchService } from '../../main/watch/watch-service.js';

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** inotify watches this process holds (Linux): the `inotify wd:` lines of its inotify descriptors. */
export function inotifyWatchCount(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') continue;
      count += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // the descriptor closed meanwhile
    }
  }
  return count;
}

/** Waits for SIGTERM; the interval keeps the process alive when nothing else does (a watch in fallback mode). */
const untilSignal = () =>
  new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => undefined, 60_000);
    const done = () => {
      clearInterval(keepAlive);
      resolve();
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });

async function runChokidar(tree: string): Promise<void> {
  const started = performance.now();
  let adds = 0;
  const watcher = chokidarWatch(tree);
  watcher.on('add', (path) => {
    adds++;
    if (basename(path).startsWith('bench-new-')) print({ t: 'seen', path, atMs: Date.now() });
  });
  watcher.on('error', (error) => print({ t: 'error', message: String((error as Error).message) }));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  print({ t: 'ready', readyMs: performance.now() - started, rssBytes: process.memoryUsage().rss, inotifyWatches: inotifyWatchCount(), adds });
  await untilSignal();
  await watcher.close();
}

async function runHoist(tree: string, dbPath: string): Promise<void> {
  const store = Store.open(dbPath);
  const watch =
    store.watches.list()[0] ??
    store.watches.add(
      {
        dir: tree,
        destinationId: store.destinations.add('bench', 'graph', { endpoint: 'http://127.0.0.1:9', token: { kind: 'env', name: 'T' } }, Date.now()).id,
        remoteDir: '/bench',
        ignorePatterns: [],
        symlinkPolicy: 'skip',
        includeHidden: false,
        mirrorDeletes: false,
      },
      Date.now(),
    );
  const jobsBefore = store.jobs.list().length;
  let warning: string | undefined;
  const service = new WatchService({
    store,
    options: watchOptionsFrom(process.env),
    nowMs: Date.now,
    events: (event) => {
      if (event.type === 'watch-warning') warning ??= event.message;
      if (event.type === 'files-queued') {
        const fresh = store.db
          .prepare(`SELECT rel_path FROM sync_index WHERE watch_id = ? AND rel_path >= 'bench-new-' AND rel_path < 'bench-new.' AND state IN ('queued', 'pending')`)
          .all(watch.id) as { rel_path: string }[];
        for (const row of fresh) {
          if (!seen.has(row.rel_path)) {
            seen.add(row.rel_path);
            print({ t: 'seen', path: row.rel_path, atMs: Date.now() });
          }
        }
      }
    },
    onJobsQueued: () => undefined,
  });
  const seen = new Set<string>();
  const started = performance.now();
  const starting = service.start();
  await service.indexed();
  const indexedMs = performance.now() - started;
  const indexedRssBytes = process.memoryUsage().rss;
  await starting;
  const readyMs = performance.now() - started;
  const counts = store.syncIndex.countsFor(watch.id);
  print({
    t: 'ready',
    indexedMs,
    indexedRssBytes,
    readyMs,
    rssBytes: process.memoryUsage().rss,
    inotifyWatches: inotifyWatchCount(),
    indexRows: Object.values(counts).reduce((a, b) => a + b, 0),
    counts,
    jobsCreated: store.jobs.list().length - jobsBefore,
    status: service.watcher(watch.id)?.currentStatus,
    warning,
  });
  await untilSignal();
  await service.stop();
  store.close();
}

const [mode, tree, db] = process.argv.slice(2);
if (mode === 'chokidar' && tree) await runChokidar(tree);
else if (mode === 'hoist' && tree && db) await runHoist(tree, db);
else {
  process.stderr.write('usage: watch-bench-child.js chokidar <tree> | hoist <tree> <db>\n');
  process.exitCode = 2;
}
