/**
 * S3 benchmark: Hoist against `@aws-sdk/lib-storage` (16 MiB parts, 4 in flight, SDK defaults) and, when installed,
 * rclone (same part size and concurrency), all uploading to the same local S3 server: s3rver behind the test proxy +
 * shim (test/emulators/s3-server.ts), in its own process. Every client runs as its own measured process.
 *
 *   throughput: lib-storage, [rclone,] hoist alternately on the same 1 GiB file; best of N (median too); ratio of the
 *   bests; peak RSS and client CPU seconds per GiB of each
 *
 * Every upload is verified: sha256 of the stored object (s3rver's file on disk) equals the local file's.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { emptySection, fmt, type Bench, type BenchContext, type BenchSection, type ResultRow } from './bench.js';
import { freeBytes, GiB, MiB, type TestFile } from './files.js';
import { measureChild, requireSuccess } from './measure.js';
import {
  alternatingRuns,
  checkHoistRun,
  comparisonRows,
  extraPeerRows,
  freshHoistDestination,
  hoistUploadArgs,
  hoistUploadCommand,
  runCount,
  step,
  throughputJson,
  verifyStoredFile,
  type PeerEnv,
  type Throughput,
  type Tool,
} from './peer-bench.js';
import { startPeerServer, type PeerServerProcess, type S3ServerInfo } from './peer-server-process.js';

const S3_PEER = resolve(import.meta.dirname, 's3-peer.js');
const ACCESS_KEY_ID = 'S3RVER';
const SECRET = 'S3RVER';
const REGION = 'us-east-1';
const DEST = 's';
const TARGET_RATIO = 1.0;
const HOIST = 'hoist';
const LIB_STORAGE = 'lib-storage';
const RCLONE = 'rclone';

export const s3Bench: Bench = {
  id: 's3',
  title: 'S3: Hoist vs @aws-sdk/lib-storage (and rclone) → same s3rver',
  run: runS3Bench,
};

interface S3Env extends PeerEnv {
  s3: PeerServerProcess<S3ServerInfo>;
}

async function runS3Bench(ctx: BenchContext): Promise<BenchSection> {
  const section = emptySection();
  const work = ctx.cleanup.tempDir('s3');
  const needed = 4 * GiB; // stored objects are removed once verified; s3rver holds parts and the object at once
  const free = await freeBytes(work);
  if (free < needed) {
    section.failures.push(`s3: only ${fmt.mib(free)} free under ${work}, ${fmt.mib(needed)} needed`);
    return section;
  }
  const file = await ctx.fixtures.randomFile('bench-1g.bin', GiB);
  const storageDir = join(work, 'server');
  // startS3Server makes its directory under the OS temp folder: point that into this bench's own temp dir.
  const s3 = await startPeerServer<S3ServerInfo>('s3', storageDir, { cleanup: ctx.cleanup, env: { ...process.env, TMPDIR: storageDir } });
  ctx.log(`S3 server: pid ${s3.pid} at ${s3.info.endpoint} (data in ${s3.info.dataDir})`);
  const rclone = findRclone();
  section.details.push(
    'S3: server = s3rver 3.7.1 behind the test proxy + shim, in its own process; lib-storage (SDK defaults: signed payloads, CRC32 ' +
      `checksums), ${rclone.path ? 'rclone, ' : ''}hoist: 16 MiB parts, 4 in flight, each in its own process.`,
  );
  if (!rclone.path) section.details.push(`  rclone skipped: ${rclone.reason}`);
  const env: S3Env = { ctx, section, work, server: s3, dataDirs: 0, s3 };
  const tools = [libStorageTool(env), ...(rclone.path ? [rcloneTool(env, rclone.path)] : []), hoistTool(env)];
  try {
    await step(env, 'S3 warm-up', () => warmUp(env, tools));
    const throughput = await step(env, 'S3 throughput', () => alternatingRuns(env, 'S3 1 GiB', file, tools, runCount(ctx.env)));
    const listParts = await step(env, 'S3 test server ListParts cost', () => listPartsCost(env));
    section.rows.push(...rowsFor(throughput, rclone, listParts));
    section.json = {
      fileBytes: file.sizeBytes,
      partBytes: 16 * MiB,
      queueSize: 4,
      rclone: rclone.path ? { path: rclone.path, version: rclone.version } : { skipped: rclone.reason },
      testServerListParts: listParts ?? null,
      throughput: throughput && throughputJson(throughput, [{ hoist: HOIST, peer: LIB_STORAGE }, { hoist: HOIST, peer: RCLONE }]),
    };
  } finally {
    await s3.close();
  }
  return section;
}

/** s3rver's file for `key` (FilesystemStore: <root>/<bucket>/<dirs>/<name>._S3rver_object); keys here are plain ASCII. */
function objectPath(env: S3Env, key: string, resource = 'object'): string {
  const parts = key.split('/');
  const name = parts.pop()!;
  return join(env.s3.info.dataDir, env.s3.info.bucket, ...parts, `${name}._S3rver_${resource}`);
}

async function verifyObject(env: S3Env, what: string, key: string, file: TestFile): Promise<void> {
  await verifyStoredFile(what, objectPath(env, key), file);
  // Removed once verified, as DeleteObject would: disk stays flat over many runs.
  for (const resource of ['object', 'object.md5', 'metadata.json']) await rm(objectPath(env, key, resource), { force: true });
}

function libStorageTool(env: S3Env, prefix = 'libstorage'): Tool {
  return {
    name: LIB_STORAGE,
    prepare: async (index, file) => {
      const key = `${prefix}-${index}/${basename(file.path)}`;
      const { endpoint, bucket } = env.s3.info;
      return {
        cmd: process.execPath,
        args: [S3_PEER, endpoint, bucket, key, file.path, ACCESS_KEY_ID, SECRET, REGION],
        verify: async (m) => {
          requireSuccess(`lib-storage run ${index}`, m);
          await verifyObject(env, `lib-storage run ${index}`, key, file);
        },
      };
    },
  };
}

function rcloneTool(env: S3Env, path: string, prefix = 'rclone'): Tool {
  const config = join(env.work, 'rclone.conf');
  writeFileSync(config, '');
  const { endpoint, bucket } = env.s3.info;
  const rcloneEnv: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_BENCHS3_TYPE: 's3',
    RCLONE_CONFIG_BENCHS3_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCHS3_ENDPOINT: endpoint,
    RCLONE_CONFIG_BENCHS3_ACCESS_KEY_ID: ACCESS_KEY_ID,
    RCLONE_CONFIG_BENCHS3_SECRET_ACCESS_KEY: SECRET,
    RCLONE_CONFIG_BENCHS3_REGION: REGION,
    RCLONE_CONFIG_BENCHS3_FORCE_PATH_STYLE: 'true',
  };
  return {
    name: RCLONE,
    prepare: async (index, file) => {
      const key = `${prefix}-${index}/${basename(file.path)}`;
      return {
        cmd: path,
        // Same shape as the others: 16 MiB parts, 4 in flight; the bucket exists; rclone's other defaults stay.
        args: ['--config', config, 'copyto', file.path, `benchs3:${bucket}/${key}`, '--s3-chunk-size', '16M', '--s3-upload-concurrency', '4', '--s3-upload-cutoff', '16M', '--s3-no-check-bucket'],
        env: rcloneEnv,
        verify: async (m) => {
          requireSuccess(`rclone run ${index}`, m);
          await verifyObject(env, `rclone run ${index}`, key, file);
        },
      };
    },
  };
}

function hoistTool(env: S3Env, prefix = 'hoist'): Tool {
  const { endpoint, bucket } = env.s3.info;
  const destArgs = ['--provider', 's3', '--endpoint', endpoint, '--force-path-style', '--bucket', bucket, '--access-key-id', ACCESS_KEY_ID, '--token', SECRET, '--region', REGION];
  return {
    name: HOIST,
    prepare: async (index, file) => {
      const dataDir = await freshHoistDestination(env, `${prefix}${index}`, DEST, destArgs);
      const remoteDir = `${prefix}-${index}`;
      return hoistUploadCommand(dataDir, hoistUploadArgs(file, DEST, `/${remoteDir}`), async (m) => {
        checkHoistRun(`hoist run ${index}`, m);
        await verifyObject(env, `hoist run ${index}`, `${remoteDir}/${basename(file.path)}`, file);
      });
    },
  };
}

/** Small untimed uploads with every tool: warms the server's code paths and fails fast if the setup is broken. */
async function warmUp(env: S3Env, tools: readonly Tool[]): Promise<void> {
  const file = await env.ctx.fixtures.randomFile('warmup-32m.bin', 32 * MiB);
  for (const tool of tools) {
    const command = await tool.prepare(0, file);
    const m = await measureChild(command.cmd, command.args, { env: command.env, timeoutMs: 120_000, cleanup: env.ctx.cleanup });
    await command.verify(m);
  }
}

interface ListPartsCost {
  parts: number;
  partBytes: number;
  /** Best of 3 ListParts calls. */
  ms: number;
  msPerGiB: number;
}

/**
 * What one ListParts costs on this test server: its shim lists parts by reading every stored part file and MD5-ing it
 * (s3rver has no ListParts), so the call takes time in proportion to the bytes uploaded, which real S3 does not. Hoist
 * calls ListParts once before CompleteMultipartUpload (the server is the truth); lib-storage never does. Measured on a
 * small upload (4 × 16 MiB) and scaled to a GiB, so the table can say how much of Hoist's wall time is this.
 */
async function listPartsCost(env: S3Env): Promise<ListPartsCost> {
  const sdk = await import('@aws-sdk/client-s3');
  const { endpoint, bucket } = env.s3.info;
  const client = new sdk.S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    requestHandler: { requestTimeout: 60_000 },
  });
  const Key = 'listparts-probe/probe.bin';
  const parts = 4;
  const partBytes = 16 * MiB;
  try {
    const { UploadId } = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    if (!UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    const body = Buffer.alloc(partBytes, 0x5a);
    for (let n = 1; n <= parts; n++) await client.send(new sdk.UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: n, Body: body }));
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const listed = await client.send(new sdk.ListPartsCommand({ Bucket: bucket, Key, UploadId }));
      best = Math.min(best, performance.now() - started);
      if (listed.Parts?.length !== parts) throw new Error(`ListParts listed ${listed.Parts?.length ?? 0} parts, expected ${parts}`);
    }
    await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
    const msPerGiB = (best * GiB) / (parts * partBytes);
    env.section.details.push(
      `  test-server note: ListParts over ${parts} × 16 MiB parts took ${best.toFixed(0)} ms (best of 3) = ${(msPerGiB / 1000).toFixed(2)} s per GiB of parts: ` +
        'the shim reads and MD5s every part file. Hoist calls ListParts once before completing, lib-storage never, so each hoist run above ' +
        'includes about that much server time that real S3 would not charge.',
    );
    return { parts, partBytes, ms: best, msPerGiB };
  } finally {
    client.destroy();
  }
}

interface RcloneLookup {
  path?: string;
  version?: string;
  reason?: string;
}

/** `which rclone`; when absent, says whether the distribution offers it (apt-cache policy), for the skip message. */
function findRclone(): RcloneLookup {
  const run = (cmd: string, args: string[]): string | undefined => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const path = run('which', ['rclone']);
  if (path) return { path, version: run(path, ['version'])?.split('\n')[0] };
  const candidate = /Candidate:\s*(\S+)/.exec(run('apt-cache', ['policy', 'rclone']) ?? '')?.[1];
  const offer = candidate && candidate !== '(none)' ? `the distribution offers rclone ${candidate} (apt-get install rclone)` : 'no rclone package candidate found (apt-cache policy rclone)';
  return { reason: `rclone is not installed; ${offer}` };
}

function rowsFor(t: Throughput | undefined, rclone: RcloneLookup, listParts: ListPartsCost | undefined): ResultRow[] {
  if (!t) return [{ label: 'S3 1 GiB: lib-storage / hoist throughput', measured: 'FAILED' }];
  const rows = comparisonRows(t, { prefix: 'S3 1 GiB', hoist: HOIST, peer: LIB_STORAGE, peerLabel: '@aws-sdk/lib-storage', targetRatio: TARGET_RATIO });
  if (listParts) rows.push({ label: '  test-server ListParts inside each hoist run', measured: `≈ ${(listParts.msPerGiB / 1000).toFixed(1)} s per GiB` });
  if (rclone.path) rows.push(...extraPeerRows(t, { prefix: 'S3 1 GiB', hoist: HOIST, peer: RCLONE, peerLabel: 'rclone copyto', targetRatio: TARGET_RATIO }));
  else rows.push({ label: 'S3 1 GiB: rclone', measured: 'skipped (not installed)' });
  return rows;
}
