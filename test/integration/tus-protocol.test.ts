/**
 * The tus adapter driven through the real scheduler, engine and SQLite store against the real @tus/server: through
 * `startReceiver` (what `hoist receive` runs) and through a bare `new Server({ path: '/files', datastore: FileStore })`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import { startReceiver } from '../../main/app/receive/receiver.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import type { EngineEvent } from '../../main/engine/engine-events.js';
import { Scheduler, type JobOutcome } from '../../main/engine/scheduler.js';
import { TusProtocol, type TusConfig } from '../../main/protocols/tus-protocol.js';
import { Store } from '../../main/store/store.js';
import { removeDir, sha256File, tempDir, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const MB30 = 30_000_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function workDir(): string {
  const work = tempDir('tus');
  cleanups.push(() => removeDir(work));
  return work;
}

// ---------------------------------------------------------------------------------------------------------------------
// The engine, in-process, as the brief of the port describes it.

interface Engine {
  store: Store;
  scheduler: Scheduler;
  events: EngineEvent[];
  addJob(localPath: string, remotePath: string): Promise<number>;
  /** Called for every event (after it is recorded). */
  onEvent: (event: EngineEvent) => void;
}

function engine(work: string, protocol: TusProtocol): Engine {
  const store = Store.open(join(work, 'hoist.db'));
  cleanups.push(() => store.close());
  const dest = store.destinations.add('t', 'tus', {}, Date.now());
  const e: Engine = {
    store,
    events: [],
    onEvent: () => undefined,
    scheduler: undefined as unknown as Scheduler,
    async addJob(localPath, remotePath) {
      return store.jobs.create({ destinationId: dest.id, localPath, remotePath, ...(await diskFileSource.identity(localPath)) }, Date.now()).id;
    },
  };
  e.scheduler = new Scheduler({
    store,
    files: diskFileSource,
    protocolFor: () => protocol,
    nowMs: Date.now,
    rand: Math.random,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const timer = setTimeout(resolve, Math.min(ms, 20));
        signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
      }),
    events: (event) => {
      e.events.push(event);
      e.onEvent(event);
    },
    holder: { pid: process.pid, startTime: null },
    isHolderAlive: () => false,
    pollIntervalMs: 20,
    retryPolicy: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 4, maxRateLimited: 20 },
  });
  return e;
}

/** Pauses the job (as `hoist pause` does) once `afterBytes` went out, mid-PATCH. */
function pauseAfter(e: Engine, jobId: number, afterBytes: number, action: () => void = () => e.scheduler.pause([jobId])): void {
  let sent = 0;
  pauseWhen(e, (event) => (sent += event.bytes) >= afterBytes, action);
}

/** Runs `action` (default: pause) once, at the first bytes-sent event for which `isTime` holds. */
function pauseWhen(e: Engine, isTime: (event: { bytes: number }) => boolean, action: () => void): void {
  let done = false;
  e.onEvent = (event) => {
    if (event.type !== 'bytes-sent' || done || !isTime(event)) return;
    done = true;
    setImmediate(action);
  };
}

async function runOne(e: Engine, id: number): Promise<JobOutcome> {
  const [outcome] = await e.scheduler.run([id]);
  return outcome!;
}

// ---------------------------------------------------------------------------------------------------------------------
// A bare @tus/server with a FileStore, counting what it stored and logging every request.

class CountingFileStore extends FileStore {
  storedBytes = 0;

  override async write(readable: IncomingMessage | Readable, id: string, offset: number): Promise<number> {
    try {
      const end = await super.write(readable, id, offset);
      this.storedBytes += end - offset;
      return end;
    } catch (error) {
      // An interrupted write keeps what reached the file: count that too.
      this.storedBytes += statSync(join(this.directory, id)).size - offset;
      throw error;
    }
  }
}

interface BareOptions {
  expirationMs?: number;
  maxSize?: number;
  relativeLocation?: boolean;
  /** Serve through `handleWeb` and implement the checksum extension in front (@tus/server has none). */
  checksum?: boolean;
  /** Answer the nth PATCH (1-based) with 460 although its checksum is right (a corruption on the way). */
  checksumFaultOnPatch?: number;
  /** Drop the connection instead of sending the reply of the PATCH that completes the upload. */
  dropFinalReply?: boolean;
  /** Answer OPTIONS with this status (a server or proxy without OPTIONS). */
  optionsStatus?: number;
}

interface Bare {
  endpoint: string;
  dir: string;
  store: CountingFileStore;
  requests: Array<{ method: string; headers: IncomingMessage['headers'] }>;
  count(method: string): number;
  /** The stored bytes of the upload behind an upload URL. */
  fileOf(uploadUrl: string): string;
}

async function bareServer(work: string, options: BareOptions = {}): Promise<Bare> {
  const dir = join(work, 'server');
  mkdirSync(dir); // before FileStore's own asynchronous mkdir, which throws if the folder is gone by then
  const store = new CountingFileStore({ directory: dir, expirationPeriodInMilliseconds: options.expirationMs });
  const tus = new TusServer({ path: '/files', datastore: store, maxSize: options.maxSize, relativeLocation: options.relativeLocation });
  const requests: Bare['requests'] = [];
  let patches = 0;
  const viaWeb = options.checksum || options.dropFinalReply || options.optionsStatus !== undefined;
  const http = createServer((req, res) => {
    requests.push({ method: req.method ?? '', headers: req.headers });
    if (req.method === 'PATCH') patches++;
    if (!viaWeb) return void tus.handle(req, res);
    void webHandle(tus, req, res, options, patches).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => (http.close(() => resolve()), http.closeAllConnections())));
  const port = (http.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}/files`,
    dir,
    store,
    requests,
    count: (method) => requests.filter((r) => r.method === method).length,
    fileOf: (uploadUrl) => join(dir, uploadUrl.split('/').pop()!),
  };
}

async function webHandle(tus: TusServer, req: IncomingMessage, res: ServerResponse, options: BareOptions, patchNumber: number): Promise<void> {
  if (req.method === 'OPTIONS' && options.optionsStatus !== undefined) return void res.writeHead(options.optionsStatus).end();
  let body: Buffer | undefined;
  if (req.method === 'PATCH') {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    body = Buffer.concat(chunks);
    if (options.checksum) {
      const header = one(req.headers, 'upload-checksum');
      const [algorithm, digest] = header.split(' ');
      const right = algorithm === 'sha1' && digest === createHash('sha1').update(body).digest('base64');
      if (!right || patchNumber === options.checksumFaultOnPatch) {
        return void res.writeHead(460, { 'Tus-Resumable': '1.0.0' }).end('Checksum Mismatch\n');
      }
    }
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const reply = await tus.handleWeb(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }));
  const out = Object.fromEntries(reply.headers);
  if (req.method === 'OPTIONS' && options.checksum) {
    out['tus-extension'] = `${out['tus-extension']},checksum`;
    out['tus-checksum-algorithm'] = 'md5,sha1';
  }
  const length = Number(req.headers['upload-offset'] ?? 0) + (body?.length ?? 0);
  if (options.dropFinalReply && req.method === 'PATCH' && out['upload-offset'] === String(length) && !reply.headers.has('upload-expires')) {
    return void res.destroy(); // applied, but the client never hears so
  }
  res.writeHead(reply.status, out).end(Buffer.from(await reply.arrayBuffer()));
}

function one(headers: IncomingMessage['headers'], name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function decodeMetadata(header: string): Record<string, string> {
  return Object.fromEntries(header.split(',').map((pair) => pair.split(' ')).map(([k, v]) => [k!, Buffer.from(v ?? '', 'base64').toString()]));
}

function protocolFor(endpoint: string, config: Partial<TusConfig> = {}): TusProtocol {
  return new TusProtocol({ endpoint, ...config });
}

function uploadUrlOf(e: Engine, id: number): string {
  return (e.store.jobs.get(id)!.remoteItem as { id: string }).id;
}

// ---------------------------------------------------------------------------------------------------------------------

describe('tus adapter + engine → hoist receive (@tus/server + FileStore)', () => {
  it('a 30 MB file arrives byte-identical at DIR/<remotePath>, in 8 MiB PATCHes', async () => {
    const work = workDir();
    const receiver = await startReceiver({ dir: join(work, 'inbox'), port: 0 });
    cleanups.push(() => receiver.close());
    const e = engine(work, protocolFor(receiver.url, { chunkSizeBytes: 8 * MiB }));
    const file = join(work, 'big.bin');
    writeRandomFile(file, MB30);
    const id = await e.addJob(file, '/backups/big.bin');
    expect(await runOne(e, id)).toMatchObject({ state: 'done' });
    const landed = join(work, 'inbox', 'backups', 'big.bin');
    expect(await sha256File(landed)).toBe(await sha256File(file));
    expect(e.events.filter((ev) => ev.type === 'part-acked')).toHaveLength(Math.ceil(MB30 / (8 * MiB)));
    expect(uploadUrlOf(e, id)).toMatch(new RegExp(`^${receiver.url}[0-9a-f]+$`));
  });

  it('empty and 1-byte files: the empty one is complete at creation, the 1-byte one takes one PATCH', async () => {
    const work = workDir();
    const receiver = await startReceiver({ dir: join(work, 'inbox'), port: 0 });
    cleanups.push(() => receiver.close());
    const e = engine(work, protocolFor(receiver.url));
    writeFileSync(join(work, 'empty.bin'), '');
    writeFileSync(join(work, 'one.bin'), 'x');
    const ids = [await e.addJob(join(work, 'empty.bin'), '/e/empty.bin'), await e.addJob(join(work, 'one.bin'), '/e/one.bin')];
    expect((await e.scheduler.run(ids)).map((o) => o.state)).toEqual(['done', 'done']);
    expect(readFileSync(join(work, 'inbox', 'e', 'empty.bin'))).toHaveLength(0);
    expect(readFileSync(join(work, 'inbox', 'e', 'one.bin'), 'utf8')).toBe('x');
    expect(e.events.filter((ev) => ev.type === 'part-acked')).toHaveLength(1);
  });

  it('a receiver with a token: config.headers carries it; without it the job fails as an auth problem', async () => {
    const work = workDir();
    const receiver = await startReceiver({ dir: join(work, 'inbox'), port: 0, token: 's3cret-token' });
    cleanups.push(() => receiver.close());
    const file = join(work, 'a.bin');
    writeRandomFile(file, 100_000);
    const ok = engine(work, protocolFor(receiver.url, { headers: { Authorization: 'Bearer s3cret-token' } }));
    expect(await runOne(ok, await ok.addJob(file, '/a.bin'))).toMatchObject({ state: 'done' });
    const work2 = workDir();
    const refused = engine(work2, protocolFor(receiver.url, { headers: { Authorization: 'Bearer wrong' } }));
    const outcome = await runOne(refused, await refused.addJob(file, '/b.bin'));
    expect(outcome.state).toBe('failed');
    expect(outcome.message).toMatch(/HTTP 401/);
    expect(refused.store.jobs.listByState(['failed'])[0]!.errorCode).toBe('auth-failed');
    expect(existsSync(join(work, 'inbox', 'b.bin'))).toBe(false);
  });
});

describe('tus adapter + engine → bare @tus/server', () => {
  it('resume after a pause mid-PATCH: asks HEAD, continues at the server’s (unaligned) offset, stores nothing twice', async () => {
    const work = workDir();
    const server = await bareServer(work);
    const e = engine(work, protocolFor(server.endpoint, { chunkSizeBytes: 8 * MiB }));
    const file = join(work, 'f.bin');
    writeRandomFile(file, MB30);
    const id = await e.addJob(file, '/f.bin');
    // Pause once the server holds part of the second PATCH (the engine reads ahead, so it may be the third by then).
    const serverHolds = () => {
      const url = e.store.sessions.openForJob(id)?.sessionUrl;
      return url ? statSync(server.fileOf(url), { throwIfNoEntry: false })?.size ?? 0 : 0;
    };
    pauseWhen(e, () => serverHolds() >= 9 * MiB, () => e.scheduler.pause([id]));
    expect(await runOne(e, id)).toMatchObject({ state: 'paused' });
    expect(server.count('HEAD')).toBe(0);

    e.onEvent = () => undefined;
    e.store.jobs.resume([id], Date.now());
    expect(await runOne(e, id)).toMatchObject({ state: 'done' });
    // Resume asks the server first (HEAD), then continues exactly where it is: no 409, no byte sent twice.
    const head = server.requests.findIndex((r) => r.method === 'HEAD');
    const resumed = server.requests.slice(head + 1);
    expect(server.count('HEAD')).toBe(1);
    const resumeOffset = Number(one(resumed[0]!.headers, 'upload-offset'));
    expect(resumeOffset).toBeGreaterThanOrEqual(9 * MiB);
    expect(resumed.map((r) => r.method)).toEqual(Array(Math.ceil((MB30 - resumeOffset) / (8 * MiB))).fill('PATCH'));
    expect(server.count('POST')).toBe(1);
    expect(server.store.storedBytes - MB30).toBeLessThanOrEqual(1 * MiB);
    expect(await sha256File(server.fileOf(uploadUrlOf(e, id)))).toBe(await sha256File(file));
    // The server kept what arrived of the interrupted PATCH; a resume point inside a part splits it: the plan starts there.
    const parts = e.store.sessions.parts(e.store.sessions.latestForJob(id)!.id);
    expect(parts.some((p) => p.offsetBytes === resumeOffset)).toBe(true);
  });

  it('the server lost the upload (its files deleted): HEAD 404 → a new upload from byte 0', async () => {
    const work = workDir();
    const server = await bareServer(work);
    const e = engine(work, protocolFor(server.endpoint, { chunkSizeBytes: 4 * MiB }));
    const file = join(work, 'f.bin');
    writeRandomFile(file, 20 * MiB);
    const id = await e.addJob(file, '/f.bin');
    pauseAfter(e, id, 9 * MiB);
    expect(await runOne(e, id)).toMatchObject({ state: 'paused' });
    for (const name of readdirSync(server.dir)) rmSync(join(server.dir, name));

    e.onEvent = () => undefined;
    e.store.jobs.resume([id], Date.now());
    expect(await runOne(e, id)).toMatchObject({ state: 'done' });
    expect(server.count('POST')).toBe(2);
    expect(e.store.jobs.get(id)!.restartReason).toMatch(/no longer has the upload \(HTTP 404/);
    expect(await sha256File(server.fileOf(uploadUrlOf(e, id)))).toBe(await sha256File(file));
  });

  it('an expired upload: Upload-Expires is recorded; after expiry HEAD 410 → a new upload', async () => {
    const work = workDir();
    const server = await bareServer(work, { expirationMs: 60 * 60 * 1000 });
    const e = engine(work, protocolFor(server.endpoint, { chunkSizeBytes: 4 * MiB }));
    const file = join(work, 'f.bin');
    writeRandomFile(file, 20 * MiB);
    const id = await e.addJob(file, '/f.bin');
    pauseAfter(e, id, 9 * MiB);
    expect(await runOne(e, id)).toMatchObject({ state: 'paused' });
    const first = e.store.sessions.latestForJob(id)!;
    expect(first.expiresAtMs).toBeGreaterThan(Date.now() + 59 * 60 * 1000);
    expect(first.expiresAtMs).toBeLessThan(Date.now() + 61 * 60 * 1000);
    // Age the upload as two hours of waiting would (no sleeping in tests).
    const info = join(server.dir, `${first.sessionUrl!.split('/').pop()}.json`);
    const stored = JSON.parse(readFileSync(info, 'utf8')) as { creation_date: string };
    writeFileSync(info, JSON.stringify({ ...stored, creation_date: new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString() }));

    e.onEvent = () => undefined;
    e.store.jobs.resume([id], Date.now());
    expect(await runOne(e, id)).toMatchObject({ state: 'done' });
    expect(server.count('POST')).toBe(2);
    expect(e.store.jobs.get(id)!.restartReason).toMatch(/HTTP 410/);
    expect(await sha256File(server.fileOf(uploadUrlOf(e, id)))).toBe(await sha256File(file));
  });

  it('cancel terminates the upload on the server (DELETE; HEAD then says 404)', async () => {
    const work = workDir();
    const server = await bareServer(work);
    const e = engine(work, protocolFor(server.endpoint, { chunkSizeBytes: 4 * MiB }));
    const file = join(work, 'f.bin');
    writeRandomFile(file, 20 * MiB);
    const id = await e.addJob(file, '/f.bin');
    pauseAfter(e, id, 6 * MiB, () => e.store.jobs.setState(id, 'cancelled', Date.now()));
    expect(await runOne(e, id)).toMatchObject({ state: 'cancelled' });
    expect(server.count('DELETE')).toBe(1);
    const url = e.store.sessions.latestForJob(id)!.sessionUrl!;
    expect(existsSync(server.fileOf(url))).toBe(false);
    const head = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect(head.status).toBe(404);
  });

  it('a file larger than Tus-Max-Size fails at once with a clear message, before any POST', async () => {
    const work = workDir();
    const server = await bareServer(work, { maxSize: 1_000_000 });
    const e = engine(work, protocolFor(server.endpoint));
    const file = join(work, 'f.bin');
    writeRandomFile(file, 1_000_001);
    const outcome = await runOne(e, await e.addJob(file, '/f.bin'));
    expect(outcome.state).toBe('failed');
    expect(outcome.message).toMatch(/1,000,001 bytes, larger than the 1,000,000 bytes this tus server accepts/);
    expect(e.store.jobs.listByState(['failed'])[0]!.errorCode).toBe('file-too-large');
    expect(server.count('POST')).toBe(0);
  });

  it('a relative Location resolves against the endpoint; 1-byte and empty files', async () => {
    const work = workDir();
    const server = await bareServer(work, { relativeLocation: true });
    const e = engine(work, protocolFor(`${server.endpoint}/`));
    writeFileSync(join(work, 'one.bin'), 'z');
    writeFileSync(join(work, 'empty.bin'), '');
    const ids = [await e.addJob(join(work, 'one.bin'), '/one.bin'), await e.addJob(join(work, 'empty.bin'), '/empty.bin')];
    expect((await e.scheduler.run(ids)).map((o) => o.state)).toEqual(['done', 'done']);
    expect(uploadUrlOf(e, ids[0]!)).toMatch(new RegExp(`^${server.endpoint}/[0-9a-f]+$`));
    expect(readFileSync(server.fileOf(uploadUrlOf(e, ids[0]!)), 'utf8')).toBe('z');
    expect(statSync(server.fileOf(uploadUrlOf(e, ids[1]!))).size).toBe(0);
    expect(server.count('PATCH')).toBe(1);
    const metadata = server.requests.filter((r) => r.method === 'POST').map((r) => decodeMetadata(one(r.headers, 'upload-metadata')));
    expect(metadata).toContainEqual({ filename: 'one.bin', relativePath: 'one.bin', filetype: 'application/octet-stream' });
  });

  it('checksum extension (sha1 announced): every PATCH carries Upload-Checksum; a 460 is sent again', async () => {
    const work = workDir();
    const server = await bareServer(work, { checksum: true, checksumFaultOnPatch: 2 });
    // The checksummed default, pinned: left to itself the size would follow the link (fewer, larger PATCHes here).
    const e = engine(work, protocolFor(server.endpoint, { chunkSizeBytes: 8 * MiB }));
    const file = join(work, 'f.bin');
    writeRandomFile(file, 20 * MiB + 5);
    const id = await e.addJob(file, '/f.bin');
    expect(await runOne(e, id)).toMatchObject({ state: 'done' });
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    // 8 MiB parts while checksumming (held in memory to hash them first), plus the one sent again after the 460
    expect(patches).toHaveLength(3 + 1);
    expect(patches.every((p) => /^sha1 [A-Za-z0-9+/]{27}=$/.test(one(p.headers, 'upload-checksum')))).toBe(true);
    expect(e.events.some((ev) => ev.type === 'job-retrying' && /HTTP 460/.test(ev.reason))).toBe(true);
    expect(await sha256File(server.fileOf(uploadUrlOf(e, id)))).toBe(await sha256File(file));
  });

  it('the reply to the completing PATCH is lost: HEAD shows it complete, commit confirms, nothing is re-sent', async () => {
    const work = workDir();
    const server = await bareServer(work, { dropFinalReply: true });
    const e = engine(work, protocolFor(server.endpoint, { chunkSizeBytes: 4 * MiB }));
    const file = join(work, 'f.bin');
    writeRandomFile(file, 10 * MiB);
    const id = await e.addJob(file, '/f.bin');
    expect(await runOne(e, id)).toMatchObject({ state: 'done' });
    expect(server.count('PATCH')).toBe(3);
    expect(server.count('HEAD')).toBeGreaterThanOrEqual(2); // resume, then commit
    expect(server.store.storedBytes).toBe(10 * MiB);
    expect(await sha256File(server.fileOf(uploadUrlOf(e, id)))).toBe(await sha256File(file));
  });

  it('a server without OPTIONS: core protocol only (no checksum; cancel sends no DELETE)', async () => {
    const work = workDir();
    const server = await bareServer(work, { optionsStatus: 405 });
    const e = engine(work, protocolFor(server.endpoint, { chunkSizeBytes: 4 * MiB }));
    const file = join(work, 'f.bin');
    writeRandomFile(file, 12 * MiB);
    const id = await e.addJob(file, '/f.bin');
    pauseAfter(e, id, 5 * MiB, () => e.store.jobs.setState(id, 'cancelled', Date.now()));
    expect(await runOne(e, id)).toMatchObject({ state: 'cancelled' });
    expect(server.count('OPTIONS')).toBe(1);
    expect(server.count('DELETE')).toBe(0);
    expect(server.requests.some((r) => r.headers['upload-checksum'] !== undefined)).toBe(false);
  });
});
