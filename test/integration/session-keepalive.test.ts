import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { GraphProtocol } from '../../main/protocols/graph-protocol.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import { keepPausedSessionsAlive } from '../../main/engine/session-keepalive.js';
import { makeHarness, type Harness } from '../support/engine-harness.js';
import { removeDir, sha256File, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const TTL_MS = 2_500;
let work: string;
let emulator: GraphEmulator;
let h: Harness | undefined;

beforeEach(async () => {
  work = tempDir('keepalive');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server'), sessionTtlMs: TTL_MS });
});
afterEach(async () => {
  h?.store.close();
  h = undefined;
  await emulator.close();
  removeDir(work);
});

describe('keep-alive for paused OneDrive uploads (setting)', () => {
  it('keeps a paused session past several of its lifetimes, and the upload resumes on it byte-identical', async () => {
    const protocol = new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: 327_680 * 4, accessToken: async () => 'graph-test-token' });
    h = makeHarness(work, protocol);
    const file = join(work, 'lunch.bin');
    writeRandomFile(file, 6 * MiB);
    emulator.setThroughput(2 * MiB);
    const id = await h.addJob(file, '/lunch.bin');
    const run = h.scheduler.run([id]);
    await waitFor(() => h!.events.some((e) => e.type === 'part-acked'), 20_000, 'a part acknowledged');
    h.scheduler.pause([id]);
    expect(await run).toEqual([{ jobId: id, state: 'paused' }]);
    emulator.setThroughput(undefined);

    const deps = { store: h.store, files: diskFileSource, protocolFor: async () => protocol, nowMs: Date.now, holder: { pid: process.pid, startTime: null }, isHolderAlive: () => false };
    const until = Date.now() + 3 * TTL_MS;
    let kept = 0;
    while (Date.now() < until) {
      kept += (await keepPausedSessionsAlive(deps, TTL_MS * 0.6, AbortSignal.timeout(5_000))).length;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(emulator.sessions().map((s) => s.state)).toEqual(['open']);
    // The database learned each new expiry (the window's warning follows it).
    expect(h.store.sessions.openForJob(id)?.expiresAtMs).toBeGreaterThan(Date.now());

    h.store.jobs.resume([id], Date.now());
    expect(await h.scheduler.run([id])).toEqual([{ jobId: id, state: 'done' }]);
    expect(emulator.items()[0]?.sha256).toBe(await sha256File(file));
    expect(emulator.sessions()).toHaveLength(1);
  });

  it('without it, the same pause loses the session', async () => {
    const protocol = new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: 327_680 * 4, accessToken: async () => 'graph-test-token' });
    h = makeHarness(work, protocol);
    const file = join(work, 'lunch.bin');
    writeRandomFile(file, 6 * MiB);
    emulator.setThroughput(2 * MiB);
    const id = await h.addJob(file, '/lunch.bin');
    const run = h.scheduler.run([id]);
    await waitFor(() => h!.events.some((e) => e.type === 'part-acked'), 20_000, 'a part acknowledged');
    h.scheduler.pause([id]);
    await run;
    await waitFor(() => emulator.sessions().some((s) => s.state === 'expired') || (emulator.sessions()[0]?.expiresAtMs ?? Infinity) < Date.now(), 10_000, 'the session lapsing');
  });
});
