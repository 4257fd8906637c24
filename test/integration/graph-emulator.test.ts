/**
 * Tests of the Graph upload-session emulator itself, driven with raw fetch / node:http so that the client under
 * development is not needed to trust the emulator.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { quickXorHash } from '../../main/domain/quick-xor-hash.js';
import { GraphEmulator, type GraphEmulatorOptions } from '../emulators/graph-emulator.js';

const TOKEN = 'graph-test-token';
const CHUNK = 327_680;
const MiB = 1024 * 1024;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(opts: Partial<GraphEmulatorOptions> = {}): Promise<GraphEmulator> {
  const storageDir = await mkdtemp(join(tmpdir(), 'hoist-graph-emu-'));
  cleanups.push(() => rm(storageDir, { recursive: true, force: true }));
  const emu = await GraphEmulator.start({ storageDir, ...opts });
  cleanups.push(() => emu.close());
  return emu;
}

async function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

async function createSession(emu: GraphEmulator, path: string, body?: unknown, token = TOKEN): Promise<Reply> {
  return send(`${emu.graphBaseUrl}/me/drive/root:${encodePath(path)}:/createUploadSession`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function openSession(emu: GraphEmulator, path: string, item: Record<string, unknown> = {}, extra = {}): Promise<string> {
  const created = await createSession(emu, path, { item, ...extra });
  expect(created.status).toBe(200);
  return created.json.uploadUrl as string;
}

function putFragment(uploadUrl: string, data: Buffer, firstByte: number, totalBytes: number, headers: Record<string, string> = {}): Promise<Reply> {
  return send(uploadUrl, {
    method: 'PUT',
    headers: { 'content-range': `bytes ${firstByte}-${firstByte + data.length - 1}/${totalBytes}`, ...headers },
    body: data,
  });
}

/** Uploads `data` in `fragmentBytes` pieces and returns every reply. */
async function uploadAll(uploadUrl: string, data: Buffer, fragmentBytes: number): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let first = 0; first < data.length; first += fragmentBytes) {
    replies.push(await putFragment(uploadUrl, data.subarray(first, first + fragmentBytes), first, data.length));
  }
  return replies;
}

async function simpleUpload(emu: GraphEmulator, path: string, data: Buffer, conflict?: string): Promise<Reply> {
  const query = conflict ? `?@microsoft.graph.conflictBehavior=${conflict}` : '';
  return send(`${emu.graphBaseUrl}/me/drive/root:${encodePath(path)}:/content${query}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: data,
  });
}

/** Bounded poll for state the emulator reaches asynchronously (no open-ended sleeps). */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const onlySession = (emu: GraphEmulator) => {
  const sessions = emu.sessions();
  expect(sessions).toHaveLength(1);
  return sessions[0]!;
};

describe('GraphEmulator upload sessions', () => {
  it('accepts a full upload in 320 KiB-multiple fragments and reports correct hashes', async () => {
    const emu = await start();
    const data = randomBytes(2_500_000);
    const created = await createSession(emu, '/Docs/big file.bin', { item: { '@microsoft.graph.conflictBehavior': 'fail' } });
    expect(created.status).toBe(200);
    expect(created.json.uploadUrl).toMatch(new RegExp(`^${emu.url}/up/`));
    expect(created.json.expirationDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    expect(created.json.nextExpectedRanges).toEqual(['0-']);

    const replies = await uploadAll(created.json.uploadUrl, data, 3 * CHUNK);
    expect(replies.map((r) => r.status)).toEqual([202, 202, 201]);
    expect(replies[0]!.json.nextExpectedRanges).toEqual([`${3 * CHUNK}-`]);
    expect(replies[1]!.json.nextExpectedRanges).toEqual([`${6 * CHUNK}-`]);
    const item = replies[2]!.json;
    expect(item).toMatchObject({
      name: 'big file.bin',
      size: data.length,
      parentReference: { driveId: emu.driveId, path: '/drive/root:/Docs' },
      file: { mimeType: 'application/octet-stream', hashes: { sha256Hash: sha256Hex(data).toUpperCase(), quickXorHash: quickXorHash(data) } },
    });
    expect(item.eTag).toBeTruthy();
    expect(item.cTag).toBeTruthy();

    const [stored] = emu.items();
    expect(stored).toMatchObject({ id: item.id, path: '/Docs/big file.bin', size: data.length, sha256: sha256Hex(data) });
    expect((await readFile(stored!.storagePath)).equals(data)).toBe(true);
    expect(onlySession(emu)).toMatchObject({ state: 'completed', receivedBytes: data.length, putCount: 3, bytesReceivedTotal: data.length });

    const fetched = await send(`${emu.graphBaseUrl}/me/drive/root:/Docs/big%20file.bin`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(fetched.status).toBe(200);
    expect(fetched.json.id).toBe(item.id);
    // A consumed session is gone.
    expect((await send(created.json.uploadUrl)).status).toBe(404);
  });

  it('requires the Bearer token on Graph calls and rejects Authorization on the uploadUrl', async () => {
    const emu = await start();
    const missing = await send(`${emu.graphBaseUrl}/me/drive/root:/a.bin:/createUploadSession`, { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe('InvalidAuthenticationToken');
    expect((await createSession(emu, '/a.bin', undefined, 'wrong')).status).toBe(401);
    emu.setAccessToken('rotated');
    expect((await createSession(emu, '/a.bin', undefined, TOKEN)).status).toBe(401);
    const created = await createSession(emu, '/a.bin', undefined, 'rotated');
    expect(created.status).toBe(200);

    const uploadUrl = created.json.uploadUrl as string;
    const withAuth = await putFragment(uploadUrl, randomBytes(CHUNK), 0, 2 * CHUNK, { authorization: 'Bearer rotated' });
    expect(withAuth.status).toBe(401);
    expect((await send(uploadUrl, { headers: { authorization: 'Bearer rotated' } })).status).toBe(401);
    expect(onlySession(emu).receivedBytes).toBe(0);
    expect(emu.requests.filter((r) => r.op === 'graph.put')).toEqual([
      expect.objectContaining({ status: 401, hadAuthorization: true, bodyBytes: CHUNK }),
    ]);
    expect((await putFragment(uploadUrl, randomBytes(CHUNK), 0, 2 * CHUNK)).status).toBe(202);
  });

  it('lets Authorization through on the uploadUrl when strictAuthOnUploadUrl is off', async () => {
    const emu = await start({ strictAuthOnUploadUrl: false });
    const uploadUrl = await openSession(emu, '/a.bin');
    expect((await putFragment(uploadUrl, randomBytes(CHUNK), 0, 2 * CHUNK, { authorization: `Bearer ${TOKEN}` })).status).toBe(202);
  });

  it('answers 416 fragmentOverlap for a repeated fragment and 416 fragmentOutOfOrder for a gap', async () => {
    const emu = await start();
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: 3 * CHUNK });
    const first = randomBytes(CHUNK);
    expect((await putFragment(uploadUrl, first, 0, 3 * CHUNK)).status).toBe(202);
    const overlap = await putFragment(uploadUrl, first, 0, 3 * CHUNK);
    expect(overlap.status).toBe(416);
    expect(overlap.json.error).toMatchObject({ code: 'invalidRange', innerError: { code: 'fragmentOverlap' } });
    const gap = await putFragment(uploadUrl, randomBytes(CHUNK), 2 * CHUNK, 3 * CHUNK);
    expect(gap.status).toBe(416);
    expect(gap.json.error).toMatchObject({ code: 'invalidRange', innerError: { code: 'fragmentOutOfOrder' } });
    expect(onlySession(emu)).toMatchObject({ receivedBytes: CHUNK, putCount: 3, bytesReceivedTotal: 3 * CHUNK });
  });

  it('fixes the total with the first fragment and rejects a different total with 400 fragmentLengthMismatch', async () => {
    const emu = await start();
    const uploadUrl = await openSession(emu, '/a.bin');
    expect((await putFragment(uploadUrl, randomBytes(CHUNK), 0, 4 * CHUNK)).status).toBe(202);
    expect(onlySession(emu).totalBytes).toBe(4 * CHUNK);
    const mismatch = await putFragment(uploadUrl, randomBytes(CHUNK), CHUNK, 5 * CHUNK);
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error).toMatchObject({ code: 'invalidRequest', innerError: { code: 'fragmentLengthMismatch' } });
    const malformed = await send(uploadUrl, { method: 'PUT', headers: { 'content-range': 'bytes 5-/10' }, body: 'abcde' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('invalidRequest');
    const wrongLength = await send(uploadUrl, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${CHUNK}-${2 * CHUNK}/${4 * CHUNK}` },
      body: randomBytes(CHUNK),
    });
    expect(wrongLength.status).toBe(400);
    expect(onlySession(emu).receivedBytes).toBe(CHUNK);
  });

  it('applies nothing from a body cut short mid-fragment', async () => {
    const emu = await start();
    const data = randomBytes(4 * CHUNK);
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: data.length });
    const req = httpRequest(uploadUrl, {
      method: 'PUT',
      headers: { 'content-length': String(2 * CHUNK), 'content-range': `bytes 0-${2 * CHUNK - 1}/${data.length}` },
    });
    req.on('error', () => {});
    req.write(data.subarray(0, 100_000));
    await waitFor(() => onlySession(emu).bytesReceivedTotal >= 100_000);
    req.destroy();
    await waitFor(() => emu.requests.some((r) => r.op === 'graph.put' && r.status === 0));

    expect(onlySession(emu)).toMatchObject({ receivedBytes: 0, state: 'open' });
    const status = await send(uploadUrl);
    expect(status.json.nextExpectedRanges).toEqual(['0-']);
    const replies = await uploadAll(uploadUrl, data, 2 * CHUNK);
    expect(replies.map((r) => r.status)).toEqual([202, 201]);
    expect(replies[1]!.json.file.hashes.quickXorHash).toBe(quickXorHash(data));
    expect((await readFile(emu.items()[0]!.storagePath)).equals(data)).toBe(true);
  });

  it('serialises duplicate concurrent fragments: one is accepted, the others get 416 fragmentOverlap', async () => {
    const emu = await start();
    const data = randomBytes(2 * CHUNK);
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: 4 * CHUNK });
    const replies = await Promise.all([0, 1, 2].map(() => putFragment(uploadUrl, data, 0, 4 * CHUNK)));
    expect(replies.map((r) => r.status).sort()).toEqual([202, 416, 416]);
    expect(onlySession(emu)).toMatchObject({ receivedBytes: 2 * CHUNK, putCount: 3, bytesReceivedTotal: 6 * CHUNK });
  });

  it('applies nothing when an injected reset cuts the body', async () => {
    const emu = await start();
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: 2 * CHUNK });
    emu.faults.add({ op: 'graph.put', action: { type: 'reset-mid-body', afterBytes: 50_000 } });
    await expect(putFragment(uploadUrl, randomBytes(CHUNK), 0, 2 * CHUNK)).rejects.toThrow();
    await waitFor(() => emu.requests.some((r) => r.op === 'graph.put'));
    expect(emu.requests.find((r) => r.op === 'graph.put')!.status).toBe(0);
    expect(onlySession(emu)).toMatchObject({ receivedBytes: 0, putCount: 1 });
    expect((await send(uploadUrl)).json.nextExpectedRanges).toEqual(['0-']);
  });

  it('answers 404 uploadSessionNotFound once a session expired, explicitly or by its sliding TTL', async () => {
    const emu = await start({ sessionTtlMs: 60_000 });
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: 2 * CHUNK });
    const createdExpiry = onlySession(emu).expiresAtMs;
    await waitFor(() => Date.now() > createdExpiry - 60_000 + 2);
    expect((await putFragment(uploadUrl, randomBytes(CHUNK), 0, 2 * CHUNK)).status).toBe(202);
    expect(onlySession(emu).expiresAtMs).toBeGreaterThan(createdExpiry);

    emu.expireSession(uploadUrl);
    const put = await putFragment(uploadUrl, randomBytes(CHUNK), CHUNK, 2 * CHUNK);
    expect(put.status).toBe(404);
    expect(put.json.error).toMatchObject({ code: 'itemNotFound', innerError: { code: 'uploadSessionNotFound' } });
    expect((await send(uploadUrl)).status).toBe(404);
    expect(onlySession(emu).state).toBe('expired');

    const short = await start({ sessionTtlMs: 30 });
    const shortUrl = await openSession(short, '/b.bin');
    const [session] = short.sessions();
    await waitFor(() => Date.now() > session!.expiresAtMs);
    expect((await send(shortUrl)).status).toBe(404);
    expect(short.sessions()[0]!.state).toBe('expired');
  });

  it('cancels with DELETE 204, after which the session is 404', async () => {
    const emu = await start();
    const uploadUrl = await openSession(emu, '/a.bin');
    expect((await send(uploadUrl, { method: 'DELETE' })).status).toBe(204);
    expect((await send(uploadUrl)).status).toBe(404);
    expect((await putFragment(uploadUrl, randomBytes(CHUNK), 0, 2 * CHUNK)).status).toBe(404);
    expect((await send(uploadUrl, { method: 'DELETE' })).status).toBe(404);
    expect(onlySession(emu).state).toBe('cancelled');
  });

  it('resolves name conflicts at completion: fail -> 409, rename -> "a 1.bin", replace -> 200 on the same item', async () => {
    const emu = await start();
    const original = await simpleUpload(emu, '/Docs/a.bin', Buffer.from('original'));
    expect(original.status).toBe(201);
    const data = randomBytes(CHUNK + 10);

    const failUrl = await openSession(emu, '/Docs/a.bin');
    const failed = await uploadAll(failUrl, data, CHUNK);
    expect(failed.map((r) => r.status)).toEqual([202, 409]);
    expect(failed[1]!.json.error.code).toBe('nameAlreadyExists');
    expect(emu.sessions().find((s) => s.uploadUrl === failUrl)!.state).toBe('failed');
    expect((await putFragment(failUrl, data.subarray(CHUNK), CHUNK, data.length)).json.error.innerError.code).toBe('uploadSessionFailed');

    const renameUrl = await openSession(emu, '/Docs/a.bin', { '@name.conflictBehavior': 'rename' });
    const renamed = await uploadAll(renameUrl, data, CHUNK);
    expect(renamed[1]!.status).toBe(201);
    expect(renamed[1]!.json.name).toBe('a 1.bin');

    const replaceUrl = await openSession(emu, '/Docs/A.BIN', { '@microsoft.graph.conflictBehavior': 'replace' });
    const replaced = await uploadAll(replaceUrl, data, CHUNK);
    expect(replaced[1]!.status).toBe(200);
    expect(replaced[1]!.json.id).toBe(original.json.id);
    expect(replaced[1]!.json.eTag).not.toBe(original.json.eTag);
    const paths = emu.items().map((i) => [i.path, i.size]);
    expect(paths.sort()).toEqual([
      ['/Docs/a 1.bin', data.length],
      ['/Docs/a.bin', data.length],
    ]);
  });

  it('injects 503 + Retry-After without applying the fragment', async () => {
    const emu = await start();
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: 2 * CHUNK });
    emu.faults.add({ op: 'graph.put', action: { type: 'status', status: 503, retryAfterSec: 2 } });
    const fragment = randomBytes(CHUNK);
    const faulted = await putFragment(uploadUrl, fragment, 0, 2 * CHUNK);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('2');
    expect(faulted.json.error.code).toBe('serviceNotAvailable');
    expect(onlySession(emu)).toMatchObject({ receivedBytes: 0, bytesReceivedTotal: CHUNK });
    expect((await putFragment(uploadUrl, fragment, 0, 2 * CHUNK)).status).toBe(202);
    expect(onlySession(emu)).toMatchObject({ receivedBytes: CHUNK, putCount: 2, bytesReceivedTotal: 2 * CHUNK });
  });

  it('apply-then-fail stores the fragment, so the retry gets 416 and GET shows the progress', async () => {
    const emu = await start();
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: 2 * CHUNK });
    emu.faults.add({ op: 'graph.put', action: { type: 'apply-then-fail', status: 503, retryAfterSec: 1 } });
    const fragment = randomBytes(CHUNK);
    const faulted = await putFragment(uploadUrl, fragment, 0, 2 * CHUNK);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('1');
    expect(onlySession(emu).receivedBytes).toBe(CHUNK);
    const retry = await putFragment(uploadUrl, fragment, 0, 2 * CHUNK);
    expect(retry.status).toBe(416);
    expect(retry.json.error.innerError.code).toBe('fragmentOverlap');
    expect((await send(uploadUrl)).json.nextExpectedRanges).toEqual([`${CHUNK}-`]);
  });

  it('malformed-json applies the request but answers a non-JSON body', async () => {
    const emu = await start();
    const uploadUrl = await openSession(emu, '/a.bin', { fileSize: 2 * CHUNK });
    emu.faults.add({ op: 'graph.put', action: { type: 'malformed-json' } });
    const reply = await putFragment(uploadUrl, randomBytes(CHUNK), 0, 2 * CHUNK);
    expect(reply.status).toBe(202);
    expect(() => JSON.parse(reply.text)).toThrow();
    expect((await send(uploadUrl)).json.nextExpectedRanges).toEqual([`${CHUNK}-`]);
  });

  it('fails completion with 500 generalException after an unaligned non-final fragment (strict alignment)', async () => {
    const emu = await start();
    const data = randomBytes(700_000);
    const uploadUrl = await openSession(emu, '/a.bin');
    const replies = await uploadAll(uploadUrl, data, 300_000);
    expect(replies.map((r) => r.status)).toEqual([202, 202, 500]);
    expect(replies[2]!.json.error.code).toBe('generalException');
    expect(onlySession(emu).state).toBe('failed');
    expect(emu.items()).toEqual([]);

    const lenient = await start({ strictFragmentAlignment: false });
    const lenientUrl = await openSession(lenient, '/a.bin');
    expect((await uploadAll(lenientUrl, data, 300_000)).map((r) => r.status)).toEqual([202, 202, 201]);
  });

  it('rejects a 61 MiB fragment with 413 maxFragmentLengthExceeded', async () => {
    const emu = await start();
    const lengthBytes = 61 * MiB;
    const uploadUrl = await openSession(emu, '/huge.bin', { fileSize: 100 * MiB });
    const block = Buffer.alloc(MiB, 7);
    let sentBytes = 0;
    const body = new Readable({
      read() {
        if (sentBytes >= lengthBytes) return void this.push(null);
        sentBytes += block.length;
        this.push(block);
      },
    });
    const reply = await new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = httpRequest(uploadUrl, {
        method: 'PUT',
        headers: { 'content-length': String(lengthBytes), 'content-range': `bytes 0-${lengthBytes - 1}/${100 * MiB}` },
      });
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      body.pipe(req);
    });
    expect(reply.status).toBe(413);
    expect(reply.json.error.innerError.code).toBe('maxFragmentLengthExceeded');
    expect(onlySession(emu).receivedBytes).toBe(0);
  });

  it('supports deferCommit: 202 with [] after the last byte, POST commits, POST before completion is 400', async () => {
    const emu = await start();
    const data = randomBytes(CHUNK + 1);
    const uploadUrl = await openSession(emu, '/a.bin', {}, { deferCommit: true });
    expect((await putFragment(uploadUrl, data.subarray(0, CHUNK), 0, data.length)).status).toBe(202);
    const early = await send(uploadUrl, { method: 'POST' });
    expect(early.status).toBe(400);
    expect(early.json.error.innerError.code).toBe('uploadSessionIncomplete');
    const last = await putFragment(uploadUrl, data.subarray(CHUNK), CHUNK, data.length);
    expect(last.status).toBe(202);
    expect(last.json.nextExpectedRanges).toEqual([]);
    expect(emu.items()).toEqual([]);
    const committed = await send(uploadUrl, { method: 'POST' });
    expect(committed.status).toBe(201);
    expect(committed.json.file.hashes.sha256Hash).toBe(sha256Hex(data).toUpperCase());
  });
});

describe('GraphEmulator drive routes', () => {
  it('validates the create request like the service', async () => {
    const emu = await start();
    const malformed = await send(`${emu.graphBaseUrl}/me/drive/root:/a.bin:/createUploadSession`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"item": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('BadRequest');
    const nameMismatch = await createSession(emu, '/a.bin', { item: { name: 'b.bin' } });
    expect(nameMismatch.status).toBe(400);
    expect(nameMismatch.json.error.code).toBe('invalidRequest');
    const badBehavior = await createSession(emu, '/a.bin', { item: { '@microsoft.graph.conflictBehavior': 'merge' } });
    expect(badBehavior.status).toBe(400);
    expect((await createSession(emu, '/a.bin', { item: { name: 'a.bin' } })).status).toBe(200);
  });

  it('accepts the drives/{id} and items/{parentId} address forms', async () => {
    const emu = await start();
    const byDrive = await send(`${emu.graphBaseUrl}/drives/${encodeURIComponent(emu.driveId)}/root:/x/y.bin:/createUploadSession`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(byDrive.status).toBe(200);
    const byParent = await send(`${emu.graphBaseUrl}/me/drive/items/root:/z.bin:/createUploadSession`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(byParent.status).toBe(200);
    expect(emu.sessions().map((s) => s.path)).toEqual(['/x/y.bin', '/z.bin']);
  });

  it('simple-uploads an empty file and refuses more than 4 MiB', async () => {
    const emu = await start();
    const empty = await simpleUpload(emu, '/Docs/empty.txt', Buffer.alloc(0));
    expect(empty.status).toBe(201);
    expect(empty.json).toMatchObject({
      name: 'empty.txt',
      size: 0,
      file: { hashes: { sha256Hash: sha256Hex(Buffer.alloc(0)).toUpperCase(), quickXorHash: quickXorHash(Buffer.alloc(0)) } },
    });
    expect((await simpleUpload(emu, '/Docs/empty.txt', Buffer.alloc(0))).status).toBe(409);
    expect((await simpleUpload(emu, '/Docs/empty.txt', Buffer.alloc(0), 'replace')).status).toBe(200);
    const tooLarge = await simpleUpload(emu, '/Docs/big.bin', Buffer.alloc(4 * MiB + 1));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error.code).toBe('requestTooLarge');
    const missing = await send(`${emu.graphBaseUrl}/me/drive/root:/Docs/nope.bin`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('itemNotFound');
  });

  it('answers unknown routes with a 404 OData error', async () => {
    const emu = await start();
    const reply = await send(`${emu.url}/v1.0/me/nothing-here`);
    expect(reply.status).toBe(404);
    expect(reply.json.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('hashes a raw benchmark sink upload through the same path', async () => {
    const emu = await start();
    const data = randomBytes(3 * MiB + 5);
    const reply = await send(`${emu.url}/_bench/sink/run-1`, { method: 'PUT', body: data });
    expect(reply.status).toBe(201);
    expect(reply.json).toEqual({ size: data.length, sha256: sha256Hex(data), quickXorHash: quickXorHash(data) });
  });

  it('caps throughput: 1 MiB at 4 MiB/s takes at least ~200 ms', async () => {
    const emu = await start({ throughputBytesPerSec: 4 * MiB });
    const uploadUrl = await openSession(emu, '/a.bin');
    const startedMs = Date.now();
    const reply = await putFragment(uploadUrl, randomBytes(MiB), 0, MiB);
    const elapsedMs = Date.now() - startedMs;
    expect(reply.status).toBe(201);
    expect(elapsedMs).toBeGreaterThanOrEqual(200);
  });
});
