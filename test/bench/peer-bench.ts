/**
 * What the peer benchmarks (tus, S3, Box, Apideck) share: alternating timed runs of Hoist and a reference client against
 * one server process, each run verified (sha256 of the stored bytes), the load the rest of the machine put on the runs,
 * and the rows / JSON they report. Modelled on graph-bench.ts, whose numbers these sit beside in the same table.
 */
import { rm, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename } from 'node:path';
import type { JobView } from '../../preload/contract/views.js';
import { fmt, type BenchContext, type BenchSection, type ResultRow } from './bench.js';
import { GiB, sha256File, type TestFile } from './files.js';
import { hoistArgs, hoistEnv, parseUploadSummary, runHoist } from './hoist-cli.js';
import {
  flushPageCache,
  machineBusyCpuSeconds,
  mbPerSec,
  measureChild,
  median,
  ownCpuSeconds,
  requireSuccess,
  type ChildMeasurement,
} from './measure.js';

/** Above this average load from other processes during the timed runs, the output says the numbers are disturbed. */
export const OTHER_LOAD_WARN_CPUS = 0.25;
export const RUN_TIMEOUT_1G_MS = 10 * 60_000;

export interface PeerEnv {
  ctx: BenchContext;
  section: BenchSection;
  work: string;
  /** The server process every run of this module talks to. */
  server: { cpuSeconds(): number };
  dataDirs: number;
}

/** BENCH_RUNS: alternating runs per tool, default 5 (as the Graph bench), never fewer than 2. */
export function runCount(env: NodeJS.ProcessEnv): number {
  const n = Math.floor(Number(env.BENCH_RUNS ?? 5));
  return Number.isFinite(n) ? Math.max(2, n) : 5;
}

/** Runs one part of a bench; a failure is recorded (the bench exits non-zero) and the remaining parts still run. */
export async function step<T>(env: PeerEnv, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  env.ctx.log(`— ${name}`);
  try {
    return await fn();
  } catch (error) {
    const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
    env.section.failures.push(message);
    env.ctx.log(`FAILED ${message}`);
    return undefined;
  }
}

/** One timed command and how to check what it stored (throws, "VERIFICATION FAILED" for wrong bytes). */
export interface TimedCommand {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  verify(m: ChildMeasurement): Promise<void>;
}

export interface Tool {
  name: string;
  /** Untimed set-up for run `index` (a fresh Hoist data dir and destination, a fresh key); returns the command to time. */
  prepare(index: number, file: TestFile): Promise<TimedCommand>;
}

export interface Run {
  tool: string;
  index: number;
  m: ChildMeasurement;
  mbps: number;
  /** Client CPU seconds (user + system) per GiB uploaded. */
  cpuPerGiB: number;
  serverCpuSeconds: number;
  /** CPU the rest of the machine (kernel threads, other programs, hypervisor steal) used during the run. */
  otherCpuSeconds: number;
}

export interface ToolSummary {
  tool: string;
  runs: Run[];
  best: Run;
  medianMbps: number;
  /** Max over the tool's runs. */
  peakRssBytes: number;
  medianCpuPerGiB: number;
  minCpuPerGiB: number;
  medianServerCpuSeconds: number;
}

export interface Throughput {
  label: string;
  fileBytes: number;
  runs: Run[];
  tools: ToolSummary[];
  /** Average CPUs the rest of the machine kept busy during the timed runs. */
  otherLoadCpus: number;
}

/** `count` rounds of every tool in turn (peer, hoist, peer, hoist, …), page cache synced before each run. */
export async function alternatingRuns(env: PeerEnv, label: string, file: TestFile, tools: readonly Tool[], count: number, timeoutMs = RUN_TIMEOUT_1G_MS): Promise<Throughput> {
  const runs: Run[] = [];
  for (let i = 1; i <= count; i++) {
    for (const tool of tools) {
      const command = await tool.prepare(i, file);
      flushPageCache();
      const run = await timed(env, tool.name, i, file, () =>
        measureChild(command.cmd, command.args, { env: command.env, timeoutMs, cleanup: env.ctx.cleanup }),
      );
      await command.verify(run.m);
      runs.push(run);
    }
  }
  const summaries = tools.map((tool) => summarize(tool.name, runs.filter((r) => r.tool === tool.name)));
  const wallSeconds = runs.reduce((sum, r) => sum + r.m.wallMs, 0) / 1000;
  const otherLoadCpus = runs.reduce((sum, r) => sum + r.otherCpuSeconds, 0) / wallSeconds;
  env.section.details.push(`${label}, ${count} alternating runs each (${tools.map((t) => t.name).join(', ')}, …); page cache synced before each run:`);
  for (const r of runs) env.section.details.push(`  ${describeRun(r)}`);
  const warning = loadWarning(otherLoadCpus);
  if (warning) env.section.details.push(`  ${warning}`);
  return { label, fileBytes: file.sizeBytes, runs, tools: summaries, otherLoadCpus };
}

function summarize(tool: string, runs: Run[]): ToolSummary {
  return {
    tool,
    runs,
    best: runs.reduce((a, b) => (b.mbps > a.mbps ? b : a)),
    medianMbps: median(runs.map((r) => r.mbps)),
    peakRssBytes: Math.max(...runs.map((r) => r.m.peakRssBytes)),
    medianCpuPerGiB: median(runs.map((r) => r.cpuPerGiB)),
    minCpuPerGiB: Math.min(...runs.map((r) => r.cpuPerGiB)),
    medianServerCpuSeconds: median(runs.map((r) => r.serverCpuSeconds)),
  };
}

export function describeRun(r: Run): string {
  return (
    `${r.tool.padEnd(13)} #${r.index}  ${fmt.secs(r.m.wallMs).padStart(8)}  ${fmt.mbps(r.mbps).padStart(12)}  ` +
    `client cpu ${fmt.cpu(r.m.cpuSeconds)} (${r.cpuPerGiB.toFixed(2)} s/GiB)  peak RSS ${fmt.mib(r.m.peakRssBytes).padStart(9)}  ` +
    `server cpu ${fmt.cpu(r.serverCpuSeconds)}  other load ${(r.otherCpuSeconds / (r.m.wallMs / 1000)).toFixed(2)} CPUs`
  );
}

/** The Graph bench's warning, word for word, when the machine was busy with other work during the runs. */
export function loadWarning(otherLoadCpus: number): string | undefined {
  if (!(otherLoadCpus > OTHER_LOAD_WARN_CPUS)) return undefined;
  return (
    `WARNING: other processes kept ${otherLoadCpus.toFixed(2)} of ${cpus().length} CPUs busy on average during these runs: ` +
    'throughput numbers are disturbed (the tool needing more CPU and more round trips suffers most); re-run on a quiet machine.'
  );
}

/** Measures one command and what the server and the rest of the machine spent meanwhile. */
export async function timed(env: PeerEnv, tool: string, index: number, file: TestFile, fn: () => Promise<ChildMeasurement>): Promise<Run> {
  const before = { server: env.server.cpuSeconds(), machine: machineBusyCpuSeconds(), own: ownCpuSeconds() };
  const m = await fn();
  const serverCpuSeconds = env.server.cpuSeconds() - before.server;
  const machineCpuSeconds = machineBusyCpuSeconds() - before.machine;
  const otherCpuSeconds = Math.max(0, machineCpuSeconds - m.cpuSeconds - serverCpuSeconds - (ownCpuSeconds() - before.own));
  const run: Run = {
    tool,
    index,
    m,
    mbps: mbPerSec(file.sizeBytes, m.wallMs),
    cpuPerGiB: m.cpuSeconds / (file.sizeBytes / GiB),
    serverCpuSeconds,
    otherCpuSeconds,
  };
  env.ctx.log(
    `  ${tool} #${index}: ${fmt.secs(m.wallMs)}, ${fmt.mbps(run.mbps)}, peak RSS ${fmt.mib(m.peakRssBytes)}, cpu ${fmt.cpu(m.cpuSeconds)}, ` +
      `server cpu ${fmt.cpu(serverCpuSeconds)}, other processes ${(otherCpuSeconds / (m.wallMs / 1000)).toFixed(2)} CPUs`,
  );
  return run;
}

/** Table rows: each tool's best (and median) MB/s, the ratio hoist/peer with its target, peak RSS and CPU per GiB. */
export function comparisonRows(t: Throughput, opts: { prefix: string; hoist: string; peer: string; peerLabel: string; targetRatio: number }): ResultRow[] {
  const hoist = t.tools.find((s) => s.tool === opts.hoist);
  const peer = t.tools.find((s) => s.tool === opts.peer);
  if (!hoist || !peer) return [{ label: `${opts.prefix}: ${opts.peer} / ${opts.hoist}`, measured: 'FAILED' }];
  const n = hoist.runs.length;
  const ratio = hoist.best.mbps / peer.best.mbps;
  return [
    { label: `${opts.prefix}: ${opts.peerLabel} (best of ${peer.runs.length})`, measured: `${fmt.mbps(peer.best.mbps)} (median ${peer.medianMbps.toFixed(1)})` },
    { label: `${opts.prefix}: hoist upload (best of ${n})`, measured: `${fmt.mbps(hoist.best.mbps)} (median ${hoist.medianMbps.toFixed(1)})` },
    {
      label: `  ratio hoist/${opts.peer} (best/best)`,
      measured: `${ratioText(ratio)} (median ${ratioText(hoist.medianMbps / peer.medianMbps)})`,
      target: `≥ ${opts.targetRatio.toFixed(1)}`,
      met: ratio >= opts.targetRatio,
    },
    { label: `  peak RSS hoist / ${opts.peer} (max)`, measured: `${fmt.mib(hoist.peakRssBytes)} / ${fmt.mib(peer.peakRssBytes)}` },
    { label: `  client CPU per GiB hoist / ${opts.peer}`, measured: `${hoist.medianCpuPerGiB.toFixed(2)} s / ${peer.medianCpuPerGiB.toFixed(2)} s (medians)` },
  ];
}

/** Two decimals, rounded down: a ratio printed as the target value has met it (0.7996 prints 0.79, not 0.80 + MISSED). */
export function ratioText(ratio: number): string {
  return Number.isFinite(ratio) ? (Math.floor(ratio * 100) / 100).toFixed(2) : 'n/a';
}

/** Rows for a further reference tool measured in the same rounds (rclone next to lib-storage). */
export function extraPeerRows(t: Throughput, opts: { prefix: string; hoist: string; peer: string; peerLabel: string; targetRatio: number }): ResultRow[] {
  const hoist = t.tools.find((s) => s.tool === opts.hoist);
  const peer = t.tools.find((s) => s.tool === opts.peer);
  if (!hoist || !peer) return [{ label: `${opts.prefix}: ${opts.peer}`, measured: 'FAILED' }];
  const ratio = hoist.best.mbps / peer.best.mbps;
  return [
    { label: `${opts.prefix}: ${opts.peerLabel} (best of ${peer.runs.length})`, measured: `${fmt.mbps(peer.best.mbps)} (median ${peer.medianMbps.toFixed(1)})` },
    {
      label: `  ratio hoist/${opts.peer} (best/best)`,
      measured: `${ratioText(ratio)} (median ${ratioText(hoist.medianMbps / peer.medianMbps)})`,
      target: `≥ ${opts.targetRatio.toFixed(1)}`,
      met: ratio >= opts.targetRatio,
    },
    { label: `  peak RSS / CPU per GiB ${opts.peer}`, measured: `${fmt.mib(peer.peakRssBytes)} / ${peer.medianCpuPerGiB.toFixed(2)} s (median)` },
  ];
}

export function throughputJson(t: Throughput, pairs: Array<{ hoist: string; peer: string }>): Record<string, unknown> {
  const by = (tool: string): ToolSummary | undefined => t.tools.find((s) => s.tool === tool);
  return {
    summary: 'best',
    fileBytes: t.fileBytes,
    otherLoadCpus: t.otherLoadCpus,
    tools: Object.fromEntries(
      t.tools.map((s) => [
        s.tool,
        {
          bestMbps: s.best.mbps,
          medianMbps: s.medianMbps,
          peakRssBytes: s.peakRssBytes,
          medianCpuSecondsPerGiB: s.medianCpuPerGiB,
          minCpuSecondsPerGiB: s.minCpuPerGiB,
          medianServerCpuSeconds: s.medianServerCpuSeconds,
        },
      ]),
    ),
    ratios: Object.fromEntries(
      pairs.flatMap(({ hoist, peer }) => {
        const h = by(hoist);
        const p = by(peer);
        return h && p ? [[`${hoist}/${peer}`, { best: h.best.mbps / p.best.mbps, median: h.medianMbps / p.medianMbps }]] : [];
      }),
    ),
    runs: t.runs.map((r) => ({
      tool: r.tool,
      index: r.index,
      wallMs: Math.round(r.m.wallMs),
      mbps: r.mbps,
      cpuSeconds: r.m.cpuSeconds,
      cpuSecondsPerGiB: r.cpuPerGiB,
      peakRssBytes: r.m.peakRssBytes,
      serverCpuSeconds: r.serverCpuSeconds,
      otherCpuSeconds: r.otherCpuSeconds,
    })),
  };
}

// ---- Hoist as a measured child -------------------------------------------------------------------------------------

/** A fresh Hoist data dir with destination `name` added (`hoist dest add name <destArgs>`), not timed. */
export async function freshHoistDestination(env: PeerEnv, label: string, name: string, destArgs: readonly string[]): Promise<string> {
  const dataDir = `${env.work}/hoist-${label}-${++env.dataDirs}`;
  const m = await runHoist(dataDir, ['dest', 'add', name, ...destArgs], { timeoutMs: 60_000, cleanup: env.ctx.cleanup });
  requireSuccess(`hoist dest add ${name}`, m);
  return dataDir;
}

export function hoistUploadArgs(file: TestFile, dest: string, remoteDir?: string): string[] {
  return ['upload', file.path, '--dest', dest, ...(remoteDir ? ['--remote-dir', remoteDir] : []), '--json'];
}

/** The timed `hoist upload` command (node + the built CLI, the user's environment minus Hoist overrides). */
export function hoistUploadCommand(dataDir: string, args: readonly string[], verify: (m: ChildMeasurement) => Promise<void>): TimedCommand {
  return { cmd: process.execPath, args: hoistArgs(dataDir, args), env: hoistEnv(), verify };
}

/** Checks the CLI run and its JSON summary (one job, done); returns the job. */
export function checkHoistRun(what: string, m: ChildMeasurement): JobView {
  requireSuccess(what, m);
  const summary = parseUploadSummary(m.stdout);
  const job = summary.jobs[0];
  if (!summary.ok || !job || job.state !== 'done') throw new Error(`${what}: summary is not ok: ${m.stdout.slice(-500)}`);
  return job;
}

/** Size + sha256 of the stored copy (read back from the server's disk) against the local file. */
export async function verifyStoredFile(what: string, storedPath: string, file: TestFile): Promise<void> {
  const size = await stat(storedPath).then(
    (s) => s.size,
    (error: NodeJS.ErrnoException) => {
      throw new Error(`${what}: VERIFICATION FAILED: the server has no file at ${storedPath} (${error.code ?? error.message})`);
    },
  );
  if (size !== file.sizeBytes) throw new Error(`${what}: VERIFICATION FAILED: ${storedPath} has ${size} bytes, the local file ${file.sizeBytes}`);
  const sha256 = await sha256File(storedPath);
  if (sha256 !== file.sha256) {
    throw new Error(`${what}: VERIFICATION FAILED for ${storedPath}: stored sha256 ${sha256}, local ${file.sha256} (${file.sizeBytes} bytes)`);
  }
}

// ---- curl -T into a raw sink, and files stored by an emulator -----------------------------------------------------

/**
 * `curl -T FILE <sinkUrl>/<name>`: one PUT of the whole file into the server process's raw sink, which costs the
 * server what the provider's own upload path costs it (see peer-server.ts). The sink's copy is verified and removed.
 */
export function curlSinkTool(env: PeerEnv, opts: { sinkUrl: string; storedPath: (name: string) => string; prefix?: string }): Tool {
  return {
    name: 'curl',
    prepare: async (index, file) => {
      const name = `${opts.prefix ?? 'curl'}-${index}.bin`;
      return {
        cmd: 'curl',
        args: ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-T', file.path, `${opts.sinkUrl}/${name}`],
        verify: async (m) => {
          requireSuccess(`curl -T run ${index}`, m);
          if (m.stdout.trim() !== '201') throw new Error(`curl -T run ${index}: the sink answered HTTP ${m.stdout.trim()}, expected 201`);
          const path = opts.storedPath(name);
          await verifyStoredFile(`curl -T run ${index}`, path, file);
          await rm(path, { force: true });
        },
      };
    },
  };
}

export interface EmulatorFile {
  id: string;
  name: string;
  storagePath: string;
}

/** Ids the emulator holds now; after a run, the one new file must be the upload (verified from disk, then removed). */
export async function verifyNewEmulatorFile(what: string, files: () => Promise<EmulatorFile[]>, before: ReadonlySet<string>, file: TestFile): Promise<void> {
  const added = (await files()).filter((f) => !before.has(f.id));
  if (added.length !== 1) throw new Error(`${what}: VERIFICATION FAILED: expected 1 new file on the server, found ${added.length}`);
  const stored = added[0]!;
  if (stored.name !== basename(file.path)) throw new Error(`${what}: VERIFICATION FAILED: the server stored "${stored.name}", expected "${basename(file.path)}"`);
  await verifyStoredFile(what, stored.storagePath, file);
  await rm(stored.storagePath, { force: true });
}

// ---- Protocols that hash every part (Box, Apideck's Box connector) -------------------------------------------------

/** The client CPU the issue-12 targets compare with: a bare SHA-1 pass over the file (Node's crypto, Hoist's own). */
const SHA1_PASS_SCRIPT =
  "const fs=require('fs');const h=require('crypto').createHash('sha1');const fd=fs.openSync(process.argv[1],'r');" +
  'const b=Buffer.allocUnsafe(1<<20);for(let n,p=0;(n=fs.readSync(fd,b,0,b.length,p))>0;p+=n)h.update(b.subarray(0,n));' +
  'process.stdout.write(h.digest("hex"))';
export const TARGET_CPU_PER_SHA1_PASS = 2.5;
export const TARGET_HASHING_PEAK_RSS_BYTES = 120 * 1024 * 1024;
/** The engine's default memory for part buffers (DEFAULT_PART_BUFFER_BUDGET_BYTES); big parts stay within it + 60 MiB. */
export const PART_BUFFER_BUDGET_BYTES = 64 * 1024 * 1024;
export const BIG_PART_BYTES = 64 * 1024 * 1024;

/**
 * A bare SHA-1 pass over the file as one more tool of the alternating rounds (one Node process reading it in 1 MiB
 * reads, cache warm): measured beside each hoist run, under the same load from the rest of the machine.
 */
export function sha1PassTool(): Tool {
  return {
    name: 'sha1-pass',
    prepare: async (index, file) => ({
      cmd: process.execPath,
      args: ['-e', SHA1_PASS_SCRIPT, file.path],
      verify: async (m) => {
        requireSuccess(`SHA-1 pass ${index}`, m);
        if (!/^[0-9a-f]{40}$/.test(m.stdout)) throw new Error(`SHA-1 pass ${index} printed ${m.stdout.slice(0, 80)}`);
      },
    }),
  };
}

/** Runs `tool` once on `file`, verified; what it measured. */
export async function singleRun(env: PeerEnv, label: string, tool: Tool, file: TestFile): Promise<Run> {
  const command = await tool.prepare(1, file);
  flushPageCache();
  const run = await timed(env, tool.name, 1, file, () => measureChild(command.cmd, command.args, { env: command.env, timeoutMs: RUN_TIMEOUT_1G_MS, cleanup: env.ctx.cleanup }));
  await command.verify(run.m);
  env.section.details.push(`${label}:`, `  ${describeRun(run)}`);
  return run;
}

/** Rows for the issue-12 targets of a hashing protocol: CPU against a bare SHA-1 pass, peak RSS, and with big parts. */
export function hashingRows(prefix: string, t: Throughput | undefined, big: Run | undefined): ResultRow[] {
  const hoist = t?.tools.find((s) => s.tool === 'hoist');
  const rows: ResultRow[] = [];
  const pass = t?.tools.find((s) => s.tool === 'sha1-pass');
  if (hoist && pass) {
    // Each hoist run against the SHA-1 pass of its own round (run right after it, under the same load).
    const ratio = median(hoist.runs.map((h) => h.m.cpuSeconds / (pass.runs.find((p) => p.index === h.index)?.m.cpuSeconds ?? Number.NaN)));
    rows.push({
      label: '  client CPU hoist / a bare SHA-1 pass, paired (median)',
      measured: `${ratio.toFixed(2)} (${hoist.medianCpuPerGiB.toFixed(2)} s / ${pass.medianCpuPerGiB.toFixed(2)} s per GiB)`,
      target: `≤ ${TARGET_CPU_PER_SHA1_PASS}`,
      met: ratio <= TARGET_CPU_PER_SHA1_PASS,
    });
  } else rows.push({ label: '  client CPU hoist / a bare SHA-1 pass', measured: 'FAILED' });
  if (hoist) {
    rows.push({
      label: '  hoist peak RSS, 8 MiB parts, 4 in flight (max)',
      measured: fmt.mib(hoist.peakRssBytes),
      target: `≤ ${fmt.mib(TARGET_HASHING_PEAK_RSS_BYTES)}`,
      met: hoist.peakRssBytes <= TARGET_HASHING_PEAK_RSS_BYTES,
    });
  }
  const bigTarget = PART_BUFFER_BUDGET_BYTES + 60 * 1024 * 1024;
  rows.push(
    big
      ? {
          label: `${prefix}, ${BIG_PART_BYTES / 1024 / 1024} MiB parts: hoist peak RSS`,
          measured: `${fmt.mib(big.m.peakRssBytes)} (${fmt.mbps(big.mbps)}, cpu ${big.cpuPerGiB.toFixed(2)} s/GiB)`,
          target: `≤ budget + 60 MiB = ${fmt.mib(bigTarget)}`,
          met: big.m.peakRssBytes <= bigTarget,
        }
      : { label: `${prefix}, ${BIG_PART_BYTES / 1024 / 1024} MiB parts: hoist peak RSS`, measured: 'FAILED' },
  );
  return rows;
}
