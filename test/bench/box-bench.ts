/**
 * Box benchmark: Hoist against the Box emulator (its own process) next to `curl -T` into a raw sink in the same process
 * that costs the server what a chunked upload of the same bytes costs it: every byte written with SHA-1 + SHA-256 (as a
 * part upload does), then read back, hashed again and written (as the commit's assembly does). Hoist reads each 8 MiB
 * part into memory to put its SHA-1 in the Digest header (Box requires it), sends 4 parts at a time, and sends the
 * whole file's SHA-1 with the commit.
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
import { startPeerServer, type BoxServerInfo, type PeerServerProcess } from './peer-server-process.js';

const TOKEN = 'box-test-token';
const DEST = 'b';
const TARGET_RATIO = 0.9;

export const boxBench: Bench = {
  id: 'box',
  title: 'Box: Hoist vs curl -T → Box emulator',
  run: runBoxBench,
};

interface BoxEnv extends PeerEnv {
  box: PeerServerProcess<BoxServerInfo>;
}

async function runBoxBench(ctx: BenchContext): Promise<BenchSection> {
  const section = emptySection();
  const work = ctx.cleanup.tempDir('box');
  const needed = 4 * GiB; // parts + assembled copy of one upload at a time (copies are removed once verified), slack
  const free = await freeBytes(work);
  if (free < needed) {
    section.failures.push(`box: only ${fmt.mib(free)} free under ${work}, ${fmt.mib(needed)} needed`);
    return section;
  }
  const file = await ctx.fixtures.randomFile('bench-1g.bin', GiB);
  const box = await startPeerServer<BoxServerInfo>('box', join(work, 'server'), { cleanup: ctx.cleanup });
  ctx.log(`Box emulator: pid ${box.pid} at ${box.info.url} (sink ${box.info.sinkUrl})`);
  section.details.push(
    'Box: server = BoxEmulator (8 MiB parts for 1 GiB) in its own process; curl -T puts the file into a sink in that process which writes ' +
      'with SHA-1 + SHA-256 and then assembles (reads, hashes, writes) like a part upload + commit; hoist sends 4 parts at a time, ' +
      'each with its SHA-1 digest, and the whole-file SHA-1 with the commit.',
  );
  const env: BoxEnv = { ctx, section, work, server: box, dataDirs: 0, box };
  const tools = [curlTool(env), hoistTool(env), sha1PassTool()];
  try {
    await step(env, 'Box warm-up', () => warmUp(env, tools));
    const throughput = await step(env, 'Box throughput', () => alternatingRuns(env, 'Box 1 GiB', file, tools, runCount(ctx.env)));
    const big = await step(env, 'Box 64 MiB parts', () => bigParts(env, file));
    section.rows.push(...rowsFor(throughput), ...hashingRows('Box 1 GiB', throughput, big));
    section.json = {
      fileBytes: file.sizeBytes,
      throughput: throughput && throughputJson(throughput, [{ hoist: 'hoist', peer: 'curl' }]),
      bigParts: big && { partBytes: BIG_PART_BYTES, peakRssBytes: big.m.peakRssBytes, cpuSeconds: big.m.cpuSeconds, mbps: big.mbps },
    };
  } finally {
    await box.close();
  }
  return section;
}

/** One hoist run against a second Box emulator asking for 64 MiB parts (as Box does for files of a few GiB). */
async function bigParts(env: BoxEnv, file: TestFile) {
  const box = await startPeerServer<BoxServerInfo>('box', join(env.work, 'server-big'), {
    cleanup: env.ctx.cleanup,
    env: { ...process.env, BENCH_PART_BYTES: String(BIG_PART_BYTES) },
  });
  try {
    const bigEnv: BoxEnv = { ...env, server: box, box };
    return await singleRun(bigEnv, `Box 1 GiB with ${BIG_PART_BYTES / MiB} MiB parts`, hoistTool(bigEnv, 'big'), file);
  } finally {
    await box.close();
  }
}

function curlTool(env: BoxEnv): Tool {
  return curlSinkTool(env, { sinkUrl: env.box.info.sinkUrl, storedPath: (name) => join(env.box.storageDir, 'box-sink', 'files', name) });
}

function hoistTool(env: BoxEnv, prefix = 'hoist'): Tool {
  const { uploadBaseUrl, apiBaseUrl } = env.box.info;
  const files = (): Promise<EmulatorFile[]> => env.box.control<EmulatorFile[]>('GET', '/files');
  return {
    name: 'hoist',
    prepare: async (index, file) => {
      const dataDir = await freshHoistDestination(env, `${prefix}${index}`, DEST, ['--provider', 'box', '--endpoint', uploadBaseUrl, '--api-endpoint', apiBaseUrl, '--token', TOKEN]);
      const before = new Set((await files()).map((f) => f.id));
      return hoistUploadCommand(dataDir, hoistUploadArgs(file, DEST, `/${prefix}-${index}`), async (m) => {
        checkHoistRun(`hoist run ${index}`, m);
        await verifyNewEmulatorFile(`hoist run ${index}`, files, before, file);
      });
    },
  };
}

/** Small untimed uploads with both tools (over Box's 20 MB chunked minimum): fails fast if the setup is broken. */
async function warmUp(env: BoxEnv, tools: readonly Tool[]): Promise<void> {
  const file = await env.ctx.fixtures.randomFile('warmup-32m.bin', 32 * MiB);
  for (const tool of tools) {
    const command = await tool.prepare(0, file);
    await command.verify(await measureChild(command.cmd, command.args, { env: command.env, timeoutMs: 120_000, cleanup: env.ctx.cleanup }));
  }
}

function rowsFor(t: Throughput | undefined): ResultRow[] {
  if (!t) return [{ label: 'Box 1 GiB: curl / hoist throughput', measured: 'FAILED' }];
  return comparisonRows(t, { prefix: 'Box 1 GiB', hoist: 'hoist', peer: 'curl', peerLabel: 'curl -T into a raw sink', targetRatio: TARGET_RATIO });
}
