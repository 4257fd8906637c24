/** The S3 adapter driven through the real scheduler, engine and SQLite store, against s3rver behind a fault proxy. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../main/domain/backoff.js';
import { UploadFailure } from '../../main/domain/failure.js';
import { parseBandwidthLimit } from '../../main/domain/bandwidth-limit.js';
import { BandwidthLimiter } from '../../main/engine/bandwidth-limiter.js';
import type { BytePacer } from '../../main/protocols/transfer-settings.js';
import type { JobOutcome } from '../../main/engine/scheduler.js';
import { classifyS3, s3ErrorFacts } from '../../main/protocols/s3-errors.js';
import { S3_MAX_OBJECT_BYTES, S3_MAX_PARTS, chooseS3PartSizeBytes } from '../../main/protocols/s3-part-size.js';
import { S3Protocol, type S3Config } from '../../main/protocols/s3-protocol.js';
import {
  S3_TEST_ACCESS_KEY_ID,
  S3_TEST_REGION,
  S3_TEST_SECRET_ACCESS_KEY,
  startS3Server,
  type S3RequestLogEntry,
  type S3TestServer,
  type S3TestServerOptions,
} from '../emulators/s3-server.js';
import { makeHarness, type Harness } from '../support/engine-harness.js';
import { removeDir, sha256File, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PART = 5 * MiB;

interface Rig {
  server: S3TestServer;
  protocol: S3Protocol;
  h: Harness;
  work: string;
  /** A second client for checking what the server holds (GetObject, ListMultipartUploads). */
  client: S3Client;
  secretCalls(): number;
  run(ids: number[]): Promise<JobOutcome[]>;
  file(name: string, sizeBytes: number): string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function rig(opts: { server?: S3TestServerOptions; config?: Partial<S3Config>; retry?: Partial<RetryPolicy> } = {}): Promise<Rig> {
  const work = tempDir('s3');
  const server = await startS3Server(opts.server);
  let secretCalls = 0;
  const protocol = new S3Protocol({
    endpoint: server.endpoint,
    region: S3_TEST_REGION,
    bucket: server.bucket,
    forcePathStyle: true,
    accessKeyId: S3_TEST_ACCESS_KEY_ID,
    secretAccessKey: async () => {
      secretCalls++;
      return S3_TEST_SECRET_ACCESS_KEY;
    },
    partSizeBytes: PART,
    ...opts.config,
  });
  const h = makeHarness(work, protocol, opts.retry);
  const client = new S3Client({
    endpoint: server.endpoint,
    region: S3_TEST_REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: S3_TEST_ACCESS_KEY_ID, secretAccessKey: S3_TEST_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  cleanups.push(async () => {
    h.store.close();
    protocol.destroy();
    client.destroy();
    await server.close();
    removeDir(work);
  });
  return {
    server, protocol, h, work, client,
    secretCalls: () => secretCalls,
    run: (ids) => h.scheduler.run(ids),
    file(name, sizeBytes) {
      const path = join(work, name);
      writeRandomFile(path, sizeBytes);
      return path;
    },
  };
}

async function objectSha256(r: Rig, key: string): Promise<string> {
  const out = await r.client.send(new GetObjectCommand({ Bucket: r.server.bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of out.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function uploadOk(r: Rig, localPath: string, remotePath: string, key = remotePath.slice(1)): Promise<number> {
  const id = await r.h.addJob(localPath, remotePath);
  const [outcome] = await r.run([id]);
  if (outcome?.state !== 'done') console.log(outcome, r.h.events.filter((e) => e.type !== 'bytes-sent'));
  expect(outcome).toMatchObject({ state: 'done' });
  expect(await objectSha256(r, key)).toBe(await sha256File(localPath));
  return id;
}

const ops = (log: readonly S3RequestLogEntry[], op: string) => log.filter((q) => q.op === op);
const partNumbers = (log: readonly S3RequestLogEntry[]): number[] => ops(log, 's3.part').map((q) => Number(q.query.get('partNumber')));
const reasons = (r: Rig, type: 'job-retrying' | 'job-restarted'): string[] => r.h.events.flatMap((e) => (e.type === type ? [e.reason] : []));
const acked = (r: Rig): number => r.h.events.filter((e) => e.type === 'part-acked').length;
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Runs until every part PUT from the `goodParts + 1`-th on is reset; the job fails with retries exhausted. */
async function failAfter(r: Rig, localPath: string, goodParts: number): Promise<number> {
  r.server.faults.add({ op: 's3.part', nth: goodParts + 1, times: Infinity, action: { type: 'reset' } });
  const id = await r.h.addJob(localPath, '/f.bin');
  const [outcome] = await r.run([id]);
  expect(outcome).toMatchObject({ state: 'failed' });
  expect(r.h.store.jobs.get(id)!.errorCode).toBe('retries-exhausted');
  r.server.faults.clear();
  r.h.store.jobs.resume([id], Date.now());
  return id;
}

describe('S3 multipart uploads through the engine', () => {
  it('a 40 MB file in 5 MiB parts, 4 in flight: byte-identical, parts numbered from 1, one create/list/complete/head', async () => {
    const r = await rig({ config: { prefix: 'hoist/' } });
    const size = 40_000_000;
    const file = r.file('big.bin', size);
    const started = Date.now();
    const id = await uploadOk(r, file, '/dir/big.bin', 'hoist/dir/big.bin');
    console.log(`[s3] 40 MB in 8 parts through the engine: ${Date.now() - started} ms, peak ${r.server.maxConcurrent('s3.part')} parts in flight`);
    const log = r.server.requests;
    expect(sorted(partNumbers(log))).toEqual(range(1, 8));
    for (const put of ops(log, 's3.part')) {
      const n = Number(put.query.get('partNumber'));
      expect(Number(put.headers['content-length'])).toBe(Math.min(PART, size - (n - 1) * PART));
      expect(put.key).toBe('hoist/dir/big.bin');
    }
    expect(['s3.create', 's3.list', 's3.complete', 's3.head'].map((op) => ops(log, op).length)).toEqual([1, 1, 1, 1]);
    expect(r.server.maxConcurrent('s3.part')).toBeGreaterThan(1);
    expect(r.server.maxConcurrent('s3.part')).toBeLessThanOrEqual(4);
    expect(r.server.bytesReceivedTotal()).toBe(size);
    expect(await r.server.uploads()).toEqual([]);
    expect(r.h.store.jobs.get(id)!.remoteItem).toMatchObject({ id: 'hoist/dir/big.bin', name: 'big.bin', sizeBytes: size });
  });

  it('a part is streamed to the server while it is still being read (the SDK does not buffer it)', async () => {
    const r = await rig();
    const signal = AbortSignal.timeout(20_000);
    const target = { remotePath: '/stream.bin', sizeBytes: 6 * MiB, mtimeMs: 0 };
    const session = await r.protocol.createSession(target, signal);
    const server = r.server;
    async function* gated(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(MiB, 1);
      // If the SDK collected the whole body before sending, nothing would arrive and this would time out.
      await waitFor(() => (ops(server.requests, 's3.part')[0]?.bytesReceived ?? 0) >= 512 * 1024, 5_000, 'the first MiB at the server');
      yield Buffer.alloc(4 * MiB, 2);
    }
    const outcome = await r.protocol.uploadPart(session, { partIndex: 0, offsetBytes: 0, sizeBytes: PART, data: gated() }, target, signal);
    expect(outcome).toMatchObject({ kind: 'stored', reply: { PartNumber: 1, ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/) } });
    expect((await r.server.uploads())[0]!.partNumbers).toEqual([1]);
    await r.protocol.abort(session, signal);
    await r.protocol.abort(session, signal); // NoSuchUpload on a second abort is fine
    expect(await r.server.uploads()).toEqual([]);
    expect(await r.protocol.queryServerState(session, target, signal)).toMatchObject({ kind: 'gone' });
  });

  it('files under 5 MiB go up in one PutObject: empty, 1 byte, 4 MiB', async () => {
    const r = await rig();
    const empty = join(r.work, 'empty.bin');
    writeFileSync(empty, '');
    const one = join(r.work, 'one.bin');
    writeFileSync(one, 'x');
    const four = r.file('four.bin', 4 * MiB);
    const ids = [await r.h.addJob(empty, '/empty.bin'), await r.h.addJob(one, '/one.bin'), await r.h.addJob(four, '/four.bin')];
    expect((await r.run(ids)).map((o) => o.state)).toEqual(['done', 'done', 'done']);
    for (const [path, key] of [[empty, 'empty.bin'], [one, 'one.bin'], [four, 'four.bin']] as const) {
      expect(await objectSha256(r, key)).toBe(await sha256File(path));
    }
    expect(new Set(r.server.requests.map((q) => q.op))).toEqual(new Set(['s3.put', 's3.head', 's3.get']));
    expect(r.h.store.jobs.get(ids[0]!)!.remoteItem).toMatchObject({ sizeBytes: 0 });
    expect(r.h.store.jobs.get(ids[2]!)!.remoteItem).toMatchObject({ sizeBytes: 4 * MiB });
    expect(r.server.bytesReceivedTotal('s3.put')).toBe(4 * MiB + 1);
  });

  it('a PutObject stored but answered with an error is recognised by its ETag, not sent twice', async () => {
    const r = await rig();
    const small = r.file('small.bin', MiB + 3);
    r.server.faults.add({ op: 's3.put', action: { type: 'apply-then-fail', status: 500 } });
    const [id] = [await r.h.addJob(small, '/small.bin')];
    expect((await r.run([id!])).map((o) => o.state)).toEqual(['done']);
    expect(await objectSha256(r, 'small.bin')).toBe(await sha256File(small));
    expect(r.server.requests.filter((q) => q.op === 's3.put').map((q) => q.status)).toEqual([500]);
    expect(r.h.store.jobs.get(id!)!.remoteItem).toMatchObject({ sizeBytes: MiB + 3 });
  });

  it('part size keeps every file under 10,000 parts, never under 5 MiB nor over 5 GiB', async () => {
    const parts = (size: number, partSize: number) => Math.ceil(size / partSize);
    expect(chooseS3PartSizeBytes(100 * GiB)).toBe(16 * MiB); // 6,400 parts at the default
    expect(chooseS3PartSizeBytes(100 * GiB, 5 * MiB)).toBe(11 * MiB);
    expect(parts(100 * GiB, 11 * MiB)).toBe(9_310);
    for (const size of [0, 1, 49 * GiB, 100 * GiB, 1024 * GiB, S3_MAX_OBJECT_BYTES]) {
      const partSize = chooseS3PartSizeBytes(size, 5 * MiB);
      expect(parts(size, partSize)).toBeLessThanOrEqual(S3_MAX_PARTS);
      expect(partSize % MiB).toBe(0);
      expect(partSize).toBeGreaterThanOrEqual(5 * MiB);
    }
    expect(chooseS3PartSizeBytes(10 * MiB, MiB)).toBe(5 * MiB);
    expect(chooseS3PartSizeBytes(10 * MiB, 10 * GiB)).toBe(5 * GiB);

    const r = await rig({ config: { partSizeBytes: undefined } });
    const signal = AbortSignal.timeout(10_000);
    const huge = await r.protocol.createSession({ remotePath: '/huge.img', sizeBytes: 100 * GiB, mtimeMs: 0 }, signal);
    expect(huge.partSizeBytes).toBe(16 * MiB);
    await r.protocol.abort(huge, signal);
    const tooBig = r.protocol.createSession({ remotePath: '/x.img', sizeBytes: S3_MAX_OBJECT_BYTES + 1, mtimeMs: 0 }, signal);
    await expect(tooBig).rejects.toMatchObject({ failure: { kind: 'fatal', code: 'file-too-large' } });
  });

  it('resume after a failed run: the same upload, only the missing parts are sent (ListParts paginated)', async () => {
    const r = await rig({ server: { listPartsPageSize: 2 }, config: { maxParallelParts: 3 } });
    const size = 8 * PART + 123;
    const file = r.file('f.bin', size);
    const id = await failAfter(r, file, 4);
    const [held] = await r.server.uploads();
    expect(held!.partNumbers.length).toBeGreaterThanOrEqual(4);
    const logged = r.server.requests.length;
    const [outcome] = await r.run([id]);
    expect(outcome).toMatchObject({ state: 'done' });
    expect(await objectSha256(r, 'f.bin')).toBe(await sha256File(file));
    expect(ops(r.server.requests, 's3.create')).toHaveLength(1);
    const missing = range(1, 9).filter((n) => !held!.partNumbers.includes(n));
    expect(sorted(partNumbers(r.server.requests.slice(logged)))).toEqual(missing);
    // Resets came before any body byte, so every byte went up exactly once.
    expect(r.server.bytesReceivedTotal()).toBeLessThanOrEqual(size + r.protocol.maxParallelParts * PART);
    expect(r.server.bytesReceivedTotal()).toBe(size);
    console.log(`[s3] resume: ${held!.partNumbers.length} of 9 parts held after the failed run, ${missing.length} re-sent, ${r.server.bytesReceivedTotal()} bytes received for a ${size}-byte file`);
  });

  it('pause mid-upload, then resume: parts in flight are cut short, only missing parts are sent again', async () => {
    const r = await rig();
    const size = 10 * PART + 7;
    const file = r.file('f.bin', size);
    r.server.faults.add({ op: 's3.part', times: Infinity, action: { type: 'delay', ms: 60 } });
    const id = await r.h.addJob(file, '/f.bin');
    const running = r.run([id]);
    await waitFor(() => acked(r) >= 3, 20_000, 'three parts acknowledged');
    r.h.scheduler.pause([id]);
    expect((await running)[0]).toMatchObject({ state: 'paused' });
    const [held] = await r.server.uploads();
    r.server.faults.clear();
    r.h.store.jobs.resume([id], Date.now());
    const logged = r.server.requests.length;
    expect((await r.run([id]))[0]).toMatchObject({ state: 'done' });
    expect(await objectSha256(r, 'f.bin')).toBe(await sha256File(file));
    expect(ops(r.server.requests, 's3.create')).toHaveLength(1);
    expect(sorted(partNumbers(r.server.requests.slice(logged)))).toEqual(range(1, 11).filter((n) => !held!.partNumbers.includes(n)));
    const total = r.server.bytesReceivedTotal();
    expect(total).toBeLessThanOrEqual(size + r.protocol.maxParallelParts * PART);
    console.log(`[s3] pause/resume: ${held!.partNumbers.length} of 11 parts held at the pause; ${total} bytes received for ${size} (≤ size + 4 × 5 MiB)`);
  });

  it('an upload aborted behind our back (NoSuchUpload) is replaced by a new one, between runs and mid-run', async () => {
    const r = await rig({ config: { maxParallelParts: 2 } });
    const file = r.file('f.bin', 4 * PART + 1);
    const id = await failAfter(r, file, 2);
    expect(await r.server.dropUpload()).toBe(1);
    expect((await r.run([id]))[0]).toMatchObject({ state: 'done' });
    expect(await objectSha256(r, 'f.bin')).toBe(await sha256File(file));
    expect(ops(r.server.requests, 's3.create')).toHaveLength(2);
    expect(r.h.store.jobs.get(id)!.restartReason).toMatch(/no longer exists on the server.*started a new session/);

    const logged = r.server.requests.length;
    // Parts after the first are held in the proxy, so the upload is dropped while nothing of it is at the server.
    r.server.faults.add({ op: 's3.part', nth: 2, times: Infinity, action: { type: 'delay', ms: 400 } });
    const second = await r.h.addJob(file, '/g.bin');
    const running = r.run([second]);
    await waitFor(() => r.h.events.some((e) => e.type === 'part-acked' && e.jobId === second), 10_000, 'a part of g.bin acknowledged');
    await r.server.dropUpload();
    expect((await running)[0]).toMatchObject({ state: 'done' });
    expect(await objectSha256(r, 'g.bin')).toBe(await sha256File(file));
    expect(ops(r.server.requests.slice(logged), 's3.create')).toHaveLength(2);
    expect(reasons(r, 'job-restarted').some((m) => /HTTP 404 NoSuchUpload/.test(m))).toBe(true);
  });

  it('a 503 SlowDown storm is waited out (Retry-After when given, else 1–5 s), then the upload completes', async () => {
    const r = await rig();
    const file = r.file('f.bin', 3 * PART);
    r.server.faults.add({ op: 's3.create', action: { type: 'status', status: 503, retryAfterSec: 3 } });
    r.server.faults.add({ op: 's3.part', nth: 2, times: 8, action: { type: 'status', status: 503 } });
    r.server.faults.add({ op: 's3.complete', action: { type: 'status', status: 503 } });
    await uploadOk(r, file, '/f.bin');
    // Parts in flight together may all get a 503; each attempt reports its first.
    expect(r.server.faults.fired).toHaveLength(10);
    expect(reasons(r, 'job-retrying').filter((m) => /HTTP 503 SlowDown/.test(m)).length).toBeGreaterThanOrEqual(3);
    expect(r.h.delaysMs.filter((d) => d >= 3000 && d <= 3250)).not.toHaveLength(0);
    expect(r.h.delaysMs.every((d) => d >= 1000 && d <= 5250)).toBe(true);
    expect(ops(r.server.requests, 's3.create')).toHaveLength(2);
    expect(await r.server.uploads()).toEqual([]);
  });

  it('connection reset mid-part and before the body: retried and completed', async () => {
    const r = await rig();
    const size = 4 * PART + 99;
    const file = r.file('f.bin', size);
    r.server.faults.add({ op: 's3.part', nth: 2, action: { type: 'reset-mid-body', afterBytes: MiB } });
    r.server.faults.add({ op: 's3.part', nth: 4, action: { type: 'reset' } });
    await uploadOk(r, file, '/f.bin');
    expect(reasons(r, 'job-retrying').some((m) => /network error talking to 127\.0\.0\.1:\d+ while sending part \d/.test(m))).toBe(true);
    expect(r.server.faults.fired.map((f) => f.action)).toEqual(['reset-mid-body', 'reset']);
    expect(r.server.bytesReceivedTotal()).toBeLessThanOrEqual(size + 4 * PART);
  });

  it('part bodies go through the bandwidth limit (the SDK still signs, sends and checks them)', async () => {
    const limiter = new BandwidthLimiter();
    limiter.setLimit(parseBandwidthLimit('8M'));
    const r = await rig({ config: { transfer: { pacer: limiter, stallTimeoutMs: 60_000 } } });
    const file = r.file('f.bin', 3 * PART);
    const startedMs = Date.now();
    await uploadOk(r, file, '/f.bin');
    // 15 MiB at 8 MiB/s, less the quarter-second burst.
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(1_600);
    expect(r.server.bytesReceivedTotal()).toBe(3 * PART);
  });

  it('a part the server stops reading is abandoned after the stall timeout; a limiter wait longer than it is not a stall', async () => {
    // Holds the first slice asked for 1.2 s (longer than the 1 s stall timeout), lets every other through.
    let hasHeld = false;
    const pacer: BytePacer = {
      sliceBytes: () => MiB,
      take: () => (hasHeld ? Promise.resolve() : ((hasHeld = true), new Promise((resolve) => setTimeout(resolve, 1_200)))),
    };
    const r = await rig({ config: { transfer: { pacer, stallTimeoutMs: 1_000 }, maxParallelParts: 1 } });
    const file = r.file('f.bin', 2 * PART + 3);
    r.server.faults.add({ op: 's3.part', nth: 2, action: { type: 'stall' } });
    await uploadOk(r, file, '/f.bin');
    expect(r.server.faults.fired.map((f) => f.action)).toEqual(['stall']);
    expect(reasons(r, 'job-retrying')).toEqual([expect.stringMatching(/^sending part 2 \(bytes \d+-\d+\): no data moved for 1 s \(stalled\) talking to 127\.0\.0\.1:\d+$/)]);
    expect(ops(r.server.requests, 's3.create')).toHaveLength(1);
  });

  it('a Complete or a part list the server never answers is given up after the stall timeout and retried', async () => {
    const r = await rig({ config: { transfer: { pacer: new BandwidthLimiter(), stallTimeoutMs: 1_000 }, maxParallelParts: 2 } });
    const file = r.file('f.bin', 2 * PART + 7);
    r.server.faults.add({ op: 's3.complete', action: { type: 'stall' } });
    r.server.faults.add({ op: 's3.list', action: { type: 'stall' } });
    const startedMs = Date.now();
    await uploadOk(r, file, '/f.bin');
    expect(Date.now() - startedMs).toBeLessThan(20_000);
    expect(r.server.faults.fired.map((f) => f.action).sort()).toEqual(['stall', 'stall']);
    expect(reasons(r, 'job-retrying')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(completing the upload|listing the uploaded parts|[a-z ]+): no answer for 1 s \(stalled\) talking to 127\.0\.0\.1:\d+$/)]),
    );
    expect(ops(r.server.requests, 's3.create')).toHaveLength(1);
  });

  it('malformed replies are retried and work the server did is not redone; a lost Complete reply is adopted', async () => {
    const r = await rig({ config: { maxParallelParts: 1 } });
    const size = 3 * PART + 5;
    const file = r.file('f.bin', size);
    for (const op of ['s3.create', 's3.list', 's3.complete']) r.server.faults.add({ op, action: { type: 'malformed-json' } });
    r.server.faults.add({ op: 's3.part', nth: 2, action: { type: 'malformed-json' } });
    const id = await uploadOk(r, file, '/f.bin');
    expect(reasons(r, 'job-retrying').filter((m) => /malformed reply/.test(m))).toHaveLength(4);
    // Part 2's bytes arrived although its reply was unreadable: ListParts showed it, it was not sent again.
    expect(partNumbers(r.server.requests)).toEqual([1, 2, 3, 4]);
    expect(r.server.bytesReceivedTotal()).toBe(size);
    // The object was created by the Complete whose reply was lost; the next attempt recognised it as ours.
    expect(ops(r.server.requests, 's3.complete')).toHaveLength(1);
    expect(r.h.store.jobs.get(id)!.remoteItem).toMatchObject({ id: 'f.bin', sizeBytes: size });
    // The upload created by the unreadable CreateMultipartUpload is left behind: that is what cleanup is for.
    const orphans = await r.protocol.listAbandonedUploads(0);
    expect(orphans).toHaveLength(1);
    expect(orphans[0]).toMatchObject({ key: 'f.bin' });
  });

  it('CompleteMultipartUpload answering 200 with an embedded InternalError is retried', async () => {
    const r = await rig();
    const file = r.file('f.bin', 2 * PART + 3);
    const embedded = '<?xml version="1.0" encoding="UTF-8"?>\n\n  \n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>';
    r.server.faults.add({ op: 's3.complete', action: { type: 'status', status: 200, body: embedded } });
    await uploadOk(r, file, '/f.bin');
    expect(reasons(r, 'job-retrying').some((m) => /completing the upload: HTTP 503 InternalError – We encountered an internal error/.test(m))).toBe(true);
    expect(ops(r.server.requests, 's3.complete')).toHaveLength(2);
  });

  it('a part the server lost is sent again: between runs, before Complete, and refused by Complete (InvalidPart)', async () => {
    const r = await rig({ config: { maxParallelParts: 1 } });
    const file = r.file('f.bin', 4 * PART + 11);
    const id = await failAfter(r, file, 3);
    const [held] = await r.server.uploads();
    expect(held!.partNumbers).toEqual([1, 2, 3]);
    await r.server.dropPart(held!.uploadId, 2);
    let logged = r.server.requests.length;
    expect((await r.run([id]))[0]).toMatchObject({ state: 'done' });
    expect(await objectSha256(r, 'f.bin')).toBe(await sha256File(file));
    expect(partNumbers(r.server.requests.slice(logged))).toEqual([2, 4, 5]);

    // Lost after the last part was acknowledged, while the commit's ListParts is held up.
    logged = r.server.requests.length;
    r.server.faults.add({ op: 's3.list', action: { type: 'delay', ms: 1_000 } });
    const second = await r.h.addJob(file, '/g.bin');
    const running = r.run([second]);
    await waitFor(() => ops(r.server.requests.slice(logged), 's3.list').length === 1, 10_000, 'the commit listing parts');
    await r.server.dropPart(ops(r.server.requests.slice(logged), 's3.list')[0]!.query.get('uploadId')!, 2);
    expect((await running)[0]).toMatchObject({ state: 'done' });
    expect(await objectSha256(r, 'g.bin')).toBe(await sha256File(file));
    expect(reasons(r, 'job-retrying').some((m) => /completing the upload: part 2 is not held by the server/.test(m))).toBe(true);
    expect(partNumbers(r.server.requests.slice(logged))).toEqual([1, 2, 3, 4, 5, 2]);

    // Lost between our ListParts and CompleteMultipartUpload: the server refuses the part list.
    logged = r.server.requests.length;
    r.server.faults.add({ op: 's3.complete', action: { type: 'delay', ms: 1_000 } });
    const third = await r.h.addJob(file, '/h.bin');
    const again = r.run([third]);
    await waitFor(() => ops(r.server.requests.slice(logged), 's3.complete').length === 1, 10_000, 'the commit completing');
    await r.server.dropPart(ops(r.server.requests.slice(logged), 's3.complete')[0]!.query.get('uploadId')!, 3);
    expect((await again)[0]).toMatchObject({ state: 'done' });
    expect(await objectSha256(r, 'h.bin')).toBe(await sha256File(file));
    expect(reasons(r, 'job-retrying').some((m) => /HTTP 400 InvalidPart/.test(m))).toBe(true);
    expect(partNumbers(r.server.requests.slice(logged))).toEqual([1, 2, 3, 4, 5, 3]);
  });

  it('cancel aborts the multipart upload: nothing is left for S3 to bill', async () => {
    const r = await rig();
    const file = r.file('f.bin', 6 * PART);
    r.server.faults.add({ op: 's3.part', nth: 2, times: Infinity, action: { type: 'delay', ms: 150 } });
    const id = await r.h.addJob(file, '/f.bin');
    const running = r.run([id]);
    await waitFor(() => acked(r) >= 1, 10_000, 'a part acknowledged');
    r.h.store.jobs.setState(id, 'cancelled', Date.now());
    expect(await running).toEqual([{ jobId: id, state: 'cancelled' }]);
    const abort = ops(r.server.requests, 's3.abort');
    expect(abort.map((q) => q.status)).toEqual([204]);
    const listed = await r.client.send(new ListMultipartUploadsCommand({ Bucket: r.server.bucket }));
    expect(listed.Uploads ?? []).toEqual([]);
  });

  it('abandoned uploads: lists and aborts those under the prefix older than the threshold, keeping live sessions', async () => {
    const r = await rig({ server: { listUploadsPageSize: 1 }, config: { prefix: 'hoist/' } });
    const outside = new S3Protocol({ endpoint: r.server.endpoint, region: S3_TEST_REGION, bucket: r.server.bucket, forcePathStyle: true, accessKeyId: S3_TEST_ACCESS_KEY_ID, secretAccessKey: async () => S3_TEST_SECRET_ACCESS_KEY });
    cleanups.push(async () => outside.destroy());
    const signal = AbortSignal.timeout(10_000);
    const target = (name: string) => ({ remotePath: `/${name}`, sizeBytes: 20 * MiB, mtimeMs: 0 });
    const [a, b, c] = [await r.protocol.createSession(target('a.bin'), signal), await r.protocol.createSession(target('b.bin'), signal), await r.protocol.createSession(target('c.bin'), signal)];
    const other = await outside.createSession(target('other.bin'), signal);
    for (const s of [a, b, other]) await r.server.backdateUpload(s.remoteSessionId!, 2 * 3_600_000);
    expect(a.extra.key).toBe('hoist/a.bin');

    const old = await r.protocol.listAbandonedUploads(3_600_000);
    expect(old.map((u) => u.key)).toEqual(['hoist/a.bin', 'hoist/b.bin']);
    expect(old[0]!.initiatedAtMs).toBeLessThan(Date.now() - 3_600_000);
    const cleanup = await r.protocol.abortAbandonedUploads(3_600_000, { keepUploadIds: [b.remoteSessionId!] });
    expect(cleanup).toEqual({ aborted: [old[0]], failed: [] });
    expect((await r.server.uploads()).map((u) => u.key)).toEqual(['hoist/b.bin', 'hoist/c.bin', 'other.bin']);
    expect(await r.protocol.queryServerState(a, target('a.bin'), signal)).toMatchObject({ kind: 'gone' });
    expect(await r.protocol.queryServerState(c, target('c.bin'), signal)).toMatchObject({ kind: 'open', received: [] });
  });

  it('Content-MD5 when asked for: every part carries the MD5 of its bytes', async () => {
    const r = await rig({ config: { sendContentMd5: true } });
    const size = 2 * PART + 17;
    const file = r.file('f.bin', size);
    await uploadOk(r, file, '/f.bin');
    const bytes = readFileSync(file);
    for (const put of ops(r.server.requests, 's3.part')) {
      const n = Number(put.query.get('partNumber'));
      const md5 = createHash('md5').update(bytes.subarray((n - 1) * PART, n * PART)).digest('base64');
      expect(put.headers['content-md5']).toBe(md5);
    }
  });

  it('refused credentials and a missing bucket fail at once with a clear message; the secret is read lazily', async () => {
    // s3rver checks the access key id but not SigV4 signatures, so a wrong secret is injected as S3 answers it.
    const r = await rig({ config: { accessKeyId: 'AKIAWRONG' } });
    const small = join(r.work, 'small.bin');
    writeFileSync(small, 'hello');
    const big = r.file('big.bin', PART + 1);
    const ids = [await r.h.addJob(small, '/small.bin'), await r.h.addJob(big, '/big.bin')];
    const outcomes = await r.run(ids);
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toMatchObject({ state: 'failed' });
      expect(outcome.message).toMatch(/HTTP 403 InvalidAccessKeyId.*check the access key and secret/);
      expect(r.h.store.jobs.get(ids[i]!)!.errorCode).toBe('auth-failed');
    }
    expect(r.h.events.filter((e) => e.type === 'job-retrying')).toHaveLength(0);

    const wrongSecret = await rig();
    wrongSecret.server.faults.add({ op: 's3.create', action: { type: 'status', status: 403, body: { code: 'SignatureDoesNotMatch' } } });
    const job = await wrongSecret.h.addJob(wrongSecret.file('f.bin', PART + 1), '/f.bin');
    const [refused] = await wrongSecret.run([job]);
    expect(refused!.message).toMatch(/starting the multipart upload: HTTP 403 SignatureDoesNotMatch/);
    expect(wrongSecret.h.store.jobs.get(job)!.errorCode).toBe('auth-failed');

    const lazy = await rig({ config: { bucket: 'no-such-bucket' } });
    expect(lazy.secretCalls()).toBe(0);
    const file = lazy.file('f.bin', PART + 1);
    const id = await lazy.h.addJob(file, '/f.bin');
    const [outcome] = await lazy.run([id]);
    expect(outcome).toMatchObject({ state: 'failed' });
    expect(outcome!.message).toMatch(/The bucket "no-such-bucket" does not exist at 127\.0\.0\.1:\d+/);
    expect(lazy.h.store.jobs.get(id)!.errorCode).toBe('no-such-bucket');
    expect(lazy.secretCalls()).toBe(1);
  });
});

describe('S3 error classification', () => {
  const ctx = { doing: 'sending part 1', bucket: 'b', where: 'AWS S3 (eu-west-1)', rand: () => 0.5, nowMs: 0 };
  const sdkError = (name: string, status: number | undefined, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`${name} message`), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status }, $response: { statusCode: status, headers } }) });
  const classify = (error: unknown) => classifyS3(s3ErrorFacts(error, 0), ctx);

  it('maps S3 codes, statuses and network failures to the scheduler’s failure kinds', () => {
    expect(classify(sdkError('SlowDown', 503, { 'retry-after': '7' }))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 7000 });
    expect(classify(sdkError('SlowDown', 503))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 3000 });
    expect(classify(sdkError('TooManyRequests', 429))).toMatchObject({ kind: 'rate-limited' });
    expect(classify(sdkError('ServiceUnavailable', 503))).toMatchObject({ kind: 'rate-limited' });
    expect(classify(sdkError('InternalError', 503))).toMatchObject({ kind: 'retry' });
    expect(classify(sdkError('InternalError', 500))).toMatchObject({ kind: 'retry' });
    expect(classify(sdkError('BadGateway', 502))).toMatchObject({ kind: 'retry' });
    expect(classify(sdkError('RequestTimeout', 400))).toMatchObject({ kind: 'retry' });
    expect(classify(sdkError('RequestTimeTooSkewed', 403))).toMatchObject({ kind: 'retry' });
    expect(classify(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/network error talking to AWS S3 \(eu-west-1\) while sending part 1: ECONNRESET/) });
    expect(classify(sdkError('TimeoutError', undefined))).toMatchObject({ kind: 'retry' });
    expect(classify(sdkError('SignatureDoesNotMatch', 403))).toMatchObject({ kind: 'auth' });
    expect(classify(sdkError('InvalidAccessKeyId', 403))).toMatchObject({ kind: 'auth' });
    expect(classify(sdkError('Forbidden', 403))).toMatchObject({ kind: 'auth' });
    expect(classify(sdkError('NoSuchBucket', 404))).toMatchObject({ kind: 'fatal', code: 'no-such-bucket' });
    expect(classify(sdkError('NoSuchUpload', 404))).toMatchObject({ kind: 'session-expired' });
    expect(classify(sdkError('EntityTooSmall', 400))).toMatchObject({ kind: 'session-expired' });
    expect(classify(sdkError('InvalidPartOrder', 400))).toMatchObject({ kind: 'session-expired' });
    expect(classify(sdkError('InvalidPart', 400))).toMatchObject({ kind: 'retry' });
    expect(classify(sdkError('PermanentRedirect', 301))).toMatchObject({ kind: 'fatal', code: 'wrong-region' });
    expect(classify(sdkError('InvalidArgument', 400))).toMatchObject({ kind: 'fatal', code: 'http-400' });
    const unreadable = Object.assign(new Error('char 0 is not expected.\n  Deserialization error: …'), { $response: { statusCode: 200, headers: {} } });
    expect(classify(unreadable)).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/malformed reply \(HTTP 200: char 0 is not expected\.\)/) });
    expect(new UploadFailure(classify(sdkError('SlowDown', 503))).failure.kind).toBe('rate-limited');
  });
});
