/**
 * What a benchmark module is and how its results are reported. A module (graph-bench.ts today; tus, S3, Box, Apideck
 * later) gets a BenchContext, runs its children through measure.ts and returns rows for the shared table plus raw
 * numbers for the BENCH_JSON line. A verification failure is recorded in `failures` (the run exits non-zero); a missed
 * target is only marked MISSED.
 */
import type { Cleanup } from './cleanup.js';
import type { TestFile } from './files.js';

export interface BenchContext {
  cleanup: Cleanup;
  env: NodeJS.ProcessEnv;
  /** Progress lines (stderr), so stdout carries only the results. */
  log(message: string): void;
  /** Shared test files, made once per run (e.g. the 1 GiB random file every module uploads). */
  fixtures: Fixtures;
}

export interface Fixtures {
  /** A file of `sizeBytes` random bytes named `name`, created on first use and shared afterwards. */
  randomFile(name: string, sizeBytes: number): Promise<TestFile>;
}

export interface ResultRow {
  label: string;
  measured: string;
  /** Printed beside the measurement; absent for informational rows. */
  target?: string;
  /** true = met, false = MISSED, undefined = no judgement (informational, or skipped). */
  met?: boolean;
}

export interface BenchSection {
  rows: ResultRow[];
  /** Free-form lines printed above the table (individual runs, CPU, notes). */
  details: string[];
  json: Record<string, unknown>;
  /** Runs or verifications that failed: any entry makes the process exit non-zero. */
  failures: string[];
}

export interface Bench {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchSection>;
}

export function emptySection(): BenchSection {
  return { rows: [], details: [], json: {}, failures: [] };
}

export function renderTable(title: string, rows: readonly ResultRow[]): string {
  const labelWidth = Math.max(46, ...rows.map((r) => r.label.length + 2));
  const measuredWidth = Math.max(20, ...rows.map((r) => r.measured.length + 2));
  const lines = [`${title.padEnd(labelWidth)}${'measured'.padEnd(measuredWidth)}target`];
  for (const row of rows) {
    const verdict = row.met === undefined ? '' : row.met ? '  ok' : '  MISSED';
    lines.push(`${row.label.padEnd(labelWidth)}${row.measured.padEnd(measuredWidth)}${row.target ?? ''}${row.target ? verdict : ''}`.trimEnd());
  }
  return lines.join('\n');
}

export const fmt = {
  mbps: (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} MB/s` : 'n/a'),
  mib: (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : 'n/a'),
  signedMib: (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1024 / 1024).toFixed(1)} MiB`,
  secs: (ms: number): string => `${(ms / 1000).toFixed(2)} s`,
  cpu: (s: number): string => (Number.isFinite(s) ? `${s.toFixed(2)} s` : 'n/a'),
};
