/**
 * Fragments sized to the link (Graph, tus): the engine grows them while the wait for each reply is a large share of a
 * fragment's time, halves them after a reset, keeps every size valid, and a kill re-sends at most the fragment in flight.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateGraphFragmentBytes } from '../../main/domain/part-plan.js';
import { GraphProtocol } from '../../main/protocols/graph-protocol.js';
import { startReceiver } from '../../main/app/receive/receiver.js';
import { TusProtocol } from '../../main/protocols/tus-protocol.js';
import { FaultProxy } from '../emulators/fault-proxy.js';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { makeHarness, type Harness } from '../support/engine-harness.js';
import { parseJsonOutput, removeDir, runCli, sha256File, startCli, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const DEFAULT_FRAGMENT = 10_485_760;
const LARGEST_FRAGMENT = 62_586_880;
/** The link of issue 12, slowed a little so each fragment takes long enough to measure: 16 MiB/s. */
const LINK_BYTES_PER_SEC = 16 * MiB;
const REPLY_DELAY_MS = 150;

let work: string;
let emulator: GraphEmulator;
let harnesses: Harness[];

beforeEach(async () => {
  work = tempDir('fragments');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
  harnesses = [];
});
afterEach(async () => {
  for (const h of harnesses) h.store.close();
  await emulator.close();
  removeDir(work);
});

/** The engine with an adaptive Graph adapter (no fragment size configured). */
function adaptive(name: string): Harness {
  const protocol = new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'replace', accessToken: async () => 'graph-test-token' });
  const h = makeHarness(join(work, name), protocol);
  harnesses.push(h);
  return h;
}

/** Declared fragment sizes of the PUTs for `path`, in order (from Content-Range). */
function fragmentsOf(fromRequest: number): number[] {
  return emulator.requests.slice(fromRequest).flatMap((r) => {
    const m = r.op === 'graph.put' && r.contentRange ? /bytes (\d+)-(\d+)\//.exec(r.contentRange) : null;
    return m ? [Number(m[2]) - Number(m[1]) + 1] : [];
  });
}

async function timedUpload(h: Harness, file: string, remotePath: string): Promise<{ id: number; seconds: number; fragments: number[] }> {
  const from = emulator.requests.length;
  const id = await h.addJob(file, remotePath);
  const started = performance.now();
  const [outcome] = await h.scheduler.run([id]);
  const seconds = (performance.now() - started) / 1000;
  expect(outcome).toMatchObject({ state: 'done' });
  expect(emulator.items().find((i) => i.path === remotePath)?.sha256).toBe(await sha256File(file));
  return { id, seconds, fragments: fragmentsOf(from) };
}

describe('Graph fragments sized to the link', () => {
  it('150 ms replies: fragments grow, stay valid, and the upload keeps ≥ 88 % of its rate with prompt replies', async () => {
    // One 10 MiB fragment to learn the link, then one as large as Graph allows.
    const size = DEFAULT_FRAGMENT + LARGEST_FRAGMENT;
    const file = join(work, 'f.bin');
    writeRandomFile(file, size);
    emulator.setThroughput(LINK_BYTES_PER_SEC);

    const prompt = await timedUpload(adaptive('prompt'), file, '/prompt.bin');
    emulator.faults.add({ op: 'graph.put', times: Infinity, action: { type: 'delay', ms: REPLY_DELAY_MS, phase: 'after-body' } });
    const h = adaptive('delayed');
    const delayed = await timedUpload(h, file, '/delayed.bin');

    expect(delayed.fragments[0]).toBe(DEFAULT_FRAGMENT);
    expect(Math.max(...delayed.fragments)).toBeGreaterThan(DEFAULT_FRAGMENT);
    for (const bytes of delayed.fragments.slice(0, -1)) expect(validateGraphFragmentBytes(bytes)).toBeUndefined();
    for (let i = 1; i < delayed.fragments.length - 1; i++) expect(delayed.fragments[i]).toBeGreaterThanOrEqual(delayed.fragments[i - 1]!);
    const ratio = prompt.seconds / delayed.seconds;
    console.log(
      `[fragments] prompt ${prompt.seconds.toFixed(2)} s (${prompt.fragments.map((b) => (b / MiB).toFixed(1)).join(', ')} MiB); ` +
        `150 ms replies ${delayed.seconds.toFixed(2)} s (${delayed.fragments.map((b) => (b / MiB).toFixed(1)).join(', ')} MiB): ${ratio.toFixed(3)}`,
    );
    expect(ratio).toBeGreaterThanOrEqual(0.88);
    // The UI heard of the re-plan, and the session remembers the size for the next attempt.
    expect(h.events.some((e) => e.type === 'parts-replanned')).toBe(true);
    const session = h.store.sessions.latestForJob(delayed.id)!;
    expect(session.partSizeBytes).toBe(Math.max(...delayed.fragments));
  });

  it('a reset mid-fragment halves the next fragments, still valid, and the upload completes', async () => {
    const file = join(work, 'f.bin');
    // Large enough that the second fragment is a whole one whatever size it grew to.
    writeRandomFile(file, 100 * MiB + 12_345);
    emulator.faults.add({ op: 'graph.put', nth: 2, action: { type: 'reset-mid-body', afterBytes: MiB } });
    const { fragments } = await timedUpload(adaptive('reset'), file, '/reset.bin');
    const afterReset = fragments.slice(2);
    expect(fragments[1]).toBeGreaterThanOrEqual(DEFAULT_FRAGMENT);
    expect(afterReset[0]).toBe(Math.floor(fragments[1]! / 2 / 327_680) * 327_680);
    for (const bytes of fragments.slice(0, -1)) expect(validateGraphFragmentBytes(bytes)).toBeUndefined();
  });

  it('a size the destination was given is used as given', async () => {
    const protocol = new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: 327_680 * 8, accessToken: async () => 'graph-test-token' });
    const h = makeHarness(join(work, 'fixed'), protocol);
    harnesses.push(h);
    const file = join(work, 'f.bin');
    writeRandomFile(file, 12 * MiB);
    emulator.faults.add({ op: 'graph.put', times: Infinity, action: { type: 'delay', ms: 50, phase: 'after-body' } });
    const { fragments } = await timedUpload(h, file, '/fixed.bin');
    expect(new Set(fragments.slice(0, -1))).toEqual(new Set([327_680 * 8]));
    expect(h.events.some((e) => e.type === 'parts-replanned')).toBe(false);
  });
});

describe('hoist upload with fragments sized to the link', () => {
  it('dest add stores a fragment size only when given; a kill during a large fragment re-sends at most that fragment', async () => {
    const dataDir = join(work, 'data');
    const hoist = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);
    const graphArgs = ['--provider', 'graph', '--endpoint', emulator.graphBaseUrl, '--token', 'graph-test-token'];
    expect((await hoist('dest', 'add', 'od', ...graphArgs)).code).toBe(0);
    expect((await hoist('dest', 'add', 'od-fixed', ...graphArgs, '--fragment-size', String(DEFAULT_FRAGMENT))).code).toBe(0);
    const { destinations } = parseJsonOutput<{ destinations: Array<{ name: string; settings: Record<string, unknown> }> }>((await hoist('dest', 'list', '--json')).stdout);
    expect(destinations.find((d) => d.name === 'od')!.settings.fragmentSizeBytes).toBeUndefined();
    expect(destinations.find((d) => d.name === 'od-fixed')!.settings.fragmentSizeBytes).toBe(DEFAULT_FRAGMENT);

    const file = join(work, 'kill.bin');
    const size = 100 * MiB + 777;
    writeRandomFile(file, size);
    emulator.setThroughput(LINK_BYTES_PER_SEC);
    emulator.faults.add({ op: 'graph.put', times: Infinity, action: { type: 'delay', ms: REPLY_DELAY_MS, phase: 'after-body' } });
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', '--json']);
    // Killed once more than a default fragment of a larger one has arrived: a large fragment, cut in its middle.
    const inFlight = () => (emulator.sessions()[0]?.bytesReceivedTotal ?? 0) - (emulator.sessions()[0]?.receivedBytes ?? 0);
    await waitFor(() => inFlight() > DEFAULT_FRAGMENT + 2 * MiB, 60_000, 'a large fragment half received');
    child.kill('SIGKILL');
    expect((await child.result).signal).toBe('SIGKILL');
    await waitFor(() => emulator.requests.some((r) => r.op === 'graph.put' && r.status === 0), 10_000, 'the cut fragment logged');
    const cut = fragmentsOf(0).at(-1)!;
    expect(cut).toBeGreaterThan(DEFAULT_FRAGMENT);

    emulator.faults.clear();
    emulator.setThroughput(undefined);
    const again = await hoist('upload', file, '--dest', 'od', '--json');
    expect(again.code).toBe(0);
    const sessions = emulator.sessions();
    expect(sessions).toHaveLength(1);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
    const resent = sessions[0]!.bytesReceivedTotal - size;
    expect(resent).toBeGreaterThan(0);
    expect(resent).toBeLessThanOrEqual(cut);
  });
});

describe('tus PATCHes sized to the link', () => {
  it('a reset halves the PATCH size (from 64 MiB) and the upload completes byte-identical', async () => {
    const receiver = await startReceiver({ dir: join(work, 'received'), port: 0 });
    const proxy = await FaultProxy.start(receiver.url, (req) => `tus.${(req.method ?? 'GET').toLowerCase()}`);
    try {
      const protocol = new TusProtocol({ endpoint: `http://127.0.0.1:${proxy.port}/files/` });
      const h = makeHarness(join(work, 'tus'), protocol);
      harnesses.push(h);
      const file = join(work, 't.bin');
      const size = 80 * MiB + 5;
      writeRandomFile(file, size);
      proxy.faults.add({ op: 'tus.patch', action: { type: 'reset-mid-body', afterBytes: 4 * MiB } });
      const id = await h.addJob(file, '/t.bin');
      expect((await h.scheduler.run([id]))[0]).toMatchObject({ state: 'done' });
      expect(await sha256File(join(work, 'received', 't.bin'))).toBe(await sha256File(file));
      // The first PATCH (64 MiB) was cut; the next one asks for half.
      const patches = proxy.requests.filter((r) => r.op === 'tus.patch').map((r) => r.bodyBytes);
      expect(patches[0]).toBeLessThan(64 * MiB);
      expect(patches[1]).toBe(32 * MiB);
    } finally {
      await proxy.close();
      await receiver.close();
    }
  });
});
