/** --bwlimit and --stall-timeout end to end (CLI against the Graph emulator), and the stall timer around limiter waits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest } from '../../main/protocols/http.js';
import { UNPACED, type BytePacer } from '../../main/protocols/transfer-settings.js';
import type { ByteArrival } from '../emulators/faults.js';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { removeDir, runCli, sha256File, tempDir, writeRandomFile } from '../support/cli.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const FRAGMENT = 327_680 * 4; // 1.25 MiB

let work: string;
let dataDir: string;
let emulator: GraphEmulator;

beforeEach(async () => {
  work = tempDir('bwlimit');
  dataDir = join(work, 'data');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
});
afterEach(async () => {
  await emulator.close();
  removeDir(work);
});

const hoist = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);
const addDest = (fragment: number) =>
  hoist('dest', 'add', 'od', '--provider', 'graph', '--endpoint', emulator.graphBaseUrl, '--token', 'graph-test-token', '--fragment-size', String(fragment));
const logEvents = () =>
  readFileSync(join(dataDir, 'logs', 'hoist.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; atMs: number; partIndex?: number; reason?: string; kind?: string });

/** The most bytes read in any window of `windowMs` starting at an arrival. */
function busiestWindowBytes(arrivals: readonly ByteArrival[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0, sum = 0; i < arrivals.length; i++) {
    for (; j < arrivals.length && arrivals[j]!.atMs < arrivals[i]!.atMs + windowMs; j++) sum += arrivals[j]!.bytes;
    best = Math.max(best, sum);
    sum -= arrivals[i]!.bytes;
  }
  return best;
}

describe('hoist upload --bwlimit / --stall-timeout', () => {
  it('--bwlimit 3M holds 3 MiB/s on average within 10 %, no 2-second window above 1.3 × the rate', async () => {
    expect((await addDest(327_680 * 8)).code).toBe(0);
    const file = join(work, 'limited.bin');
    writeRandomFile(file, 24 * MiB);
    const arrivals = emulator.recordArrivals();
    const run = await hoist('upload', file, '--dest', 'od', '--bwlimit', '3M', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));

    const body = arrivals.filter((a) => a.bytes > 0);
    const totalBytes = body.reduce((sum, a) => sum + a.bytes, 0);
    expect(totalBytes).toBeGreaterThanOrEqual(24 * MiB);
    const spanMs = body.at(-1)!.atMs - body[0]!.atMs;
    const meanBytesPerSec = ((totalBytes - body[0]!.bytes) * 1000) / spanMs;
    expect(meanBytesPerSec).toBeGreaterThanOrEqual(3 * MiB * 0.9);
    expect(meanBytesPerSec).toBeLessThanOrEqual(3 * MiB * 1.1);
    expect(busiestWindowBytes(body, 2_000)).toBeLessThanOrEqual(2 * 3 * MiB * 1.3);
  });

  it('time waiting for the limiter is no stall: --stall-timeout 2 under --bwlimit 256K, each request lasting longer', async () => {
    expect((await addDest(FRAGMENT)).code).toBe(0);
    const file = join(work, 'slow.bin');
    writeRandomFile(file, FRAGMENT + 256 * KiB);
    const startedMs = Date.now();
    const run = await hoist('upload', file, '--dest', 'od', '--bwlimit', '256K', '--stall-timeout', '2', '--json');
    expect(run.code, run.stderr).toBe(0);
    // 1.5 MiB at 256 KiB/s: the first fragment alone takes about 5 s, more than twice the stall timeout.
    expect(Date.now() - startedMs).toBeGreaterThan(5_000);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
    expect(emulator.sessions()[0]!.putCount).toBe(2);
    expect(logEvents().filter((e) => e.type === 'job-retrying' || e.type === 'part-failed')).toEqual([]);
  });

  it('--stall-timeout 2: a fragment the server stops reading is abandoned after about 2 s, and the upload completes on the same session', async () => {
    expect((await addDest(FRAGMENT)).code).toBe(0);
    const file = join(work, 'stalled.bin');
    writeRandomFile(file, 4 * FRAGMENT + 12_345);
    emulator.faults.add({ op: 'graph.put', nth: 2, action: { type: 'stall', afterBytes: 256 * KiB } });
    const run = await hoist('upload', file, '--dest', 'od', '--stall-timeout', '2', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(emulator.faults.fired).toEqual([{ op: 'graph.put', action: 'stall' }]);
    expect(emulator.sessions()).toHaveLength(1);
    expect(emulator.sessions()[0]!.putCount).toBe(6);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));

    const events = logEvents();
    const firstAcked = events.find((e) => e.type === 'part-acked' && e.partIndex === 0)!;
    const failed = events.filter((e) => e.type === 'part-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatch(/^no data moved for 2 s \(stalled\) talking to 127\.0\.0\.1:\d+$/);
    // The stalled PUT starts as soon as the first fragment is acknowledged.
    expect(failed[0]!.atMs - firstAcked.atMs).toBeGreaterThanOrEqual(1_900);
    expect(failed[0]!.atMs - firstAcked.atMs).toBeLessThan(4_000);
    expect(events.filter((e) => e.type === 'job-retrying').map((e) => e.kind)).toEqual(['retry']);
  });

  it('invalid values are one-line errors with exit code 2', async () => {
    const bad = await hoist('upload', join(work, 'x.bin'), '--bwlimit', '3Q');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'hoist: "3Q" is not a bandwidth limit: give a rate such as 512K, 3M or 1.5G (bytes per second; binary units: K = 1024, M = 1024 K, G = 1024 M), off, or a timetable such as "08:00,1M 18:00,off"\n',
    );
    const timetable = await hoist('resume', '--all', '--bwlimit', '08:00,1M 25:00,off');
    expect(timetable.code).toBe(2);
    expect(timetable.stderr).toMatch(/^hoist: "25:00,off" is not a timetable entry: [^\n]+\n$/);
    const stall = await hoist('serve', '--stall-timeout', '0');
    expect(stall.code).toBe(2);
    expect(stall.stderr).toBe('hoist: --stall-timeout takes a number of seconds from 1 to 3600, got "0"\n');
  });
});

describe('the stall timer and the limiter (http.ts)', () => {
  let server: Server;
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A pacer that holds every 64 KiB slice back for `holdMs`. */
  const slowPacer = (holdMs: number): BytePacer => ({
    sliceBytes: () => 64 * KiB,
    take: (_bytes, signal) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, holdMs);
        signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
      }),
  });

  it('waits longer than the stall timeout for the limiter without failing, and still catches a server that stops answering', async () => {
    let received = 0;
    let isAnswering = true;
    server = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('end', () => isAnswering && res.end('ok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const signal = new AbortController().signal;

    // Two slices held 1.2 s each by the limiter, against a 1 s stall timeout: a Buffer body (Box, Apideck parts).
    const paced = { pacer: slowPacer(1_200), stallTimeoutMs: 1_000 };
    const reply = await httpRequest(url, { method: 'PUT', body: Buffer.alloc(128 * KiB), signal, transfer: paced });
    expect(reply.text).toBe('ok');
    expect(received).toBe(128 * KiB);

    isAnswering = false;
    const startedMs = Date.now();
    const stalled = httpRequest(url, { method: 'PUT', body: Buffer.alloc(KiB), signal, transfer: { pacer: UNPACED, stallTimeoutMs: 1_000 } });
    await expect(stalled).rejects.toMatchObject({ failure: { kind: 'retry', reason: expect.stringMatching(/^no data moved for 1 s \(stalled\) talking to 127\.0\.0\.1:\d+$/) } });
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(950);
    server.closeAllConnections();
  });
});
