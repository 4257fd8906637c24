/** The Apideck adapter driven through the real scheduler, engine and SQLite store, against the Apideck emulator. */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diskFileSource } from '../../main/engine/file-source.js';
import type { EngineEvent } from '../../main/engine/engine-events.js';
import { Scheduler, type JobOutcome } from '../../main/engine/scheduler.js';
import { ApideckProtocol, type ApideckConfig } from '../../main/protocols/apideck-protocol.js';
import { Store } from '../../main/store/store.js';
import { ApideckEmulator, type ApideckEmulatorOptions, type ApideckRequestLogEntry } from '../emulators/apideck-emulator.js';
import { removeDir, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;

interface Rig {
  emu: ApideckEmulator;
  protocol: ApideckProtocol;
  store: Store;
  work: string;
  events: EngineEvent[];
  delaysMs: number[];
  addJob(localPath: string, remotePath: string): Promise<number>;
  run(ids: number[]): Promise<JobOutcome[]>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function rig(emuOpts: Partial<ApideckEmulatorOptions> = {}, config: Partial<ApideckConfig> = {}): Promise<Rig> {
  const work = tempDir('apideck');
  const emu = await ApideckEmulator.start({ storageDir: join(work, 'server'), ...emuOpts });
  const store = Store.open(join(work, 'hoist.db'));
  cleanups.push(async () => {
    store.close();
    await emu.close();
    removeDir(work);
  });
  const protocol = new ApideckProtocol({
    endpoint: emu.url,
    appId: 'test-app',
    consumerId: 'test-consumer',
    folderId: 'root',
    accessToken: async () => 'apideck-test-key',
    ...config,
  });
  const dest = store.destinations.add('apideck', 'apideck', {}, Date.now());
  const events: EngineEvent[] = [];
  const delaysMs: number[] = [];
  const scheduler = new Scheduler({
    store,
    files: diskFileSource,
    protocolFor: () => protocol,
    nowMs: Date.now,
    rand: Math.random,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        delaysMs.push(ms);
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal.reason);
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, Math.min(ms, 20));
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    events: (e) => events.push(e),
    holder: { pid: process.pid, startTime: null },
    isHolderAlive: () => false,
  });
  return {
    emu, protocol, store, work, events, delaysMs,
    async addJob(localPath, remotePath) {
      return store.jobs.create({ ...(await diskFileSource.identity(localPath)), destinationId: dest.id, localPath, remotePath }, Date.now()).id;
    },
    run: (ids) => scheduler.run(ids),
  };
}

async function sha1Hex(path: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sha1B64 = (b: Buffer): string => createHash('sha1').update(b).digest('base64');
const partNumbers = (log: readonly ApideckRequestLogEntry[]): number[] =>
  log.filter((r) => r.op === 'apideck.part').map((r) => Number(new URL(r.path, 'http://x').searchParams.get('part_number')));
const reasons = (r: Rig, type: 'job-retrying' | 'job-restarted' | 'part-failed'): string[] =>
  r.events.flatMap((e) => (e.type === type ? [e.reason] : []));
/** Transient failures: a part sent again at once (part-failed) or a whole attempt retried (job-retrying). */
const transientReasons = (r: Rig): string[] => [...reasons(r, 'part-failed'), ...reasons(r, 'job-retrying')];

async function uploadOk(r: Rig, localPath: string, remotePath = '/f.bin'): Promise<number> {
  const id = await r.addJob(localPath, remotePath);
  const [outcome] = await r.run([id]);
  expect(outcome).toMatchObject({ state: 'done' });
  const file = r.emu.files().find((f) => f.name === remotePath.slice(1));
  expect(file?.sha1).toBe(await sha1Hex(localPath));
  return id;
}

/** Uploads until the fault stops every PUT after `goodParts` parts; the job then fails (retries exhausted). */
async function failAfter(r: Rig, localPath: string, goodParts: number): Promise<number> {
  r.emu.faults.add({ op: 'apideck.part', nth: goodParts + 1, times: Infinity, action: { type: 'reset' } });
  const id = await r.addJob(localPath, '/f.bin');
  const [outcome] = await r.run([id]);
  expect(outcome).toMatchObject({ state: 'failed' });
  expect(r.store.jobs.get(id)!.errorCode).toBe('retries-exhausted');
  expect(r.emu.sessions()[0]!.partsStored).toEqual([...Array(goodParts).keys()]);
  r.emu.faults.clear();
  r.store.jobs.resume([id], Date.now());
  return id;
}

describe('Apideck upload sessions through the engine', () => {
  it('sequential connector (onedrive, 10 MiB parts, no parallel): one PUT at a time, byte-identical, required headers', async () => {
    const r = await rig({ connector: 'onedrive', parallelUploadSupported: false }, { serviceId: 'onedrive' });
    const file = join(r.work, 'big.bin');
    const size = 35 * 1000 * 1000 + 123;
    writeRandomFile(file, size);
    const id = await uploadOk(r, file, '/big.bin');
    const [session] = r.emu.sessions();
    expect(session).toMatchObject({ partSizeBytes: 10 * MiB, partsStored: [0, 1, 2, 3], maxConcurrentPuts: 1, bytesReceivedTotal: size, state: 'finished' });
    expect(r.protocol.maxParallelPartsFor({ sessionUrl: null, remoteSessionId: "s", partSizeBytes: 1, expiresAtMs: null, extra: { parallelUploadSupported: false } })).toBe(1);
    expect(partNumbers(r.emu.requests)).toEqual([0, 1, 2, 3]);
    for (const req of r.emu.requests) {
      expect(req.headers).toMatchObject({ 'x-apideck-app-id': 'test-app', 'x-apideck-consumer-id': 'test-consumer', 'x-apideck-service-id': 'onedrive', digest: undefined });
    }
    expect(r.emu.requests.map((q) => q.op)).toEqual(['apideck.create', 'apideck.get', ...Array(4).fill('apideck.part'), 'apideck.finish']);
    const stored = r.emu.files()[0]!;
    expect(stored).toMatchObject({ name: 'big.bin', parentFolderId: 'root', size });
    expect(r.store.jobs.get(id)!.remoteItem).toMatchObject({ id: stored.id, sizeBytes: size });
  });

  it('box connector: parts in parallel, a SHA-1 digest on every part and the whole-file digest on finish', async () => {
    const r = await rig({ connector: 'box', partSizeBytes: MiB, throughputBytesPerSec: 48 * MiB }, { serviceId: 'box' });
    const file = join(r.work, 'box.bin');
    writeRandomFile(file, 9 * MiB + 512 * 1024);
    await uploadOk(r, file);
    const [session] = r.emu.sessions();
    expect(session!.maxConcurrentPuts).toBeGreaterThan(1);
    expect(session!.maxConcurrentPuts).toBeLessThanOrEqual(4);
    expect(r.protocol.maxParallelPartsFor({ sessionUrl: null, remoteSessionId: "s", partSizeBytes: 1, expiresAtMs: null, extra: { parallelUploadSupported: true } })).toBe(4);
    const bytes = readFileSync(file);
    const puts = r.emu.requests.filter((q) => q.op === 'apideck.part');
    expect(puts).toHaveLength(10);
    for (const put of puts) {
      const n = Number(new URL(put.path, 'http://x').searchParams.get('part_number'));
      expect(put.headers.digest).toBe(`sha=${sha1B64(bytes.subarray(n * MiB, (n + 1) * MiB))}`);
    }
    expect(r.emu.requests.find((q) => q.op === 'apideck.finish')!.headers.digest).toBe(`sha=${sha1B64(bytes)}`);
  });

  it('empty and 1-byte files, on a streaming connector and on box', async () => {
    for (const connector of ['onedrive', 'box'] as const) {
      const r = await rig({ connector }, { serviceId: connector });
      const empty = join(r.work, 'empty.bin');
      const one = join(r.work, 'one.bin');
      writeFileSync(empty, '');
      writeFileSync(one, 'x');
      const ids = [await r.addJob(empty, '/empty.bin'), await r.addJob(one, '/one.bin')];
      expect((await r.run(ids)).map((o) => o.state)).toEqual(['done', 'done']);
      const files = new Map(r.emu.files().map((f) => [f.name, f]));
      expect(files.get('empty.bin')).toMatchObject({ size: 0, sha1: await sha1Hex(empty) });
      expect(files.get('one.bin')).toMatchObject({ size: 1, sha1: await sha1Hex(one) });
      const emptySession = r.emu.sessions().find((s) => s.name === 'empty.bin')!;
      expect(emptySession).toMatchObject({ sizeBytes: 0, partsStored: [], state: 'finished' });
      expect(r.emu.requests.filter((q) => q.op === 'apideck.part')).toHaveLength(1);
    }
  });

  it('a box connector the configuration did not name: learns from the server that digests are required', async () => {
    const r = await rig({ connector: 'box', partSizeBytes: MiB });
    const file = join(r.work, 'f.bin');
    writeRandomFile(file, 2 * MiB + 7);
    await uploadOk(r, file);
    expect(transientReasons(r)[0]).toMatch(/HTTP 400 ConnectorExecutionError.*missing_digest/);
  });

  it('resume after giving up: the same session, only the missing parts are sent again', async () => {
    const r = await rig({ connector: 'onedrive', partSizeBytes: MiB });
    const file = join(r.work, 'f.bin');
    const size = 5 * MiB + MiB / 2;
    writeRandomFile(file, size);
    const id = await failAfter(r, file, 2);
    const logged = r.emu.requests.length;
    const [outcome] = await r.run([id]);
    expect(outcome).toMatchObject({ state: 'done' });
    expect(r.emu.files()[0]!.sha1).toBe(await sha1Hex(file));
    const sessions = r.emu.sessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.state).toBe('finished');
    expect(partNumbers(r.emu.requests.slice(logged))).toEqual([2, 3, 4, 5]);
    expect(sessions[0]!.bytesReceivedTotal).toBeLessThanOrEqual(size + MiB);
  });

  it('a part the server lost between runs is sent again', async () => {
    const r = await rig({ connector: 'onedrive', partSizeBytes: MiB });
    const file = join(r.work, 'f.bin');
    writeRandomFile(file, 5 * MiB + 1);
    const id = await failAfter(r, file, 3);
    r.emu.dropPart(r.emu.sessions()[0]!.id, 1);
    const logged = r.emu.requests.length;
    const [outcome] = await r.run([id]);
    expect(outcome).toMatchObject({ state: 'done' });
    expect(r.emu.files()[0]!.sha1).toBe(await sha1Hex(file));
    // uploaded_byte_range is the contiguous prefix, so part 2 (held but after the gap) is re-sent too; part 0 is not.
    expect(partNumbers(r.emu.requests.slice(logged))).toEqual([1, 2, 3, 4, 5]);
  });

  it('finish refused because the server lost a part after it was acknowledged: re-syncs and re-sends it', async () => {
    const r = await rig({ connector: 'onedrive', partSizeBytes: MiB });
    const file = join(r.work, 'f.bin');
    writeRandomFile(file, 3 * MiB + 5);
    r.emu.faults.add({ op: 'apideck.finish', action: { type: 'delay', ms: 400 } });
    const id = await r.addJob(file, '/f.bin');
    const running = r.run([id]);
    await waitFor(() => r.emu.sessions()[0]?.partsStored.length === 4, 10_000, 'all parts stored');
    r.emu.dropPart(r.emu.sessions()[0]!.id, 2);
    expect((await running)[0]).toMatchObject({ state: 'done' });
    expect(r.emu.files()[0]!.sha1).toBe(await sha1Hex(file));
    expect(reasons(r, 'job-retrying').some((m) => /finish refused: the server holds 0-2097151 of 3145733 bytes/.test(m))).toBe(true);
    expect(partNumbers(r.emu.requests)).toEqual([0, 1, 2, 3, 2, 3]);
  });

  it('an expired session is replaced by a new one, between runs and mid-run (404 on a part)', async () => {
    const r = await rig({ connector: 'onedrive', partSizeBytes: MiB });
    const file = join(r.work, 'f.bin');
    writeRandomFile(file, 4 * MiB + 3);
    const id = await failAfter(r, file, 2);
    r.emu.expireSession(r.emu.sessions()[0]!.id);
    expect((await r.run([id]))[0]).toMatchObject({ state: 'done' });
    expect(r.emu.sessions().map((s) => s.state)).toEqual(['expired', 'finished']);
    expect(r.store.jobs.get(id)!.restartReason).toMatch(/expired or is unknown to Apideck; started a new session/);
    expect(r.emu.files()[0]!.sha1).toBe(await sha1Hex(file));

    r.emu.faults.add({ op: 'apideck.part', nth: 2, action: { type: 'status', status: 404 } });
    await uploadOk(r, file, '/g.bin');
    expect(r.emu.sessions().filter((s) => s.name === 'g.bin')).toHaveLength(2);
    expect(reasons(r, 'job-restarted').some((m) => /HTTP 404 EntityNotFoundError/.test(m))).toBe(true);
  });

  it('429 with Retry-After is waited out as told; 503 is retried with the downstream message', async () => {
    const r = await rig({ connector: 'onedrive', partSizeBytes: MiB });
    const file = join(r.work, 'f.bin');
    writeRandomFile(file, 4 * MiB);
    r.emu.faults.add({ op: 'apideck.part', nth: 2, action: { type: 'status', status: 429, retryAfterSec: 3 } });
    r.emu.faults.add({ op: 'apideck.part', nth: 3, action: { type: 'status', status: 503 } });
    r.emu.faults.add({ op: 'apideck.finish', action: { type: 'status', status: 502 } });
    await uploadOk(r, file);
    expect(r.delaysMs.filter((d) => d >= 3000)).toHaveLength(1);
    const why = reasons(r, 'job-retrying');
    expect(why.some((m) => /HTTP 429 ConnectorRateLimitError/.test(m))).toBe(true);
    expect(why.some((m) => /HTTP 503 ConnectorExecutionError .*downstream: Service Unavailable \[503\]/.test(m))).toBe(true);
    expect(why.some((m) => /finishing the upload: HTTP 502/.test(m))).toBe(true);
  });

  it('malformed JSON replies (session GET, a part, finish) are retried; work the server did is not redone', async () => {
    const r = await rig({ connector: 'onedrive', partSizeBytes: MiB });
    const file = join(r.work, 'f.bin');
    const size = 3 * MiB + 9;
    writeRandomFile(file, size);
    r.emu.faults.add({ op: 'apideck.get', nth: 1, action: { type: 'malformed-json' } });
    r.emu.faults.add({ op: 'apideck.part', nth: 2, action: { type: 'malformed-json' } });
    r.emu.faults.add({ op: 'apideck.finish', nth: 1, action: { type: 'malformed-json' } });
    const id = await uploadOk(r, file);
    expect(reasons(r, 'job-retrying').filter((m) => /malformed/.test(m))).toHaveLength(3);
    const sessions = r.emu.sessions();
    // The session whose GET reply was unreadable is cancelled rather than left to expire.
    expect(sessions.map((s) => s.state)).toEqual(['aborted', 'finished']);
    expect(sessions[1]!.bytesReceivedTotal).toBe(size);
    expect(r.emu.files()).toHaveLength(1);
    expect(r.store.jobs.get(id)!.remoteItem).toMatchObject({ id: '', sizeBytes: size });
  });

  it('connection reset mid-part and before the body: retried and completed', async () => {
    const r = await rig({ connector: 'box', partSizeBytes: MiB }, { serviceId: 'box', maxParallelParts: 2 });
    const file = join(r.work, 'f.bin');
    writeRandomFile(file, 4 * MiB + 100);
    r.emu.faults.add({ op: 'apideck.part', nth: 2, action: { type: 'reset-mid-body', afterBytes: 100_000 } });
    r.emu.faults.add({ op: 'apideck.part', nth: 4, action: { type: 'reset' } });
    await uploadOk(r, file);
    expect(transientReasons(r).some((m) => /network error/.test(m))).toBe(true);
  });

  it('configuration and credential problems fail at once with a clear message', async () => {
    const r = await rig({ connector: 'onedrive' }, { consumerId: '' });
    const file = join(r.work, 'f.bin');
    writeFileSync(file, 'hello');
    const id = await r.addJob(file, '/f.bin');
    const [outcome] = await r.run([id]);
    expect(outcome).toMatchObject({ state: 'failed' });
    expect(outcome!.message).toMatch(/no consumer id \(x-apideck-consumer-id\)/);
    expect(r.store.jobs.get(id)!.errorCode).toBe('invalid-argument');
    expect(r.emu.requests).toHaveLength(0);

    const wrongKey = await rig({ connector: 'onedrive', apiKey: 'another-key' });
    const job2 = await wrongKey.addJob(file, '/f.bin');
    const [refused] = await wrongKey.run([job2]);
    expect(refused).toMatchObject({ state: 'failed' });
    expect(refused!.message).toMatch(/HTTP 401 UnauthorizedError – Unauthorized Request: Invalid API key/);
    expect(wrongKey.store.jobs.get(job2)!.errorCode).toBe('auth-failed');

    const wrongService = await rig({ connector: 'onedrive' }, { serviceId: 'dropbox' });
    const job3 = await wrongService.addJob(file, '/f.bin');
    const [rejected] = await wrongService.run([job3]);
    expect(rejected!.message).toMatch(/HTTP 400 RequestValidationError – Invalid Params: No connection for service id 'dropbox'/);
    expect(wrongService.store.jobs.get(job3)!.errorCode).toBe('server-rejected');
    expect(wrongService.emu.requests).toHaveLength(1);
  });

  it('abort cancels the session; aborting again (404) is not an error', async () => {
    const r = await rig({ connector: 'onedrive', partSizeBytes: MiB });
    const signal = AbortSignal.timeout(10_000);
    const target = { remotePath: '/a.bin', sizeBytes: 3 * MiB, mtimeMs: 0 };
    const session = await r.protocol.createSession(target, signal);
    expect(session).toMatchObject({ partSizeBytes: MiB, extra: { parallelUploadSupported: false } });
    await r.protocol.abort(session, signal);
    expect(r.emu.sessions()[0]!.state).toBe('aborted');
    await r.protocol.abort(session, signal);
    expect(await r.protocol.queryServerState(session, target, signal)).toMatchObject({ kind: 'gone' });
  });
});
