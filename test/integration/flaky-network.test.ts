import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultProxy } from '../emulators/fault-proxy.js';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import type { JobView } from '../../preload/contract/views.js';
import { parseJsonOutput, removeDir, runCli, sha256File, startCli, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const FRAGMENT = 327_680 * 4;
type Summary = { ok: boolean; jobs: JobView[] };

let work: string;
let dataDir: string;
let emulator: GraphEmulator;
let proxy: FaultProxy | undefined;

beforeEach(async () => {
  work = tempDir('flaky');
  dataDir = join(work, 'data');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await emulator.close();
  removeDir(work);
});

const hoist = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);
const addDest = (endpoint: string) => hoist('dest', 'add', 'od', '--provider', 'graph', '--endpoint', endpoint, '--token', 'graph-test-token', '--fragment-size', String(FRAGMENT));
const logEvents = () =>
  readFileSync(join(dataDir, 'logs', 'hoist.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; kind?: string; atMs: number });

describe('flaky networks', () => {
  it('waits through a 12 s outage, sends its first byte within 5 s of the network coming back, and finishes on the same session', async () => {
    proxy = await FaultProxy.start(emulator.url, () => 'graph');
    proxy.setThroughput(2 * MiB);
    expect((await addDest(emulator.graphBaseUrl.replace(`:${new URL(emulator.url).port}`, `:${proxy.port}`))).code).toBe(0);
    const file = join(work, 'film.bin');
    writeRandomFile(file, 20 * MiB + 321);
    const run = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', '--json']);
    await waitFor(() => (emulator.sessions()[0]?.receivedBytes ?? 0) >= 4 * FRAGMENT, 30_000, 'the upload under way');

    await proxy.networkDown();
    const downAtMs = Date.now();
    await new Promise((r) => setTimeout(r, 12_000));
    const upAtMs = Date.now();
    await proxy.networkUp();
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonOutput<Summary>(result.stdout).jobs[0]).toMatchObject({ state: 'done', errorCode: null });
    expect(emulator.items()[0]?.sha256).toBe(await sha256File(file));
    expect(emulator.sessions()).toHaveLength(1);

    const firstByteAfter = Math.min(...proxy.requests.filter((r) => r.firstByteAtMs !== undefined && r.firstByteAtMs >= upAtMs).map((r) => r.firstByteAtMs!));
    expect(firstByteAfter - upAtMs).toBeLessThanOrEqual(5_000);
    const events = logEvents();
    const waiting = events.find((e) => e.type === 'destination-waiting');
    expect(waiting?.atMs).toBeGreaterThanOrEqual(downAtMs);
    expect(events.some((e) => e.type === 'destination-online')).toBe(true);
    // Waiting for the network is not a failed attempt: no counted retry was spent on the outage beyond the first probe.
    expect(events.filter((e) => e.type === 'job-retrying' && e.atMs > downAtMs + 4_000 && e.atMs < upAtMs)).toEqual([]);
  }, 90_000);

  it('fails a job whose server keeps sending replies it cannot read within 30 s, with a plain message naming the server', async () => {
    expect((await addDest(emulator.graphBaseUrl)).code).toBe(0);
    const file = join(work, 'report.bin');
    writeRandomFile(file, 3 * MiB);
    emulator.faults.add({ op: 'graph.put', times: Infinity, action: { type: 'malformed-json' } });
    const startedAtMs = Date.now();
    const run = await hoist('upload', file, '--dest', 'od', '--json');
    expect(Date.now() - startedAtMs).toBeLessThan(30_000);
    expect(run.code).toBe(1);
    const job = parseJsonOutput<Summary>(run.stdout).jobs[0]!;
    expect(job).toMatchObject({ state: 'failed', errorCode: 'server-malformed-reply', errorMessage: `od (127.0.0.1:${new URL(emulator.url).port}) sent a reply Hoist cannot read.` });
    expect(run.stderr).not.toMatch(/\n\s+at |ZodError|invalid_type/);
    // Three tries in all: two quick retries after the first unreadable reply.
    expect(emulator.requests.filter((r) => r.op === 'graph.put')).toHaveLength(3);
  });

  it('a 429 with Retry-After holds every job of the destination, not only the one that got it', async () => {
    expect((await addDest(emulator.graphBaseUrl)).code).toBe(0);
    emulator.setThroughput(4 * MiB);
    const a = join(work, 'a.bin');
    const b = join(work, 'b.bin');
    writeRandomFile(a, 8 * MiB);
    writeRandomFile(b, 8 * MiB);
    emulator.faults.add({ op: 'graph.put', nth: 4, action: { type: 'status', status: 429, retryAfterSec: 2 } });
    const run = await hoist('upload', a, b, '--dest', 'od', '--concurrency', '2', '--json');
    expect(run.code, run.stderr).toBe(0);
    const puts = emulator.requests.filter((r) => r.op === 'graph.put');
    const limited = puts.find((r) => r.status === 429)!;
    expect(limited).toBeDefined();
    const started = (from: number, to: number) => puts.filter((r) => r.startedAtMs > from && r.startedAtMs < to);
    // Requests already on the wire finish; nothing new starts for either job until the 2 s are over.
    expect(started(limited.endedAtMs + 50, limited.endedAtMs + 1_900)).toEqual([]);
    expect(started(limited.endedAtMs + 1_900, Infinity).length).toBeGreaterThan(0);
    expect(emulator.items().map((i) => i.path).sort()).toEqual(['/a.bin', '/b.bin']);
  });
});
