/**
 * tus benchmark: Hoist against tus-js-client 4 (Node build, its defaults), both uploading to the same server: Hoist's
 * receiver (`startReceiver`, real @tus/server + FileStore) in its own process. Every client runs as its own measured
 * process.
 *
 *   1. throughput: tus-js-client and hoist alternately on the same 1 GiB file, straight to the receiver; best of N
 *      (median too); ratio of the bests; peak RSS and client CPU seconds per GiB of both
 *   2. resume after SIGKILL: each client is killed once the receiver's staging file holds 50 % + 16 MiB (no cap: a kill
 *      in the middle of a request, also for Hoist, whose 64 MiB PATCHes start at 512 MiB), then run again to the end.
 *      Method: both go through a counting proxy (same process as the receiver, node:http pipe) that adds up the PATCH
 *      body bytes reaching it per upload; when a client dies mid-body the proxy hands on what it already has before
 *      cutting the receiver's connection, so the receiver gets every byte counted. Re-sent = PATCH body bytes of all
 *      uploads the client created − file size. The receiver's staging file size after the kill is the cross-check.
 *
 * Every upload is verified: sha256 of the delivered file in the receive folder equals the local file's.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { emptySection, fmt, type Bench, type BenchContext, type BenchSection, type ResultRow } from './bench.js';
import { freeBytes, GiB, MiB, type TestFile } from './files.js';
import { hoistArgs, hoistEnv } from './hoist-cli.js';
import { pollUntil, requireSuccess, startMeasuredChild, type ChildMeasurement, type MeasuredChild } from './measure.js';
import {
  alternatingRuns,
  checkHoistRun,
  comparisonRows,
  freshHoistDestination,
  hoistUploadArgs,
  hoistUploadCommand,
  runCount,
  step,
  throughputJson,
  verifyStoredFile,
  RUN_TIMEOUT_1G_MS,
  type PeerEnv,
  type Throughput,
  type Tool,
} from './peer-bench.js';
import { startPeerServer, type PeerServerProcess, type TusServerInfo } from './peer-server-process.js';

const TUS_PEER = resolve(import.meta.dirname, 'tus-peer.js');
const DEST = 't';
const TARGET_RATIO = 1.0;
const TARGET_RESENT_BYTES = MiB;
/** Kill point: past half the file by this much, so Hoist (64 MiB PATCHes, one starting at 512 MiB) is mid-request. */
const KILL_PAST_HALF_BYTES = 16 * MiB;
const HOIST = 'hoist';
const PEER = 'tus-js-client';

export const tusBench: Bench = {
  id: 'tus',
  title: 'tus: Hoist vs tus-js-client → same @tus/server',
  run: runTusBench,
};

interface TusEnv extends PeerEnv {
  tus: PeerServerProcess<TusServerInfo>;
}

async function runTusBench(ctx: BenchContext): Promise<BenchSection> {
  const section = emptySection();
  const work = ctx.cleanup.tempDir('tus');
  const needed = 4 * GiB; // stored copies are removed once verified: one at a time, plus a half upload, plus slack
  const free = await freeBytes(work);
  if (free < needed) {
    section.failures.push(`tus: only ${fmt.mib(free)} free under ${work}, ${fmt.mib(needed)} needed`);
    return section;
  }
  const file = await ctx.fixtures.randomFile('bench-1g.bin', GiB);
  const tus = await startPeerServer<TusServerInfo>('tus', join(work, 'server'), { cleanup: ctx.cleanup });
  ctx.log(`tus receiver: pid ${tus.pid} at ${tus.info.receiverUrl} (counting proxy ${tus.info.proxyUrl})`);
  section.details.push(
    `tus: server = Hoist's receiver (@tus/server + FileStore) in its own process; tus-js-client 4 sends the whole file in one PATCH ` +
      '(its default chunkSize), hoist in 64 MiB PATCHes (its default); each client in its own process.',
  );
  const env: TusEnv = { ctx, section, work, server: tus, dataDirs: 0, tus };
  try {
    await step(env, 'tus warm-up', () => warmUp(env));
    const throughput = await step(env, 'tus throughput', () =>
      alternatingRuns(env, 'tus 1 GiB', file, [peerTool(env, tus.info.receiverUrl), hoistTool(env, tus.info.receiverUrl)], runCount(ctx.env)),
    );
    const peerKill = await step(env, 'tus-js-client kill at 50 %', () => killAndResume(env, file, PEER));
    const hoistKill = await step(env, 'hoist kill at 50 %', () => killAndResume(env, file, HOIST));
    section.rows.push(...rowsFor(throughput, hoistKill, peerKill));
    section.json = {
      fileBytes: file.sizeBytes,
      throughput: throughput && throughputJson(throughput, [{ hoist: HOIST, peer: PEER }]),
      kill: { hoist: hoistKill ?? null, tusJsClient: peerKill ?? null, method: 'PATCH body bytes counted by a proxy in front of the receiver, minus the file size' },
    };
  } finally {
    await tus.close();
  }
  return section;
}

function peerCommand(endpoint: string, file: TestFile, filename: string, extra: string[] = []): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [TUS_PEER, endpoint, file.path, filename, ...extra] };
}

function peerTool(env: TusEnv, endpoint: string, prefix = 'tusjs'): Tool {
  return {
    name: PEER,
    prepare: async (index, file) => {
      const filename = `${prefix}-${index}.bin`;
      return {
        ...peerCommand(endpoint, file, filename),
        verify: async (m) => {
          requireSuccess(`tus-js-client run ${index}`, m);
          await verifyDelivered(env, `tus-js-client run ${index}`, filename, file);
        },
      };
    },
  };
}

function hoistTool(env: TusEnv, endpoint: string, prefix = 'hoist'): Tool {
  return {
    name: HOIST,
    prepare: async (index, file) => {
      const dataDir = await freshHoistDestination(env, `${prefix}${index}`, DEST, ['--provider', 'tus', '--endpoint', endpoint]);
      const remoteDir = `${prefix}-${index}`;
      return hoistUploadCommand(dataDir, hoistUploadArgs(file, DEST, `/${remoteDir}`), async (m) => {
        checkHoistRun(`hoist run ${index}`, m);
        await verifyDelivered(env, `hoist run ${index}`, `${remoteDir}/${basename(file.path)}`, file);
      });
    },
  };
}

/** The delivered file is checked and then removed (disk stays flat; a later upload of the same name gets no suffix). */
async function verifyDelivered(env: TusEnv, what: string, relativePath: string, file: TestFile): Promise<void> {
  const path = join(env.tus.info.receiveDir, relativePath);
  await verifyStoredFile(what, path, file);
  await rm(path, { force: true });
}

async function warmUp(env: TusEnv): Promise<void> {
  const file = await env.ctx.fixtures.randomFile('warmup-32m.bin', 32 * MiB);
  for (const tool of [peerTool(env, env.tus.info.receiverUrl, 'warmup-tusjs'), hoistTool(env, env.tus.info.receiverUrl, 'warmup-hoist')]) {
    const command = await tool.prepare(1, file);
    const m = await startMeasuredChild(command.cmd, command.args, { env: command.env, timeoutMs: 120_000, cleanup: env.ctx.cleanup }).result;
    await command.verify(m);
  }
}

interface KillResult {
  tool: string;
  killAtBytes: number;
  /** Bytes in the receiver's staging file once the kill had settled. */
  heldAtKillBytes: number;
  heldAtKillPct: number;
  /** PATCH body bytes the proxy had counted when the client was killed. */
  countedAtKillBytes: number;
  /** countedAtKill − heldAtKill: bytes that reached the proxy but not the receiver's file (the receiver dropped them). */
  droppedAtKillBytes: number;
  uploads: number;
  patches: number;
  patchBytesTotal: number;
  resentBytes: number;
  resumeWallMs: number;
  resumePeakRssBytes: number;
  resumeCpuSeconds: number;
  /** Hoist's own count of bytes sent for the job (both runs), when the tool is hoist. */
  hoistBytesSentTotal?: number;
}

interface PatchCount {
  patchBytes: number;
  patches: number;
  cutShort: number;
}

async function killAndResume(env: TusEnv, file: TestFile, tool: typeof HOIST | typeof PEER): Promise<KillResult> {
  const { tus } = env;
  const endpoint = tus.info.proxyUrl;
  const stagingBefore = new Set(await readdir(tus.info.stagingDir));
  const countsBefore = new Set(Object.keys(await tus.control<Record<string, PatchCount>>('GET', '/patches')));
  const killAt = file.sizeBytes / 2 + KILL_PAST_HALF_BYTES;

  let start: () => MeasuredChild;
  let resume: () => Promise<ChildMeasurement>;
  let verify: (m: ChildMeasurement) => Promise<number | undefined>;
  if (tool === PEER) {
    const filename = 'tusjs-kill.bin';
    const urlFile = join(env.work, 'tusjs-kill.url');
    start = () => {
      const c = peerCommand(endpoint, file, filename, ['--url-file', urlFile]);
      return startMeasuredChild(c.cmd, c.args, { timeoutMs: 5 * 60_000, cleanup: env.ctx.cleanup });
    };
    resume = async () => {
      const url = (await readFile(urlFile, 'utf8')).trim();
      const c = peerCommand(endpoint, file, filename, ['--resume-url', url]);
      return startMeasuredChild(c.cmd, c.args, { timeoutMs: RUN_TIMEOUT_1G_MS, cleanup: env.ctx.cleanup }).result;
    };
    verify = async (m) => {
      requireSuccess('tus-js-client re-run after SIGKILL', m);
      await verifyDelivered(env, 'tus-js-client re-run after SIGKILL', filename, file);
      return undefined;
    };
  } else {
    const dataDir = await freshHoistDestination(env, 'kill', DEST, ['--provider', 'tus', '--endpoint', endpoint]);
    const args = hoistArgs(dataDir, hoistUploadArgs(file, DEST, '/hoist-kill'));
    start = () => startMeasuredChild(process.execPath, args, { env: hoistEnv(), timeoutMs: 5 * 60_000, cleanup: env.ctx.cleanup });
    resume = () => startMeasuredChild(process.execPath, args, { env: hoistEnv(), timeoutMs: RUN_TIMEOUT_1G_MS, cleanup: env.ctx.cleanup }).result;
    verify = async (m) => {
      const job = checkHoistRun('hoist re-run after SIGKILL', m);
      await verifyDelivered(env, 'hoist re-run after SIGKILL', `hoist-kill/${basename(file.path)}`, file);
      return job.bytesSentTotal;
    };
  }

  const newDataFile = async (): Promise<{ name: string; size: number } | undefined> => {
    for (const name of await readdir(tus.info.stagingDir)) {
      if (name.endsWith('.json') || stagingBefore.has(name)) continue;
      const size = await stat(join(tus.info.stagingDir, name)).then((s) => s.size, () => undefined);
      if (size !== undefined) return { name, size };
    }
    return undefined;
  };

  const child = start();
  let uploadId: string;
  try {
    uploadId = await pollUntil(
      async () => {
        if (child.child.exitCode !== null) throw new Error(`${tool} exited (code ${child.child.exitCode}) before reaching 50 %`);
        const found = await newDataFile();
        return found && found.size >= killAt ? found.name : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 5, what: `the receiver to hold ${fmt.mib(killAt)} of the ${tool} upload` },
    );
  } finally {
    child.kill('SIGKILL');
  }
  const killed = await child.result;
  if (killed.signal !== 'SIGKILL') throw new Error(`${tool} was not killed mid-upload (exit ${killed.code}): ${killed.stdout.slice(-300)} ${killed.stderr.slice(-300)}`);
  const held = await settledSize(join(tus.info.stagingDir, uploadId));
  const atKill = (await tus.control<Record<string, PatchCount>>('GET', '/patches'))[uploadId];
  const countedAtKill = atKill?.patchBytes ?? 0;
  env.ctx.log(`  ${tool}: after SIGKILL the receiver holds ${held} bytes (${((held / file.sizeBytes) * 100).toFixed(1)} %); the proxy counted ${countedAtKill}`);

  const resumed = await resume();
  const hoistBytesSentTotal = await verify(resumed);
  const counts = await tus.control<Record<string, PatchCount>>('GET', '/patches');
  const mine = Object.entries(counts).filter(([id]) => !countsBefore.has(id));
  const patchBytesTotal = mine.reduce((sum, [, c]) => sum + c.patchBytes, 0);
  const result: KillResult = {
    tool,
    killAtBytes: killAt,
    heldAtKillBytes: held,
    heldAtKillPct: (held / file.sizeBytes) * 100,
    countedAtKillBytes: countedAtKill,
    droppedAtKillBytes: countedAtKill - held,
    uploads: mine.length,
    patches: mine.reduce((sum, [, c]) => sum + c.patches, 0),
    patchBytesTotal,
    resentBytes: patchBytesTotal - file.sizeBytes,
    resumeWallMs: resumed.wallMs,
    resumePeakRssBytes: resumed.peakRssBytes,
    resumeCpuSeconds: resumed.cpuSeconds,
    ...(hoistBytesSentTotal !== undefined ? { hoistBytesSentTotal } : {}),
  };
  env.section.details.push(
    `tus kill at 50 % (${tool}): killed once the receiver held ≥ ${fmt.mib(killAt)}; after the kill it held ${held} bytes ` +
      `(${result.heldAtKillPct.toFixed(1)} %) of the ${countedAtKill} PATCH bytes the proxy had passed on (${result.droppedAtKillBytes} never reached its file: on an aborted PATCH @tus/server unpipes the request and discards what its stream buffers held); ` +
      `the re-run took ${(resumed.wallMs / 1000).toFixed(2)} s (peak RSS ${fmt.mib(resumed.peakRssBytes)}); ${result.uploads} upload(s), ${result.patches} PATCHes, ` +
      `${patchBytesTotal} PATCH bytes for a ${file.sizeBytes}-byte file → re-sent ${result.resentBytes} bytes` +
      (hoistBytesSentTotal !== undefined ? `; hoist counts ${hoistBytesSentTotal} bytes sent` : ''),
  );
  return result;
}

/** The staging file's size once it stopped changing (the receiver wrote what it had received), at most 10 s. */
async function settledSize(path: string): Promise<number> {
  let last = -1;
  let stableSince = performance.now();
  return pollUntil(
    async () => {
      const size = await stat(path).then((s) => s.size, () => -1);
      if (size !== last) {
        last = size;
        stableSince = performance.now();
        return undefined;
      }
      return performance.now() - stableSince >= 300 ? size : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 20, what: `${path} to stop growing after the kill` },
  );
}

function kib(bytes: number): string {
  return `${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`;
}

function rowsFor(t: Throughput | undefined, hoistKill: KillResult | undefined, peerKill: KillResult | undefined): ResultRow[] {
  const rows: ResultRow[] = [];
  if (t) rows.push(...comparisonRows(t, { prefix: 'tus 1 GiB', hoist: HOIST, peer: PEER, peerLabel: 'tus-js-client, 1 PATCH', targetRatio: TARGET_RATIO }));
  else rows.push({ label: 'tus 1 GiB: tus-js-client / hoist throughput', measured: 'FAILED' });
  if (hoistKill) {
    rows.push({
      label: `  hoist re-sent after SIGKILL at ${hoistKill.heldAtKillPct.toFixed(0)} %`,
      measured: kib(hoistKill.resentBytes),
      target: `≤ ${TARGET_RESENT_BYTES / MiB} MiB`,
      met: hoistKill.resentBytes <= TARGET_RESENT_BYTES,
    });
  } else {
    rows.push({ label: '  hoist re-sent after SIGKILL at 50 %', measured: 'FAILED' });
  }
  if (peerKill) rows.push({ label: `  tus-js-client re-sent after SIGKILL at ${peerKill.heldAtKillPct.toFixed(0)} %`, measured: kib(peerKill.resentBytes) });
  else rows.push({ label: '  tus-js-client re-sent after SIGKILL at 50 %', measured: 'FAILED' });
  return rows;
}
