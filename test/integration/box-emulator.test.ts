import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxEmulator, type BoxEmulatorOptions } from '../emulators/box-emulator.js';

const TOKEN = 'box-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface SessionJson {
  id: string;
  type: string;
  part_size: number;
  total_parts: number;
  num_parts_processed: number;
  session_expires_at: string;
  session_endpoints: Record<'upload_part' | 'commit' | 'abort' | 'list_parts' | 'status' | 'log_event', string>;
}
interface PartJson {
  part_id: string;
  offset: number;
  size: number;
  sha1: string;
}
interface ErrorJson {
  type: string;
  status: number;
  code: string;
  message: string;
  context_info?: Record<string, unknown>;
  help_url: string;
  request_id: string;
}

const running: BoxEmulator[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((box) => box.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startBox(opts: Partial<BoxEmulatorOptions> = {}): Promise<BoxEmulator> {
  const storageDir = mkdtempSync(join(tmpdir(), 'hoist-box-'));
  dirs.push(storageDir);
  const box = await BoxEmulator.start({ storageDir, ...opts });
  running.push(box);
  return box;
}

/** Small files and parts keep most tests fast; the first test uses Box's real defaults. */
const SMALL: Partial<BoxEmulatorOptions> = { minChunkedFileBytes: 1000, partSizeBytes: () => 1024 };

const sha1 = (data: Buffer): Buffer => createHash('sha1').update(data).digest();
const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function createSession(box: BoxEmulator, fileSize: number, fileName = 'big.bin', folderId = '0'): Promise<SessionJson> {
  const response = await post(`${box.uploadBaseUrl}/files/upload_sessions`, { folder_id: folderId, file_size: fileSize, file_name: fileName });
  expect(response.status).toBe(201);
  return json<SessionJson>(response);
}

function putPart(session: SessionJson, file: Buffer, offset: number, size: number, headers: Record<string, string> = {}): Promise<Response> {
  const data = file.subarray(offset, offset + size);
  return fetch(session.session_endpoints.upload_part, {
    method: 'PUT',
    headers: {
      ...AUTH,
      'content-type': 'application/octet-stream',
      'content-range': `bytes ${offset}-${offset + data.length - 1}/${file.length}`,
      digest: `sha=${sha1(data).toString('base64')}`,
      ...headers,
    },
    body: data,
  });
}

/** Uploads every part (in `order`), returning the part objects sorted by offset, as a client would commit them. */
async function uploadAll(session: SessionJson, file: Buffer, order: 'forward' | 'reverse' = 'forward'): Promise<PartJson[]> {
  const offsets = Array.from({ length: session.total_parts }, (_, i) => i * session.part_size);
  if (order === 'reverse') offsets.reverse();
  const parts: PartJson[] = [];
  for (const offset of offsets) {
    const response = await putPart(session, file, offset, Math.min(session.part_size, file.length - offset));
    expect(response.status).toBe(200);
    parts.push((await json<{ part: PartJson }>(response)).part);
  }
  return parts.sort((a, b) => a.offset - b.offset);
}

function commit(session: SessionJson, parts: PartJson[], file: Buffer, digestOf: Buffer = file): Promise<Response> {
  return post(session.session_endpoints.commit, { parts }, { digest: `sha=${sha1(digestOf).toString('base64')}` });
}

async function expectBoxError(response: Response, status: number, code: string): Promise<ErrorJson> {
  expect(response.status).toBe(status);
  const body = await json<ErrorJson>(response);
  expect(body).toMatchObject({ type: 'error', status, code, help_url: expect.any(String), request_id: expect.any(String) });
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}

/** PUTs a part with chunked transfer encoding (no Content-Length), in two writes, as box-node-sdk does. */
function putChunked(session: SessionJson, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(session.session_endpoints.upload_part, {
      method: 'PUT',
      headers: { ...AUTH, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, 100));
    req.end(body.subarray(100));
  });
}

/** Writes raw bytes to the emulator and returns everything it answers until it closes the connection. */
function rawExchange(target: URL, bytes: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => {
      socket.write(bytes);
      socket.end();
    });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

async function plainUpload(url: string, attributes: Record<string, unknown> | undefined, data: Buffer, attributesLast = false): Promise<Response> {
  const form = new FormData();
  if (attributes && !attributesLast) form.append('attributes', JSON.stringify(attributes));
  form.append('file', new Blob([data]), 'unused-name.bin');
  if (attributes && attributesLast) form.append('attributes', JSON.stringify(attributes));
  return fetch(url, { method: 'POST', headers: AUTH, body: form });
}

describe('BoxEmulator upload sessions', () => {
  it('uploads a 20,000,000-byte file in three 8 MiB-grid parts (out of order) and commits it', async () => {
    const box = await startBox();
    const file = randomBytes(20_000_000);
    const session = await createSession(box, file.length);
    expect(session).toMatchObject({ type: 'upload_session', part_size: 8_388_608, total_parts: 3, num_parts_processed: 0 });
    expect(session.id).toMatch(/^[0-9A-F]{32}$/);
    expect(Date.parse(session.session_expires_at) - Date.now()).toBeGreaterThan(6.9 * 24 * 3_600_000);
    for (const url of Object.values(session.session_endpoints)) expect(url.startsWith(`${box.url}/`)).toBe(true);

    const parts = await uploadAll(session, file, 'reverse');
    expect(parts.map((p) => [p.offset, p.size])).toEqual([[0, 8_388_608], [8_388_608, 8_388_608], [16_777_216, 3_222_784]]);
    expect(parts[0]?.part_id).toMatch(/^[0-9A-F]{8}$/);
    expect(parts[0]?.sha1).toBe(sha1(file.subarray(0, 8_388_608)).toString('hex'));

    const status = await json<SessionJson>(await fetch(session.session_endpoints.status, { headers: AUTH }));
    expect(status.num_parts_processed).toBe(3);

    const committed = await commit(session, parts, file);
    expect(committed.status).toBe(201);
    const files = await json<{ total_count: number; entries: Array<Record<string, unknown>> }>(committed);
    expect(files.total_count).toBe(1);
    expect(files.entries[0]).toMatchObject({ type: 'file', name: 'big.bin', size: file.length, sha1: sha1(file).toString('hex'), parent: { id: '0' } });

    const [stored] = box.files();
    expect(stored).toMatchObject({ name: 'big.bin', folderId: '0', size: file.length, sha1: sha1(file).toString('hex'), versions: 1 });
    expect(stored?.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    expect(readFileSync(stored?.storagePath ?? '').equals(file)).toBe(true);
    expect(box.sessions()[0]).toMatchObject({ state: 'committed', partsStored: 3, bytesReceivedTotal: file.length, commitAttempts: 1 });
    expect((await fetch(session.session_endpoints.status, { headers: AUTH })).status).toBe(404);
  });

  it('serves sessions only at the returned endpoints, and rejects malformed session ids', async () => {
    const box = await startBox(SMALL);
    const session = await createSession(box, 3000);
    await expectBoxError(await fetch(`${box.uploadBaseUrl}/files/upload_sessions/${session.id}`, { headers: AUTH }), 404, 'not_found');
    const malformed = session.session_endpoints.status.replace(session.id, 'not-a-session');
    await expectBoxError(await fetch(malformed, { headers: AUTH }), 400, 'invalid_upload_session_id');
  });

  it('validates create requests with Box error codes', async () => {
    const box = await startBox();
    const url = `${box.uploadBaseUrl}/files/upload_sessions`;
    const tooSmall = await expectBoxError(await post(url, { folder_id: '0', file_size: 19_999_999, file_name: 'a.bin' }), 400, 'file_size_too_small');
    expect(tooSmall.message).toContain('20000000');
    await expectBoxError(await post(url, { file_size: 30_000_000, file_name: 'a.bin' }), 400, 'missing_destination');
    await expectBoxError(await post(url, { folder_id: 'abc', file_size: 30_000_000, file_name: 'a.bin' }), 400, 'invalid_folder_id');
    await expectBoxError(await post(url, { folder_id: '0', file_size: 30_000_000 }), 400, 'missing_file_name');
    await expectBoxError(await post(url, { folder_id: '0', file_size: 30_000_000, file_name: 'a/b' }), 400, 'item_name_invalid');
    await expectBoxError(await post(url, { folder_id: '0', file_name: 'a.bin' }), 400, 'missing_file_size');
    await expectBoxError(await post(url, { folder_id: '0', file_size: 'big', file_name: 'a.bin' }), 400, 'invalid_file_size');
    await expectBoxError(await post(url, { folder_id: '999', file_size: 30_000_000, file_name: 'a.bin' }), 404, 'invalid_parameter');
  });

  it('enforces quota and per-file limits with 403', async () => {
    const box = await startBox({ ...SMALL, storageQuotaBytes: 10_000, maxFileSizeBytes: 8000 });
    const url = `${box.uploadBaseUrl}/files/upload_sessions`;
    await expectBoxError(await post(url, { folder_id: '0', file_size: 9000, file_name: 'a.bin' }), 403, 'file_size_limit_exceeded');
    expect((await plainUpload(`${box.uploadBaseUrl}/files/content`, { name: 'x.bin', parent: { id: '0' } }, randomBytes(5000))).status).toBe(201);
    await expectBoxError(await post(url, { folder_id: '0', file_size: 6000, file_name: 'a.bin' }), 403, 'storage_limit_exceeded');
  });

  it('answers 401 with WWW-Authenticate for a missing or wrong token, and expired_token after rotation', async () => {
    const box = await startBox(SMALL);
    const missing = await fetch(`${box.apiBaseUrl}/folders/0`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(
      'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
    );
    expect((await fetch(`${box.apiBaseUrl}/folders/0`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    box.setAccessToken('fresh-token');
    const old = await fetch(`${box.apiBaseUrl}/folders/0`, { headers: AUTH });
    expect(old.status).toBe(401);
    expect(old.headers.get('www-authenticate')).toContain('expired_token');
    expect((await fetch(`${box.apiBaseUrl}/folders/0`, { headers: { authorization: 'Bearer fresh-token' } })).status).toBe(200);
  });

  it('rejects bad parts in the documented order and keeps stored parts immutable', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    // Misaligned start, short non-last part, wrong total.
    await expectBoxError(await putPart(session, file, 10, 1024), 416, 'requested_range_not_satisfiable');
    await expectBoxError(await putPart(session, file, 0, 1000), 416, 'requested_range_not_satisfiable');
    await expectBoxError(await putPart(session, file, 0, 1024, { 'content-range': 'bytes 0-1023/9999' }), 416, 'requested_range_not_satisfiable');
    await expectBoxError(await putPart(session, file, 0, 1024, { digest: `sha=${sha1(Buffer.from('x')).toString('base64')}` }), 412, 'precondition_failed');
    await expectBoxError(await putPart(session, file, 0, 1024, { digest: 'md5=abc' }), 412, 'precondition_failed');

    expect((await putPart(session, file, 0, 1024)).status).toBe(200);
    await expectBoxError(await putPart(session, file, 0, 1024), 416, 'range_overlaps_existing_part');
    // Box's web uploader sends SHA-256 part digests.
    const second = file.subarray(1024, 2048);
    const viaSha256 = await putPart(session, file, 1024, 1024, { digest: `sha-256=${createHash('sha256').update(second).digest('base64')}` });
    expect(viaSha256.status).toBe(200);

    const [view] = box.sessions();
    expect(view?.partsStored).toBe(2);
    // 8 PUT bodies arrived (6 rejected, 2 stored), each 1024 bytes except the 1000-byte short one.
    expect(view?.bytesReceivedTotal).toBe(7 * 1024 + 1000);
  });

  // box-node-sdk streams parts chunked, without Content-Length, and the service takes them (protocols.md §1.3/§1.4);
  // relaxing 411 must not let a body that disagrees with its Content-Range through.
  it('accepts a chunked part whose body matches its Content-Range, and refuses one that is shorter or longer', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    const first = file.subarray(0, 1024);
    const digest = `sha=${sha1(first).toString('base64')}`;
    const send = (body: Buffer, range = 'bytes 0-1023/3000', digestHeader = digest) =>
      putChunked(session, body, { 'content-range': range, digest: digestHeader });

    const short = await send(first.subarray(0, 1000));
    expect([short.status, JSON.parse(short.body)]).toMatchObject([400, { type: 'error', code: 'request_size_mismatch' }]);
    const long = await send(Buffer.concat([first, file.subarray(1024, 1030)]));
    expect([long.status, JSON.parse(long.body)]).toMatchObject([400, { type: 'error', code: 'request_size_mismatch' }]);
    // A body that matches a misaligned range is still the range's 416.
    const misaligned = await send(file.subarray(10, 1034), 'bytes 10-1033/3000');
    expect([misaligned.status, JSON.parse(misaligned.body)]).toMatchObject([416, { code: 'requested_range_not_satisfiable' }]);
    const wrongDigest = await send(first, undefined, `sha=${sha1(Buffer.from('x')).toString('base64')}`);
    expect([wrongDigest.status, JSON.parse(wrongDigest.body)]).toMatchObject([412, { code: 'precondition_failed' }]);
    expect(box.sessions()[0]?.partsStored).toBe(0);

    const stored = await send(first);
    expect(stored.status).toBe(200);
    expect(JSON.parse(stored.body)).toMatchObject({ part: { offset: 0, size: 1024, sha1: sha1(first).toString('hex') } });
    expect(box.requests.filter((r) => r.op === 'box.part').map((r) => [r.status, r.hasContentLength])).toEqual([
      [400, false],
      [400, false],
      [416, false],
      [412, false],
      [200, false],
    ]);
  });

  it('answers 411 length_required for a part with neither Content-Length nor a chunked body', async () => {
    const box = await startBox(SMALL);
    const session = await createSession(box, 3000);
    const target = new URL(session.session_endpoints.upload_part);
    const raw = await rawExchange(
      target,
      `PUT ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        'Content-Range: bytes 0-1023/3000\r\nConnection: close\r\n\r\n',
    );
    expect(raw.startsWith('HTTP/1.1 411')).toBe(true);
    expect(raw).toContain('"code":"length_required"');
    expect(box.sessions()[0]?.partsStored).toBe(0);
  });

  it('answers 400 request_size_mismatch when the body ends before Content-Length', async () => {
    const box = await startBox(SMALL);
    const session = await createSession(box, 3000);
    const target = new URL(session.session_endpoints.upload_part);
    const raw = await rawExchange(
      target,
      `PUT ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        'Content-Range: bytes 0-1023/3000\r\nContent-Length: 1024\r\n\r\n' +
        'x'.repeat(500),
    );
    expect(raw.startsWith('HTTP/1.1 400')).toBe(true);
    expect(raw).toContain('"code":"request_size_mismatch"');
    expect(box.sessions()[0]?.partsStored).toBe(0);
  });

  it('rejects a wrong whole-file digest and unknown or missing parts at commit', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    const parts = await uploadAll(session, file);
    const wrong = await expectBoxError(await commit(session, parts, file, Buffer.from('other')), 400, 'digest_mismatch');
    expect(wrong.message).toContain('File digest was incorrect');
    await expectBoxError(await commit(session, parts.slice(0, 2), file), 400, 'parts_mismatch');
    const forged = parts.map((p, i) => (i === 1 ? { ...p, part_id: '00000000' } : p));
    expect((await expectBoxError(await commit(session, forged, file), 400, 'parts_mismatch')).message).toContain('No matching part found');
    await expectBoxError(await commit(session, [...parts].reverse(), file), 400, 'parts_mismatch');
    expect((await commit(session, parts, file)).status).toBe(201);
    expect(box.sessions()[0]?.commitAttempts).toBe(5);
  });

  it('answers 202 + Retry-After until parts are processed, then 201', async () => {
    const box = await startBox({ ...SMALL, commitProcessingDelayMs: 300 });
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    const parts = await uploadAll(session, file);
    const first = await commit(session, parts, file);
    expect(first.status).toBe(202);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.text()).toBe('');
    let status = 202;
    for (let attempt = 0; attempt < 40 && status === 202; attempt += 1) {
      await sleepMs(50);
      status = (await commit(session, parts, file)).status;
    }
    expect(status).toBe(201);
  });

  it('answers parts_mismatch for a window after the last part, then commits', async () => {
    const box = await startBox({ ...SMALL, partsMismatchWindowMs: 300 });
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    const parts = await uploadAll(session, file);
    await expectBoxError(await commit(session, parts, file), 400, 'parts_mismatch');
    let status = 400;
    for (let attempt = 0; attempt < 40 && status === 400; attempt += 1) {
      await sleepMs(50);
      status = (await commit(session, parts, file)).status;
    }
    expect(status).toBe(201);
  });

  it('reports a name in use at create with the conflicting file id, and uploads a new version through it', async () => {
    const box = await startBox(SMALL);
    const original = randomBytes(3000);
    const first = await createSession(box, original.length, 'doc.bin');
    expect((await commit(first, await uploadAll(first, original), original)).status).toBe(201);
    const fileId = box.files()[0]?.id ?? '';

    const clash = await expectBoxError(
      await post(`${box.uploadBaseUrl}/files/upload_sessions`, { folder_id: '0', file_size: 4000, file_name: 'doc.bin' }),
      409,
      'item_name_in_use',
    );
    expect(clash.context_info?.conflicts).toMatchObject({ type: 'file', id: fileId, name: 'doc.bin', sha1: sha1(original).toString('hex'), etag: '0' });

    const updated = randomBytes(4000);
    const versionResponse = await post(`${box.uploadBaseUrl}/files/${fileId}/upload_sessions`, { file_size: updated.length });
    expect(versionResponse.status).toBe(201);
    const version = await json<SessionJson>(versionResponse);
    const done = await commit(version, await uploadAll(version, updated), updated);
    expect(done.status).toBe(201);
    expect((await json<{ entries: Array<Record<string, unknown>> }>(done)).entries[0]).toMatchObject({ id: fileId, etag: '1', size: 4000 });
    const [file] = box.files();
    expect(file).toMatchObject({ id: fileId, versions: 2, size: 4000, sha1: sha1(updated).toString('hex') });
    expect(readFileSync(file?.storagePath ?? '').equals(updated)).toBe(true);
    expect(box.sessions()[1]).toMatchObject({ fileId, fileName: 'doc.bin' });
  });

  it('answers 409 item_name_in_use at commit when the name was taken meanwhile', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length, 'race.bin');
    const parts = await uploadAll(session, file);
    expect((await plainUpload(`${box.uploadBaseUrl}/files/content`, { name: 'race.bin', parent: { id: '0' } }, randomBytes(10))).status).toBe(201);
    await expectBoxError(await commit(session, parts, file), 409, 'item_name_in_use');
    expect(box.sessions()[0]?.state).toBe('open');
  });

  it('pages list_parts by part index (default limit 100, offset cap 10000)', async () => {
    const box = await startBox({ minChunkedFileBytes: 1000, partSizeBytes: () => 100 });
    const file = randomBytes(150 * 100 + 37);
    const session = await createSession(box, file.length);
    expect(session.total_parts).toBe(151);
    const offsets = Array.from({ length: 151 }, (_, i) => i * 100);
    for (let i = 0; i < offsets.length; i += 16) {
      const batch = offsets.slice(i, i + 16).map((offset) => putPart(session, file, offset, Math.min(100, file.length - offset)));
      for (const response of await Promise.all(batch)) expect(response.status).toBe(200);
    }
    const page = (query: string) => fetch(`${session.session_endpoints.list_parts}${query}`, { headers: AUTH });
    const first = await json<{ total_count: number; limit: number; offset: number; entries: PartJson[] }>(await page(''));
    expect(first).toMatchObject({ total_count: 151, limit: 100, offset: 0 });
    expect(first.entries.map((e) => e.offset)).toEqual(offsets.slice(0, 100));
    const second = await json<{ entries: PartJson[] }>(await page('?offset=100&limit=100'));
    expect(second.entries.map((e) => e.offset)).toEqual(offsets.slice(100));
    const single = await json<{ entries: PartJson[] }>(await page('?offset=7&limit=1'));
    expect(single.entries).toEqual([expect.objectContaining({ offset: 700, size: 100 })]);
    expect((await json<{ limit: number }>(await page('?limit=5000'))).limit).toBe(1000);
    await expectBoxError(await page('?offset=10001'), 400, 'bad_request');
    const all = [...first.entries, ...second.entries];
    expect((await commit(session, all, file)).status).toBe(201);
  });

  it('answers 410 session_expired for an expired session and 410 upload_failed for a failed one', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    box.expireSession(session.id);
    await expectBoxError(await putPart(session, file, 0, 1024), 410, 'session_expired');
    await expectBoxError(await fetch(session.session_endpoints.status, { headers: AUTH }), 410, 'session_expired');
    await expectBoxError(await commit(session, [], file), 410, 'session_expired');
    expect(box.sessions()[0]?.state).toBe('expired');

    const other = await createSession(box, file.length, 'other.bin');
    box.failSession(other.id);
    await expectBoxError(await fetch(other.session_endpoints.list_parts, { headers: AUTH }), 410, 'upload_failed');
  });

  it('aborts with 204, after which the session is 404', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    expect((await putPart(session, file, 0, 1024)).status).toBe(200);
    const aborted = await fetch(session.session_endpoints.abort, { method: 'DELETE', headers: AUTH });
    expect(aborted.status).toBe(204);
    expect(await aborted.text()).toBe('');
    await expectBoxError(await fetch(session.session_endpoints.status, { headers: AUTH }), 404, 'not_found');
    await expectBoxError(await putPart(session, file, 1024, 1024), 404, 'not_found');
    expect(box.sessions()[0]?.state).toBe('aborted');
  });

  it('accepts log events with 204', async () => {
    const box = await startBox(SMALL);
    const session = await createSession(box, 3000);
    expect((await post(session.session_endpoints.log_event, { event_type: 'upload_progress' })).status).toBe(204);
  });

  it('forgets a dropped part: list parts no longer shows it and it can be uploaded again', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    const parts = await uploadAll(session, file);
    box.dropPart(session.id, 1024);
    const listed = await json<{ total_count: number; entries: PartJson[] }>(await fetch(session.session_endpoints.list_parts, { headers: AUTH }));
    expect(listed.entries.map((e) => e.offset)).toEqual([0, 2048]);
    await expectBoxError(await commit(session, parts, file), 400, 'parts_mismatch');
    const again = await putPart(session, file, 1024, 1024);
    expect(again.status).toBe(200);
    const replacement = (await json<{ part: PartJson }>(again)).part;
    expect((await commit(session, [parts[0], replacement, parts[2]] as PartJson[], file)).status).toBe(201);
  });

  it('answers 409 session_conflict with the open session when configured', async () => {
    const box = await startBox({ ...SMALL, duplicateCreateCode: 'session_conflict' });
    const session = await createSession(box, 3000, 'dup.bin');
    const again = await expectBoxError(
      await post(`${box.uploadBaseUrl}/files/upload_sessions`, { folder_id: '0', file_size: 3000, file_name: 'dup.bin' }),
      409,
      'session_conflict',
    );
    expect(again.context_info?.session).toMatchObject({ id: session.id, type: 'upload_session' });
  });
});

describe('BoxEmulator faults and throughput', () => {
  it('apply-then-fail stores the part but answers 500; the retry then overlaps', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    box.faults.add({ op: 'box.part', action: { type: 'apply-then-fail', status: 500 } });
    await expectBoxError(await putPart(session, file, 0, 1024), 500, 'internal_server_error');
    expect(box.sessions()[0]?.partsStored).toBe(1);
    await expectBoxError(await putPart(session, file, 0, 1024), 416, 'range_overlaps_existing_part');
  });

  it('early status faults carry Retry-After and a Box error body; malformed-json still applies the request', async () => {
    const box = await startBox(SMALL);
    box.faults.add({ op: 'box.create', action: { type: 'status', status: 429, retryAfterSec: 3 } });
    const limited = await post(`${box.uploadBaseUrl}/files/upload_sessions`, { folder_id: '0', file_size: 3000, file_name: 'a.bin' });
    expect(limited.headers.get('retry-after')).toBe('3');
    await expectBoxError(limited, 429, 'rate_limit_exceeded');
    expect(box.sessions()).toHaveLength(0);

    box.faults.add({ op: 'box.create', action: { type: 'malformed-json' } });
    const garbled = await post(`${box.uploadBaseUrl}/files/upload_sessions`, { folder_id: '0', file_size: 3000, file_name: 'a.bin' });
    expect(garbled.status).toBe(200);
    await expect(garbled.json()).rejects.toThrow();
    expect(box.sessions()).toHaveLength(1);
    expect(box.requests.map((r) => [r.op, r.status])).toEqual([
      ['box.create', 429],
      ['box.create', 200],
    ]);
  });

  it('reset-mid-body drops the connection without storing anything; the retry succeeds', async () => {
    const box = await startBox(SMALL);
    const file = randomBytes(3000);
    const session = await createSession(box, file.length);
    box.faults.add({ op: 'box.part', action: { type: 'reset-mid-body', afterBytes: 1 } });
    await expect(putPart(session, file, 0, 1024)).rejects.toThrow();
    expect(box.sessions()[0]?.partsStored).toBe(0);
    expect((await putPart(session, file, 0, 1024)).status).toBe(200);
    expect(box.requests.filter((r) => r.op === 'box.part').map((r) => r.status)).toEqual([0, 200]);
  });

  it('answers 409 for a second upload of a chunk whose first upload is still arriving', async () => {
    // The first socket chunk passes the cap at once; the rest of the 200 kB trickles in over ~0.4 s.
    const box = await startBox({ ...SMALL, partSizeBytes: () => 200_000, throughputBytesPerSec: 400_000 });
    const file = randomBytes(400_000);
    const session = await createSession(box, file.length);
    const slow = putPart(session, file, 0, 200_000);
    for (let attempt = 0; attempt < 100 && (box.sessions()[0]?.bytesReceivedTotal ?? 0) === 0; attempt += 1) await sleepMs(5);
    await expectBoxError(await putPart(session, file, 0, 200_000), 409, 'conflict');
    expect((await slow).status).toBe(200);
  });

  it('caps body throughput', async () => {
    const box = await startBox({ ...SMALL, partSizeBytes: () => 100_000, throughputBytesPerSec: 400_000 });
    const file = randomBytes(200_000);
    const session = await createSession(box, file.length);
    const startedMs = Date.now();
    const [a, b] = await Promise.all([putPart(session, file, 0, 100_000), putPart(session, file, 100_000, 100_000)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // 200 kB at 400 kB/s: the second half must wait ~250 ms or more behind the first.
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(200);
    box.setThroughput(undefined);
  });
});

describe('BoxEmulator plain upload and folders', () => {
  it('uploads small files as multipart, reports conflicts, and takes new versions', async () => {
    const box = await startBox();
    const data = randomBytes(5000);
    const created = await plainUpload(`${box.uploadBaseUrl}/files/content`, { name: 'small.txt', parent: { id: '0' } }, data);
    expect(created.status).toBe(201);
    const entry = (await json<{ total_count: number; entries: Array<{ id: string; sha1: string; size: number }> }>(created)).entries[0];
    expect(entry).toMatchObject({ sha1: sha1(data).toString('hex'), size: 5000 });
    expect(box.files()[0]).toMatchObject({ name: 'small.txt', size: 5000, versions: 1 });

    const clash = await expectBoxError(
      await plainUpload(`${box.uploadBaseUrl}/files/content`, { name: 'small.txt', parent: { id: '0' } }, data),
      409,
      'item_name_in_use',
    );
    expect(clash.context_info?.conflicts).toMatchObject({ type: 'file', id: entry?.id });
    await expectBoxError(
      await plainUpload(`${box.uploadBaseUrl}/files/content`, { name: 'late.txt', parent: { id: '0' } }, data, true),
      400,
      'metadata_after_file_contents',
    );

    const next = randomBytes(70);
    expect((await plainUpload(`${box.uploadBaseUrl}/files/${entry?.id}/content`, undefined, next)).status).toBe(201);
    expect(box.files()[0]).toMatchObject({ versions: 2, size: 70, sha1: sha1(next).toString('hex') });
    const metadata = await json<Record<string, unknown>>(await fetch(`${box.apiBaseUrl}/files/${entry?.id}`, { headers: AUTH }));
    expect(metadata).toMatchObject({ type: 'file', id: entry?.id, name: 'small.txt', size: 70, parent: { id: '0' }, file_version: { sha1: sha1(next).toString('hex') } });
  });

  it('creates, reads and lists folders, with conflicts on duplicates', async () => {
    const box = await startBox();
    const root = await json<{ id: string; name: string; item_collection: { total_count: number } }>(
      await fetch(`${box.apiBaseUrl}/folders/0`, { headers: AUTH }),
    );
    expect(root).toMatchObject({ type: 'folder', id: '0', item_collection: { total_count: 0 } });

    const created = await post(`${box.apiBaseUrl}/folders`, { name: 'Backups', parent: { id: '0' } });
    expect(created.status).toBe(201);
    const folder = await json<{ id: string; name: string }>(created);
    expect(box.folders()).toEqual([{ id: folder.id, name: 'Backups', parentId: '0' }]);

    const clash = await expectBoxError(await post(`${box.apiBaseUrl}/folders`, { name: 'Backups', parent: { id: '0' } }), 409, 'item_name_in_use');
    expect(clash.context_info?.conflicts).toEqual([expect.objectContaining({ type: 'folder', id: folder.id })]);
    await expectBoxError(await post(`${box.apiBaseUrl}/folders`, { name: 'x', parent: { id: '424242' } }), 404, 'not_found');

    const session = await createSession(box, 20_000_000, 'in-folder.bin', folder.id);
    expect(box.sessions()[0]).toMatchObject({ id: session.id, folderId: folder.id });
    for (const name of ['b', 'a', 'c']) expect((await post(`${box.apiBaseUrl}/folders`, { name, parent: { id: folder.id } })).status).toBe(201);

    const items = await json<{ total_count: number; entries: Array<{ type: string; name: string }> }>(
      await fetch(`${box.apiBaseUrl}/folders/${folder.id}/items?limit=2&offset=1`, { headers: AUTH }),
    );
    expect(items.total_count).toBe(3);
    expect(items.entries.map((e) => e.name)).toEqual(['b', 'c']);
    expect((await json<{ name: string }>(await fetch(`${box.apiBaseUrl}/folders/${folder.id}`, { headers: AUTH }))).name).toBe('Backups');
    await expectBoxError(await fetch(`${box.apiBaseUrl}/folders/31337`, { headers: AUTH }), 404, 'not_found');
    await expectBoxError(await fetch(`${box.apiBaseUrl}/files/31337`, { headers: AUTH }), 404, 'not_found');
  });
});
