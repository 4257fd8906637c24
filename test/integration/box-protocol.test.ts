import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxEmulator, type BoxEmulatorOptions, type BoxRequestLogEntry } from '../emulators/box-emulator.js';
import { waitFor, writeRandomFile } from '../support/cli.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../main/domain/backoff.js';
import type { EngineEvent } from '../../main/engine/engine-events.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import { Scheduler } from '../../main/engine/scheduler.js';
import { classifyBox, type BoxCallSite } from '../../main/protocols/box-errors.js';
import { BoxProtocol, type BoxConfig } from '../../main/protocols/box-protocol.js';
import type { UploadProtocol } from '../../main/protocols/upload-protocol.js';
import { Store } from '../../main/store/store.js';

const TOKEN = 'box-test-token';
const MiB = 1024 * 1024;
const PART = 8 * MiB; // the emulator's default part_size, as Box documents it
const BIG = 45_000_123; // 6 parts: 5 × 8 MiB + a short last one
const CHUNKED = 21_000_000; // just above the 20,000,000-byte chunked minimum: 3 parts

interface World {
  dir: string;
  box: BoxEmulator;
  store: Store;
  destId: number;
  events: EngineEvent[];
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Own emulator (port 0), own temp dirs, own SQLite store: nothing is shared between tests. */
async function world(opts: Partial<BoxEmulatorOptions> = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-box-protocol-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const box = await BoxEmulator.start({ storageDir: join(dir, 'server'), ...opts });
  cleanups.push(() => box.close());
  const store = Store.open(join(dir, 'hoist.db'));
  cleanups.push(() => store.close());
  const destId = store.destinations.add('box', 'box', {}, Date.now()).id;
  return { dir, box, store, destId, events: [] };
}

/** Waits min(ms, capMs) — never a real long wait — and rejects at once with the signal's reason when it aborts. */
function fastSleep(capMs: number, asked?: number[]) {
  return (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      asked?.push(ms);
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, Math.min(ms, capMs));
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

function boxProtocol(w: World, overrides: Partial<BoxConfig> = {}): BoxProtocol {
  return new BoxProtocol({
    uploadEndpoint: w.box.uploadBaseUrl,
    apiEndpoint: w.box.apiBaseUrl,
    folderId: '0',
    conflictPolicy: 'version',
    accessToken: async () => TOKEN,
    sleep: fastSleep(20),
    ...overrides,
  });
}

/** The real scheduler, wired the way the CLI wires it, with a fast sleep and quick polling for DB-side stops. */
function scheduler(w: World, protocol: UploadProtocol, retryPolicy: Partial<RetryPolicy> = {}): Scheduler {
  return new Scheduler({
    store: w.store,
    files: diskFileSource,
    protocolFor: () => protocol,
    nowMs: Date.now,
    rand: Math.random,
    sleep: fastSleep(20),
    events: (event) => w.events.push(event),
    holder: { pid: process.pid, startTime: null },
    isHolderAlive: () => false,
    pollIntervalMs: 20,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, ...retryPolicy },
  });
}

async function addJob(w: World, localPath: string, remotePath: string): Promise<number> {
  const identity = await diskFileSource.identity(localPath);
  return w.store.jobs.create({ destinationId: w.destId, localPath, remotePath, ...identity }, Date.now()).id;
}

async function runJobs(w: World, protocol: UploadProtocol, ids: number[], retryPolicy?: Partial<RetryPolicy>) {
  return scheduler(w, protocol, retryPolicy).run(ids);
}

function localFile(w: World, name: string, sizeBytes: number): string {
  const path = join(w.dir, name);
  writeRandomFile(path, sizeBytes);
  return path;
}

const sha1Of = (path: string) => createHash('sha1').update(readFileSync(path)).digest('hex');
const calls = (w: World, op: string, status?: number): BoxRequestLogEntry[] =>
  w.box.requests.filter((r) => r.op === op && (status === undefined || r.status === status));
const retryReasons = (w: World) => w.events.flatMap((e) => (e.type === 'job-retrying' ? [e.reason] : []));
/** Transient failures: a part sent again at once (part-failed) or a whole attempt retried (job-retrying). */
const transientReasons = (w: World) => [...w.events.flatMap((e) => (e.type === 'part-failed' ? [e.reason] : [])), ...retryReasons(w)];

function delegate(inner: UploadProtocol, overrides: Partial<UploadProtocol>): UploadProtocol {
  return {
    provider: inner.provider,
    addressing: inner.addressing,
    maxParallelParts: inner.maxParallelParts,
    minSessionBytes: inner.minSessionBytes,
    verifyHash: inner.verifyHash,
    createSession: (...a) => inner.createSession(...a),
    queryServerState: (...a) => inner.queryServerState(...a),
    uploadPart: (...a) => inner.uploadPart(...a),
    commit: (...a) => inner.commit(...a),
    abort: (...a) => inner.abort(...a),
    uploadWhole: (...a) => inner.uploadWhole(...a),
    ...overrides,
  };
}

async function* bytesOf(data: string | Buffer): AsyncIterable<Uint8Array> {
  yield typeof data === 'string' ? Buffer.from(data) : data;
}

describe('Box chunked uploads through the real engine', () => {
  it('uploads a ~45 MB file in the server-chosen 8 MiB parts, several in flight, byte-identical, via session_endpoints only', async () => {
    const w = await world();
    const path = localFile(w, 'big.bin', BIG);
    const protocol = boxProtocol(w);
    let inFlight = 0;
    let maxInFlight = 0;
    const counted = delegate(protocol, {
      uploadPart: async (...args) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await protocol.uploadPart(...args);
        } finally {
          inFlight--;
        }
      },
    });
    const id = await addJob(w, path, '/big.bin');

    expect(await runJobs(w, counted, [id])).toEqual([{ jobId: id, state: 'done' }]);

    const [file] = w.box.files();
    expect(file).toMatchObject({ name: 'big.bin', folderId: '0', size: BIG, sha1: sha1Of(path), versions: 1 });
    expect(readFileSync(file!.storagePath).equals(readFileSync(path))).toBe(true);
    expect(w.box.sessions()).toMatchObject([{ partSizeBytes: PART, totalParts: 6, partsStored: 6, bytesReceivedTotal: BIG, state: 'committed' }]);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(calls(w, 'box.create').map((r) => r.path)).toEqual(['/api/2.0/files/upload_sessions']);
    expect(calls(w, 'box.part', 200)).toHaveLength(6);
    // The emulator takes chunked parts because box-node-sdk sends them; Hoist's own still declare Content-Length (§1.3).
    expect(calls(w, 'box.part').filter((r) => !r.hasContentLength)).toEqual([]);
    const sessionCalls = w.box.requests.filter((r) => r.op !== 'box.create');
    expect(sessionCalls.every((r) => r.path.startsWith('/session-host/'))).toBe(true);
    expect(w.box.requests.every((r) => r.status > 0 && r.status < 300)).toBe(true);
    expect(w.store.jobs.get(id)?.remoteItem).toMatchObject({ sizeBytes: BIG, hashes: { sha1Hex: sha1Of(path) } });
    const parts = w.store.sessions.parts(w.store.sessions.latestForJob(id)!.id);
    expect(parts.map((p) => (p.serverReply as { offset: number }).offset)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * PART));
  });

  it('sends a file below 20 MB as one streamed multipart upload, with content_modified_at from the local mtime', async () => {
    const w = await world();
    const path = localFile(w, 'small.bin', 3 * MiB + 7);
    const id = await addJob(w, path, '/small.bin');

    expect(await runJobs(w, boxProtocol(w), [id])).toEqual([{ jobId: id, state: 'done' }]);

    const [file] = w.box.files();
    expect(file).toMatchObject({ name: 'small.bin', size: 3 * MiB + 7, sha1: sha1Of(path) });
    expect(readFileSync(file!.storagePath).equals(readFileSync(path))).toBe(true);
    expect(calls(w, 'box.create')).toEqual([]);
    expect(calls(w, 'box.upload', 201)).toHaveLength(1);
    const mtimeMs = w.store.jobs.get(id)!.mtimeMs;
    const expected = new Date(Math.floor(mtimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    expect((w.store.jobs.get(id)?.remoteItem as { raw: { content_modified_at: string } }).raw.content_modified_at).toBe(expected);
  });

  it('uploads an empty file', async () => {
    const w = await world();
    const path = join(w.dir, 'empty.bin');
    writeFileSync(path, '');
    const id = await addJob(w, path, '/empty.bin');

    expect(await runJobs(w, boxProtocol(w), [id])).toEqual([{ jobId: id, state: 'done' }]);
    expect(w.box.files()).toMatchObject([{ name: 'empty.bin', size: 0, sha1: createHash('sha1').digest('hex') }]);
  });
});

describe('Box commit', () => {
  it('waits out 202 + Retry-After as often as Box says, without counting it as a failure', async () => {
    // Injected 202s rather than the emulator's processing delay, whose count would depend on machine speed.
    const w = await world();
    w.box.faults.add({ op: 'box.commit', nth: 1, times: 5, action: { type: 'status', status: 202, retryAfterSec: 1, body: {} } });
    const waits: number[] = [];
    const path = localFile(w, 'f.bin', CHUNKED);
    const id = await addJob(w, path, '/f.bin');

    expect(await runJobs(w, boxProtocol(w, { sleep: fastSleep(25, waits) }), [id])).toEqual([{ jobId: id, state: 'done' }]);

    const commits = calls(w, 'box.commit');
    expect(commits.filter((r) => r.status === 202)).toHaveLength(5);
    expect(commits.at(-1)?.status).toBe(201);
    expect(waits).toEqual([1000, 1000, 1000, 1000, 1000]); // Retry-After: 1, each time
    expect(retryReasons(w)).toEqual([]);
    expect(w.box.files()[0]?.sha1).toBe(sha1Of(path));
  });

  it('waits 10 s when a 202 has no Retry-After, a pause ends that wait at once, and resuming commits the same session', async () => {
    const w = await world();
    const waits: number[] = [];
    const protocol = boxProtocol(w, { sleep: fastSleep(60_000, waits) }); // real waits
    w.box.faults.add({ op: 'box.commit', times: Infinity, action: { type: 'status', status: 202 } });
    const path = localFile(w, 'f.bin', CHUNKED);
    const id = await addJob(w, path, '/f.bin');
    const first = scheduler(w, protocol);
    const running = first.run([id]);
    await waitFor(() => waits.length > 0, 30_000, 'the adapter waiting after a 202');

    const pausedAtMs = Date.now();
    first.pause([id]);
    expect(await running).toEqual([{ jobId: id, state: 'paused' }]);
    expect(Date.now() - pausedAtMs).toBeLessThan(2_000);
    expect(waits).toEqual([10_000]);

    w.box.faults.clear();
    w.store.jobs.resume([id], Date.now());
    expect(await runJobs(w, protocol, [id])).toEqual([{ jobId: id, state: 'done' }]);
    expect(w.box.sessions()).toMatchObject([{ state: 'committed', bytesReceivedTotal: CHUNKED }]);
  });

  it('gives up on a commit after 100 consecutive 202s with a retryable failure', async () => {
    const w = await world();
    w.box.faults.add({ op: 'box.commit', times: Infinity, action: { type: 'status', status: 202 } });
    const id = await addJob(w, localFile(w, 'f.bin', CHUNKED), '/f.bin');

    const [outcome] = await runJobs(w, boxProtocol(w, { sleep: fastSleep(1) }), [id], { maxAttempts: 0 });

    expect(outcome).toMatchObject({ state: 'failed', message: expect.stringContaining('still processing the parts after 100') });
    expect(w.store.jobs.get(id)?.errorCode).toBe('retries-exhausted');
    expect(calls(w, 'box.commit')).toHaveLength(100);
  });

  it('treats parts_mismatch right after the last part as "not ready": waits and commits again', async () => {
    // Injected rather than timed: the emulator's own window (tested with the emulator) depends on machine speed.
    const w = await world();
    const mismatch = { type: 'error', status: 400, code: 'parts_mismatch', message: 'No matching part found on server for {}' };
    w.box.faults.add({ op: 'box.commit', nth: 1, times: 2, action: { type: 'status', status: 400, body: mismatch } });
    const waits: number[] = [];
    const path = localFile(w, 'f.bin', CHUNKED);
    const id = await addJob(w, path, '/f.bin');

    expect(await runJobs(w, boxProtocol(w, { sleep: fastSleep(25, waits) }), [id])).toEqual([{ jobId: id, state: 'done' }]);

    expect(calls(w, 'box.commit', 400)).toHaveLength(2);
    expect(calls(w, 'box.commit', 201)).toHaveLength(1);
    expect(waits).toEqual([2_000, 2_000]);
    expect(retryReasons(w)).toEqual([]);
    expect(w.box.files()[0]?.sha1).toBe(sha1Of(path));
  });

  it('stops re-committing after 10 parts_mismatch answers in a row', async () => {
    const w = await world();
    const body = { type: 'error', status: 400, code: 'parts_mismatch', message: 'No matching part found on server for {}' };
    w.box.faults.add({ op: 'box.commit', times: Infinity, action: { type: 'status', status: 400, body } });
    const id = await addJob(w, localFile(w, 'f.bin', CHUNKED), '/f.bin');

    const [outcome] = await runJobs(w, boxProtocol(w, { sleep: fastSleep(1) }), [id], { maxAttempts: 0 });

    expect(outcome).toMatchObject({ state: 'failed', message: expect.stringContaining('parts_mismatch') });
    expect(calls(w, 'box.commit')).toHaveLength(10);
  });
});

describe('Box name conflicts', () => {
  it('"version": a taken name gets a new version, for chunked and for plain uploads', async () => {
    const w = await world();
    const protocol = boxProtocol(w);
    const [big1, big2] = [localFile(w, 'big1', CHUNKED), localFile(w, 'big2', CHUNKED)];
    const [small1, small2] = [localFile(w, 'small1', 2 * MiB), localFile(w, 'small2', 2 * MiB + 1)];
    const first = [await addJob(w, big1, '/dup.bin'), await addJob(w, small1, '/notes.txt')];
    expect((await runJobs(w, protocol, first)).map((o) => o.state)).toEqual(['done', 'done']);

    const second = [await addJob(w, big2, '/dup.bin'), await addJob(w, small2, '/notes.txt')];
    expect((await runJobs(w, protocol, second)).map((o) => o.state)).toEqual(['done', 'done']);

    const files = new Map(w.box.files().map((f) => [f.name, f]));
    expect(files.size).toBe(2);
    expect(files.get('dup.bin')).toMatchObject({ versions: 2, sha1: sha1Of(big2) });
    expect(files.get('notes.txt')).toMatchObject({ versions: 2, sha1: sha1Of(small2), size: 2 * MiB + 1 });
    const dupId = files.get('dup.bin')!.id;
    const notesId = files.get('notes.txt')!.id;
    expect(calls(w, 'box.create', 409)).toHaveLength(1);
    expect(calls(w, 'box.create', 201).map((r) => r.path)).toContain(`/api/2.0/files/${dupId}/upload_sessions`);
    expect(calls(w, 'box.upload', 409)).toHaveLength(1);
    expect(calls(w, 'box.upload', 201).map((r) => r.path)).toContain(`/api/2.0/files/${notesId}/content`);
  });

  it('"rename": a taken name becomes "name (1).ext", then "name (2).ext"', async () => {
    const w = await world();
    const protocol = boxProtocol(w, { conflictPolicy: 'rename' });
    const bigs = [localFile(w, 'b1', CHUNKED), localFile(w, 'b2', CHUNKED), localFile(w, 'b3', CHUNKED)];
    const smalls = [localFile(w, 's1', 1000), localFile(w, 's2', 2000)];
    for (const path of bigs) expect((await runJobs(w, protocol, [await addJob(w, path, '/dup.bin')]))[0]?.state).toBe('done');
    for (const path of smalls) expect((await runJobs(w, protocol, [await addJob(w, path, '/notes.txt')]))[0]?.state).toBe('done');

    const byName = new Map(w.box.files().map((f) => [f.name, f]));
    expect([...byName.keys()].sort()).toEqual(['dup (1).bin', 'dup (2).bin', 'dup.bin', 'notes (1).txt', 'notes.txt']);
    expect(byName.get('dup.bin')?.sha1).toBe(sha1Of(bigs[0]!));
    expect(byName.get('dup (1).bin')?.sha1).toBe(sha1Of(bigs[1]!));
    expect(byName.get('dup (2).bin')?.sha1).toBe(sha1Of(bigs[2]!));
    expect(byName.get('notes (1).txt')?.sha1).toBe(sha1Of(smalls[1]!));
    expect(w.box.files().every((f) => f.versions === 1)).toBe(true);
  });

  it('"skip": the job fails with a clear message and no session is opened', async () => {
    const w = await world();
    const protocol = boxProtocol(w, { conflictPolicy: 'skip' });
    const first = [await addJob(w, localFile(w, 'b1', CHUNKED), '/dup.bin'), await addJob(w, localFile(w, 's1', 100), '/notes.txt')];
    expect((await runJobs(w, protocol, first)).map((o) => o.state)).toEqual(['done', 'done']);

    const second = [await addJob(w, localFile(w, 'b2', CHUNKED), '/dup.bin'), await addJob(w, localFile(w, 's2', 100), '/notes.txt')];
    const outcomes = await runJobs(w, protocol, second);

    for (const [index, remotePath] of ['/dup.bin', '/notes.txt'].entries()) {
      const message = `Skipped: "${remotePath}" already exists at the destination and the conflict policy is "skip".`;
      expect(outcomes[index]).toEqual({ jobId: second[index], state: 'failed', message });
      expect(w.store.jobs.get(second[index]!)).toMatchObject({ state: 'failed', errorCode: 'skipped', errorMessage: message });
    }
    expect(w.box.sessions()).toHaveLength(1);
    expect(w.box.files().every((f) => f.versions === 1)).toBe(true);
  });

  it('a name taken between create and commit replaces the session and ends as a new version', async () => {
    const w = await world();
    const protocol = boxProtocol(w);
    let isTaken = false;
    const intruding = delegate(protocol, {
      commit: async (session, parts, target, local, signal) => {
        if (!isTaken) {
          isTaken = true;
          await protocol.uploadWhole({ remotePath: target.remotePath, sizeBytes: 5, mtimeMs: Date.now() }, bytesOf('other'), signal);
        }
        return protocol.commit(session, parts, target, local, signal);
      },
    });
    const path = localFile(w, 'f.bin', CHUNKED);
    const id = await addJob(w, path, '/f.bin');

    expect(await runJobs(w, intruding, [id])).toEqual([{ jobId: id, state: 'done' }]);

    expect(w.box.files()).toMatchObject([{ name: 'f.bin', versions: 2, sha1: sha1Of(path) }]);
    expect(w.box.sessions().map((s) => s.state)).toEqual(['aborted', 'committed']);
    expect(w.box.sessions()[1]?.fileId).toBe(w.box.files()[0]?.id);
    expect(w.store.sessions.countForJob(id)).toBe(2);
    expect(w.store.jobs.get(id)?.restartReason).toContain('appeared at the destination during the upload');
  });
});

describe('Box folders (--remote-dir)', () => {
  it('walks and creates the target folders, reusing existing ones, under the configured root', async () => {
    const w = await world();
    const existingA = w.box.addFolder('A');
    const protocol = boxProtocol(w);
    const small = localFile(w, 'small.bin', 1000);
    const big = localFile(w, 'big.bin', CHUNKED);
    const ids = [await addJob(w, small, '/A/B/small.bin'), await addJob(w, big, '/A/B/C/big.bin')];

    expect((await runJobs(w, protocol, ids)).map((o) => o.state)).toEqual(['done', 'done']);

    const folders = w.box.folders();
    const b = folders.filter((f) => f.name === 'B');
    const c = folders.filter((f) => f.name === 'C');
    expect(folders).toHaveLength(3);
    expect(b).toMatchObject([{ parentId: existingA }]);
    expect(c).toMatchObject([{ parentId: b[0]!.id }]);
    const files = new Map(w.box.files().map((f) => [f.name, f]));
    expect(files.get('small.bin')).toMatchObject({ folderId: b[0]!.id, sha1: sha1Of(small) });
    expect(files.get('big.bin')).toMatchObject({ folderId: c[0]!.id, sha1: sha1Of(big) });

    const root = w.box.addFolder('Hoist');
    const rooted = boxProtocol(w, { folderId: root });
    const id = await addJob(w, small, '/A/x.bin');
    expect((await runJobs(w, rooted, [id]))[0]?.state).toBe('done');
    const newA = w.box.folders().find((f) => f.name === 'A' && f.parentId === root);
    expect(w.box.files().find((f) => f.name === 'x.bin')?.folderId).toBe(newA?.id);
  });

  it('two adapters racing to create one folder both end with its id (409 → the conflicting folder), then use the cache', async () => {
    const w = await world();
    // Both lookups are answered only after both were sent, so both find nothing and both try to create. The emulator
    // shares this process: on a loaded machine the second lookup can arrive a second after the first, hence 3 s.
    w.box.faults.add({ op: 'box.api', times: 2, action: { type: 'delay', ms: 3_000 } });
    const [one, two] = [boxProtocol(w), boxProtocol(w)];

    const [id1, id2] = await Promise.all([one.ensureFolderPath('/Shared'), two.ensureFolderPath('/Shared')]);

    expect(id1).toBe(id2);
    expect(w.box.folders()).toEqual([{ id: id1, name: 'Shared', parentId: '0' }]);
    expect(calls(w, 'box.api', 409)).toHaveLength(1);
    const before = w.box.requests.length;
    expect(await one.ensureFolderPath('/Shared')).toBe(id1);
    expect(w.box.requests.length).toBe(before);
  });
});

describe('Box resume and faults', () => {
  it('resumes a failed job on the same session, sending only the parts Box does not hold', async () => {
    const w = await world();
    const protocol = boxProtocol(w);
    const path = localFile(w, 'big.bin', BIG);
    const id = await addJob(w, path, '/big.bin');
    w.box.faults.add({ op: 'box.part', nth: 3, times: Infinity, action: { type: 'status', status: 500 } });

    const [failed] = await runJobs(w, protocol, [id], { maxAttempts: 3 });
    expect(failed).toMatchObject({ state: 'failed', message: expect.stringContaining('HTTP 500') });
    expect(w.store.jobs.get(id)?.errorCode).toBe('retries-exhausted');
    const storedBefore = w.box.sessions()[0]!.partsStored;
    expect(storedBefore).toBe(2);

    w.box.faults.clear();
    w.store.jobs.resume([id], Date.now());
    expect(await runJobs(w, protocol, [id])).toEqual([{ jobId: id, state: 'done' }]);

    expect(w.box.sessions()).toMatchObject([{ state: 'committed', partsStored: 6, bytesReceivedTotal: BIG }]);
    expect(calls(w, 'box.part', 200)).toHaveLength(6);
    expect(w.store.sessions.countForJob(id)).toBe(1);
    expect(w.box.files()[0]?.sha1).toBe(sha1Of(path));
  });

  it('re-sends a part Box lost between runs', async () => {
    const w = await world();
    const protocol = boxProtocol(w);
    const path = localFile(w, 'big.bin', BIG);
    const id = await addJob(w, path, '/big.bin');
    w.box.faults.add({ op: 'box.commit', times: Infinity, action: { type: 'status', status: 500 } });
    expect((await runJobs(w, protocol, [id], { maxAttempts: 2 }))[0]?.state).toBe('failed');
    const session = w.box.sessions()[0]!;
    expect(session.partsStored).toBe(6);

    w.box.dropPart(session.id, PART);
    w.box.faults.clear();
    w.store.jobs.resume([id], Date.now());
    expect(await runJobs(w, protocol, [id])).toEqual([{ jobId: id, state: 'done' }]);

    expect(w.box.sessions()).toMatchObject([{ state: 'committed', bytesReceivedTotal: BIG + PART }]);
    expect(calls(w, 'box.part', 200)).toHaveLength(7);
    expect(w.box.files()).toMatchObject([{ sha1: sha1Of(path), versions: 1 }]);
  });

  it('replaces an expired session with a new one', async () => {
    const w = await world();
    const protocol = boxProtocol(w);
    const path = localFile(w, 'big.bin', BIG);
    const id = await addJob(w, path, '/big.bin');
    w.box.faults.add({ op: 'box.commit', times: Infinity, action: { type: 'status', status: 500 } });
    expect((await runJobs(w, protocol, [id], { maxAttempts: 2 }))[0]?.state).toBe('failed');

    w.box.expireSession(w.box.sessions()[0]!.id);
    w.box.faults.clear();
    w.store.jobs.resume([id], Date.now());
    expect(await runJobs(w, protocol, [id])).toEqual([{ jobId: id, state: 'done' }]);

    expect(w.box.sessions().map((s) => s.state)).toEqual(['expired', 'committed']);
    expect(w.store.sessions.countForJob(id)).toBe(2);
    expect(w.store.jobs.get(id)?.restartReason).toContain('the Box upload session expired');
    expect(w.box.files()).toMatchObject([{ sha1: sha1Of(path), versions: 1 }]);
  });

  it('rides out 429 + Retry-After and 5xx answers on every kind of call', async () => {
    const w = await world();
    w.box.faults
      .add({ op: 'box.create', action: { type: 'status', status: 500 } })
      .add({ op: 'box.part', nth: 2, action: { type: 'status', status: 429, retryAfterSec: 3 } })
      .add({ op: 'box.part', nth: 5, action: { type: 'status', status: 503 } })
      .add({ op: 'box.status', action: { type: 'status', status: 504 } })
      .add({ op: 'box.commit', action: { type: 'status', status: 502 } });
    const path = localFile(w, 'big.bin', BIG);
    const id = await addJob(w, path, '/big.bin');

    expect(await runJobs(w, boxProtocol(w), [id])).toEqual([{ jobId: id, state: 'done' }]);

    const retrying = w.events.flatMap((e) => (e.type === 'job-retrying' ? [e] : []));
    expect(retrying.find((e) => e.reason.includes('HTTP 429'))?.delayMs).toBeGreaterThanOrEqual(3_000);
    for (const status of [500, 503, 504, 502]) expect(transientReasons(w).some((r) => r.includes(`HTTP ${status}`))).toBe(true);
    expect(w.box.faults.fired).toHaveLength(5);
    expect(w.box.sessions()).toMatchObject([{ state: 'committed', bytesReceivedTotal: BIG }]);
    expect(w.box.files()[0]?.sha1).toBe(sha1Of(path));
  });

  it('survives a connection reset mid-part and malformed JSON replies; a commit whose answer was lost is recognised', async () => {
    const w = await world();
    w.box.faults
      // The reset part is sent again at once (a later request); two unreadable replies in a row are within the two
      // quick retries a job gets without progress.
      .add({ op: 'box.part', nth: 2, action: { type: 'reset-mid-body', afterBytes: MiB } })
      .add({ op: 'box.part', nth: 3, action: { type: 'malformed-json' } })
      .add({ op: 'box.commit', action: { type: 'malformed-json' } });
    const path = localFile(w, 'big.bin', BIG);
    const id = await addJob(w, path, '/big.bin');

    expect(await runJobs(w, boxProtocol(w), [id])).toEqual([{ jobId: id, state: 'done' }]);

    expect(w.box.faults.fired).toHaveLength(3);
    expect(retryReasons(w).filter((r) => r.includes('malformed'))).toHaveLength(2);
    expect(calls(w, 'box.part', 0)).toHaveLength(1);
    // The part whose reply was malformed was stored: adopted from the part list, not sent again.
    expect(w.box.sessions()).toMatchObject([{ state: 'committed', partsStored: 6, bytesReceivedTotal: BIG }]);
    expect(w.box.files()).toMatchObject([{ sha1: sha1Of(path), versions: 1 }]);
    expect(w.store.jobs.get(id)?.remoteItem).toMatchObject({ hashes: { sha1Hex: sha1Of(path) } });
  });

  it('a commit that went through just before a kill, or whose answer was given up on, is recognised from the local SHA-1', async () => {
    const w = await world();
    const size = CHUNKED;
    const path = localFile(w, 'killed.bin', size);
    const bytes = readFileSync(path);
    const target = { remotePath: '/killed.bin', sizeBytes: size, mtimeMs: Date.now() };
    const signal = new AbortController().signal;
    const before = boxProtocol(w);
    const session = await before.createSession(target, signal);
    for (let offset = 0; offset < size; offset += session.partSizeBytes) {
      const part = bytes.subarray(offset, offset + session.partSizeBytes);
      await before.uploadPart(session, { partIndex: offset / session.partSizeBytes, offsetBytes: offset, sizeBytes: part.length, data: bytesOf(part) }, target, signal);
    }
    const sha1Base64 = async () => createHash('sha1').update(bytes).digest('base64');
    await before.commit(session, [], target, { sha1Base64 }, signal);
    // The process that sent the commit died before recording it: a new one knows only the session.
    const after = boxProtocol(w);
    expect(await after.queryServerState(session, target, signal, { sha1Base64 })).toMatchObject({ kind: 'completed', item: { sizeBytes: size, hashes: { sha1Hex: sha1Of(path) } } });
    const otherSha1 = async () => createHash('sha1').update('other bytes').digest('base64');
    expect(await after.queryServerState(session, target, signal, { sha1Base64: otherSha1 })).toMatchObject({ kind: 'gone' });
    expect(await after.queryServerState(session, target, signal)).toMatchObject({ kind: 'gone' });
    // A commit sent again (the first one's answer never came): Box says 404, the file says done.
    expect(await after.commit(session, [], target, { sha1Base64 }, signal)).toMatchObject({ sizeBytes: size, hashes: { sha1Hex: sha1Of(path) } });
    await expect(after.commit(session, [], target, { sha1Base64: otherSha1 }, signal)).rejects.toMatchObject({ failure: { kind: 'session-expired' } });
    expect(w.box.files()).toMatchObject([{ versions: 1 }]);
  });

  it('pages list_parts past 1,000 entries when resuming and when building the commit from the server list', async () => {
    // Driven through the adapter's own calls: 1,000+ parts through the engine would mostly measure its bookkeeping.
    const w = await world({ partSizeBytes: () => 19_980, listPartsTotalCount: 'expected' });
    const protocol = boxProtocol(w);
    const size = 20_000_000; // 1,001 parts of 19,980 bytes + one of 20
    const path = localFile(w, 'many.bin', size);
    const bytes = readFileSync(path);
    const target = { remotePath: '/many.bin', sizeBytes: size, mtimeMs: Date.now() };
    const signal = new AbortController().signal;
    const session = await protocol.createSession(target, signal);
    expect(session.partSizeBytes).toBe(19_980);
    const offsets = Array.from({ length: 1002 }, (_, i) => i * 19_980);
    const send = async (offset: number) => {
      const part = bytes.subarray(offset, offset + 19_980);
      await protocol.uploadPart(session, { partIndex: offset / 19_980, offsetBytes: offset, sizeBytes: part.length, data: bytesOf(part) }, target, signal);
    };
    for (let i = 0; i < 1001; i += 10) await Promise.all(offsets.slice(i, Math.min(i + 10, 1001)).map(send));

    const listsBefore = calls(w, 'box.list').length;
    const state = await protocol.queryServerState(session, target, signal);
    expect(calls(w, 'box.list').length - listsBefore).toBe(3); // 1,000 + 1 + an empty page (total_count is the expected 1,002)
    if (state.kind !== 'open') throw new Error(`unexpected state ${state.kind}`);
    expect(state.received).toHaveLength(1001);
    expect(state.partReplies?.size).toBe(1001);
    expect(state.received.at(-1)).toEqual({ startBytes: 1000 * 19_980, endBytes: 1001 * 19_980 });

    await send(offsets[1001]!);
    const sha1Base64 = async () => createHash('sha1').update(bytes).digest('base64');
    // No stored replies at all: the commit takes every part from the server's (paged) list.
    const item = await protocol.commit(session, [], target, { sha1Base64 }, signal);
    expect(item).toMatchObject({ name: 'many.bin', sizeBytes: size, hashes: { sha1Hex: sha1Of(path) } });
    expect(w.box.sessions()).toMatchObject([{ state: 'committed', totalParts: 1002, partsStored: 1002, bytesReceivedTotal: size }]);
  });

  it('cancel discards the server session', async () => {
    const w = await world({ throughputBytesPerSec: 40 * MiB });
    const id = await addJob(w, localFile(w, 'big.bin', BIG), '/big.bin');
    const running = scheduler(w, boxProtocol(w)).run([id]);
    await waitFor(() => w.events.some((e) => e.type === 'part-acked'), 30_000, 'a first acknowledged part');

    w.store.jobs.setState(id, 'cancelled', Date.now());

    expect(await running).toEqual([{ jobId: id, state: 'cancelled' }]);
    expect(w.box.sessions()).toMatchObject([{ state: 'aborted' }]);
    expect(calls(w, 'box.abort', 204)).toHaveLength(1);
    expect(w.box.files()).toEqual([]);
  });
});

describe('Box errors that retrying cannot fix', () => {
  const cases: Array<{ name: string; opts: Partial<BoxEmulatorOptions>; token?: string; code: string; text: string }> = [
    { name: 'storage quota', opts: { storageQuotaBytes: 10_000_000 }, code: 'quota', text: 'no storage space left' },
    { name: 'per-file size limit', opts: { maxFileSizeBytes: 20_500_000 }, code: 'file-too-large', text: 'bigger than this Box account allows' },
    { name: 'below the chunked minimum', opts: { minChunkedFileBytes: 30_000_000 }, code: 'file-too-small', text: 'file_size_too_small' },
    { name: 'a refused token', opts: {}, token: 'wrong-token', code: 'auth-failed', text: 'Box refused the access token' },
  ];
  it.each(cases)('$name → the job fails at once with a clear message', async ({ opts, token, code, text }) => {
    const w = await world(opts);
    const id = await addJob(w, localFile(w, 'f.bin', CHUNKED), '/f.bin');

    const [outcome] = await runJobs(w, boxProtocol(w, token ? { accessToken: async () => token } : {}), [id]);

    expect(outcome).toMatchObject({ state: 'failed', message: expect.stringContaining(text) });
    expect(w.store.jobs.get(id)?.errorCode).toBe(code);
    expect(calls(w, 'box.create')).toHaveLength(1);
  });
});

describe('Box error classification (protocols.md §1.4)', () => {
  const reply = (status: number, code?: string, headers: Record<string, string> = {}) => ({
    status,
    headers,
    text: code ? JSON.stringify({ type: 'error', status, code, message: 'm' }) : '',
    retryAfterMs: headers['retry-after'] ? Number(headers['retry-after']) * 1000 : undefined,
  });
  const rows: Array<[number, string | undefined, BoxCallSite, string, Record<string, string>?]> = [
    [401, undefined, 'part', 'auth', { 'www-authenticate': 'Bearer error="expired_token"' }],
    [429, 'rate_limit_exceeded', 'part', 'rate-limited', { 'retry-after': '7' }],
    [500, 'internal_server_error', 'commit', 'retry'],
    [503, 'unavailable', 'create', 'retry'],
    [410, 'session_expired', 'part', 'session-expired'],
    [410, 'upload_failed', 'commit', 'session-expired'],
    [404, 'not_found', 'part', 'session-expired'],
    [400, 'invalid_upload_session_id', 'session', 'session-expired'],
    [416, 'range_overlaps_existing_part', 'part', 'retry'],
    [416, 'requested_range_not_satisfiable', 'part', 'session-expired'],
    [412, 'precondition_failed', 'part', 'retry'],
    [400, 'request_size_mismatch', 'part', 'retry'],
    [409, 'conflict', 'part', 'retry'],
    [409, 'name_temporarily_reserved', 'create', 'retry'],
    [400, 'parts_mismatch', 'commit', 'retry'],
    [400, 'digest_mismatch', 'commit', 'session-expired'],
    [400, 'file_size_too_small', 'create', 'fatal'],
    [403, 'storage_limit_exceeded', 'create', 'fatal'],
    [403, 'file_size_limit_exceeded', 'create', 'fatal'],
    [403, 'access_denied_insufficient_permissions', 'create', 'fatal'],
    [413, 'request_entity_too_large', 'commit', 'fatal'],
    [400, 'item_name_invalid', 'create', 'fatal'],
  ];
  it.each(rows)('%i %s at %s → %s', (status, code, site, kind, headers) => {
    const failure = classifyBox(reply(status, code, headers), code, 'reason', site);
    expect(failure.kind).toBe(kind);
    if (failure.kind === 'rate-limited') expect(failure.retryAfterMs).toBe(7_000);
  });
});
