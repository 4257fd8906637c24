/**
 * Apideck benchmark: Hoist against the Apideck emulator with the Box connector (SHA-1 digest on every part and on finish,
 * parallel parts allowed, 8 MiB parts) in its own process, next to `curl -T` into a raw sink in the same process that
 * costs the server what the emulator's upload path costs it per byte: staged to disk with SHA-1, copied into the
 * session's data file, and hashed (SHA-1 + SHA-256) at finish.
 *
 *   throughput: curl and hoist alternately on the same 1 GiB file; best of N (median too); ratio of the bests (≥ 0.9);
 *   peak RSS and client CPU seconds per GiB of both; hoist's CPU against a bare SHA-1 pass over the file (≤ 2.5x) and
 *   its peak RSS (≤ 120 MiB); one more hoist run against a second server asking for 64 MiB parts (peak RSS ≤ the
 *   64 MiB part-buffer budget + 60 MiB)
 *
 * Every upload is verified: sha256 of the stored file (read back from the emulator's disk) equals the local file's.
 */
import { join } from 'node:path';
import { emptySection, fmt, type Bench, type BenchContext, type BenchSection, type ResultRow } from './bench.js';
import { freeBytes, GiB, MiB, type TestFile } from './files.js';
import { measureChild } from './measure.js';
import {
  alternatingRuns,
  checkHoistRun,
  comparisonRows,
  curlSinkTool,
  freshHoistDestination,
  hoistUploadArgs,
  hoistUploadCommand,
  BIG_PART_BYTES,
  hashingRows,
  runCount,
  sha1PassTool,
  singleRun,
  step,
  throughputJson,
  verifyNewEmulatorFile,
  type EmulatorFile,
  type PeerEnv,
  type Throughput,
  type Tool,
} from './peer-bench.js';
import { startPeerServer, type ApideckServerInfo, type PeerServerProcess } from './peer-server-process.js';

const DEST = 'a';
const TARGET_RATIO = 0.9;
/** The emulator's defaults. */
const API_KEY = 'apideck-test-key';
const APP_ID = 'test-app';
const CONSUMER_ID = 'test-consumer';

export const apideckBench: Bench = {
  id: 'apideck',
  title: 'Apideck (Box connector): Hoist vs curl -T → Apideck emulator',
  run: runApideckBench,
};

interface ApideckEnv extends PeerEnv {
  apideck: PeerServerProcess<ApideckServerInfo>;
}

async function runApideckBench(ctx: BenchContext): Promise<BenchSection> {
  const section = emptySection();
  const work = ctx.cleanup.tempDir('apideck');
  const needed = 4 * GiB; // data file + staged parts of one upload at a time (copies are removed once verified), slack
  const free = await freeBytes(work);
  if (free < needed) {
    section.failures.push(`apideck: only ${fmt.mib(free)} free under ${work}, ${fmt.mib(needed)} needed`);
    return section;
  }
  const file = await ctx.fixtures.randomFile('bench-1g.bin', GiB);
  const apideck = await startPeerServer<ApideckServerInfo>('apideck', join(work, 'server'), { cleanup: ctx.cleanup });
  ctx.log(`Apideck emulator: pid ${apideck.pid} at ${apideck.info.url} (sink ${apideck.info.sinkUrl})`);
  section.details.push(
    'Apideck: server = ApideckEmulator, Box connector (8 MiB parts, parallel parts, SHA-1 digests), in its own process; curl -T puts ' +
      'the file into a sink in that process which stages with SHA-1, copies into a data file and hashes it like the emulator; ' +
      'hoist sends 4 parts at a time, each with its SHA-1 digest, and the whole-file SHA-1 with finish.',
  );
  const env: ApideckEnv = { ctx, section, work, server: apideck, dataDirs: 0, apideck };
  const tools = [curlTool(env), hoistTool(env), sha1PassTool()];
  try {
    await step(env, 'Apideck warm-up', () => warmUp(env, tools));
    const throughput = await step(env, 'Apideck throughput', () => alternatingRuns(env, 'Apideck 1 GiB', file, tools, runCount(ctx.env)));
    const big = await step(env, 'Apideck 64 MiB parts', () => bigParts(env, file));
    section.rows.push(...rowsFor(throughput), ...hashingRows('Apideck 1 GiB', throughput, big));
    section.json = {
      fileBytes: file.sizeBytes,
      connector: 'box',
      throughput: throughput && throughputJson(throughput, [{ hoist: 'hoist', peer: 'curl' }]),
      bigParts: big && { partBytes: BIG_PART_BYTES, peakRssBytes: big.m.peakRssBytes, cpuSeconds: big.m.cpuSeconds, mbps: big.mbps },
    };
  } finally {
    await apideck.close();
  }
  return section;
}

/** One hoist run against a second Apideck emulator asking for 64 MiB parts. */
async function bigParts(env: ApideckEnv, file: TestFile) {
  const apideck = await startPeerServer<ApideckServerInfo>('apideck', join(env.work, 'server-big'), {
    cleanup: env.ctx.cleanup,
    env: { ...process.env, BENCH_PART_BYTES: String(BIG_PART_BYTES) },
  });
  try {
    const bigEnv: ApideckEnv = { ...env, server: apideck, apideck };
    return await singleRun(bigEnv, `Apideck 1 GiB with ${BIG_PART_BYTES / MiB} MiB parts`, hoistTool(bigEnv, 'big'), file);
  } finally {
    await apideck.close();
  }
}

function curlTool(env: ApideckEnv): Tool {
  return curlSinkTool(env, { sinkUrl: env.apideck.info.sinkUrl, storedPath: (name) => join(env.apideck.storageDir, 'apideck-sink', name) });
}

function hoistTool(env: ApideckEnv, prefix = 'hoist'): Tool {
  const files = (): Promise<EmulatorFile[]> => env.apideck.control<EmulatorFile[]>('GET', '/files');
  const destArgs = ['--provider', 'apideck', '--endpoint', env.apideck.info.url, '--token', API_KEY, '--app-id', APP_ID, '--consumer-id', CONSUMER_ID, '--service-id', 'box'];
  return {
    name: 'hoist',
    prepare: async (index, file) => {
      const dataDir = await freshHoistDestination(env, `${prefix}${index}`, DEST, destArgs);
      const before = new Set((await files()).map((f) => f.id));
      // Apideck files go into the destination's folder id (root): no remote dir.
      return hoistUploadCommand(dataDir, hoistUploadArgs(file, DEST), async (m) => {
        checkHoistRun(`hoist run ${index}`, m);
        await verifyNewEmulatorFile(`hoist run ${index}`, files, before, file);
      });
    },
  };
}

async function warmUp(env: ApideckEnv, tools: readonly Tool[]): Promise<void> {
  const file = await env.ctx.fixtures.randomFile('warmup-32m.bin', 32 * MiB);
  for (const tool of tools) {
    const command = await tool.prepare(0, file);
    await command.verify(await measureChild(command.cmd, command.args, { env: command.env, timeoutMs: 120_000, cleanup: env.ctx.cleanup }));
  }
}

function rowsFor(t: Throughput | undefined): ResultRow[] {
  if (!t) return [{ label: 'Apideck 1 GiB: curl / hoist throughput', measured: 'FAILED' }];
  return comparisonRows(t, { prefix: 'Apideck 1 GiB', hoist: 'hoist', peer: 'curl', peerLabel: 'curl -T into a raw sink', targetRatio: TARGET_RATIO });
}
