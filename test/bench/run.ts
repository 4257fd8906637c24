/**
 * `npm run bench`: runs every benchmark module, prints progress on stderr and, on stdout, the details, one results table
 * and a final `BENCH_JSON {...}` line. Exits non-zero only when a run or a verification failed (a missed target is
 * printed as MISSED). Leaves nothing behind: temp dirs and child processes are removed on exit, error and Ctrl-C.
 *
 * Environment: BENCH_RUNS (alternating runs per tool, default 3, at least 2), BENCH_SKIP_4G=1 (skip the 4 GiB run),
 * BENCH_ONLY=graph,tus (run only those modules; ids: graph, tus, s3, box, apideck, watch, ui, flaky).
 */
import { join } from 'node:path';
import { renderTable, type Bench, type BenchContext, type BenchSection, type Fixtures } from './bench.js';
import { Cleanup } from './cleanup.js';
import { writeRandomFile, type TestFile } from './files.js';
import { graphBench } from './graph-bench.js';
import { tusBench } from './tus-bench.js';
import { s3Bench } from './s3-bench.js';
import { boxBench } from './box-bench.js';
import { apideckBench } from './apideck-bench.js';
import { watchBench } from './watch-bench.js';
import { uiBench } from './ui-bench.js';
import { flakyBench } from './flaky-bench.js';

/** Later modules (tus vs tus-js-client, S3 vs @aws-sdk/lib-storage, Box/Apideck vs curl) are appended here. */
const BENCHES: Bench[] = [graphBench, tusBench, s3Bench, boxBench, apideckBench, watchBench, uiBench, flakyBench];

function makeFixtures(cleanup: Cleanup, log: (m: string) => void): Fixtures {
  let dir: string | undefined;
  const made = new Map<string, Promise<TestFile>>();
  return {
    randomFile(name, sizeBytes) {
      let file = made.get(name);
      if (!file) {
        dir ??= cleanup.tempDir('files');
        log(`writing ${name} (${sizeBytes} random bytes)`);
        file = writeRandomFile(join(dir, name), sizeBytes);
        made.set(name, file);
      }
      return file;
    },
  };
}

async function main(): Promise<number> {
  if (process.platform !== 'linux') throw new Error('the bench reads /proc for memory and CPU: Linux only');
  const cleanup = new Cleanup();
  cleanup.installProcessHandlers();
  const log = (message: string): void => {
    process.stderr.write(`[bench] ${message}\n`);
  };
  const ctx: BenchContext = { cleanup, env: process.env, log, fixtures: makeFixtures(cleanup, log) };
  const sections: Array<{ bench: Bench; section: BenchSection }> = [];
  try {
    const only = process.env.BENCH_ONLY?.split(',').map((id) => id.trim()).filter(Boolean);
    for (const bench of BENCHES) {
      if (only && only.length > 0 && !only.includes(bench.id)) continue;
      log(`${bench.id}: ${bench.title}`);
      let section: BenchSection;
      try {
        section = await bench.run(ctx);
      } catch (error) {
        section = { rows: [], details: [], json: {}, failures: [`${bench.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`] };
      }
      sections.push({ bench, section });
    }
  } finally {
    cleanup.runAll();
  }

  const out: string[] = [''];
  for (const { section } of sections) out.push(...section.details, '');
  const rows = sections.flatMap(({ section }) => section.rows);
  out.push(renderTable(BENCHES[0]?.title ?? 'Hoist benchmark', rows), '');
  const failures = sections.flatMap(({ section }) => section.failures);
  if (failures.length > 0) {
    out.push('FAILURES:', ...failures.map((f) => `  ✗ ${f}`), '');
  }
  const json = {
    node: process.version,
    failures,
    ...Object.fromEntries(sections.map(({ bench, section }) => [bench.id, section.json])),
  };
  out.push(`BENCH_JSON ${JSON.stringify(json)}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
