/** The Apideck emulator itself, driven with raw fetch, so client tests can trust what it enforces. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApideckEmulator, type ApideckEmulatorOptions } from '../emulators/apideck-emulator.js';

const AUTH_HEADERS = {
  authorization: 'Bearer apideck-test-key',
  'x-apideck-app-id': 'test-app',
  'x-apideck-consumer-id': 'test-consumer',
};
const PART_SIZE_BYTES = 64 * 1024;
const BASE = '/file-storage/upload-sessions';

const cleanups: Array<() => Promise<void>> = [];
const storageDirs = new WeakMap<ApideckEmulator, string>();
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function startEmulator(opts: Partial<ApideckEmulatorOptions> = {}): Promise<ApideckEmulator> {
  const storageDir = await mkdtemp(join(tmpdir(), 'apideck-emu-'));
  const emu = await ApideckEmulator.start({ storageDir, partSizeBytes: PART_SIZE_BYTES, ...opts });
  storageDirs.set(emu, storageDir);
  cleanups.push(async () => {
    await emu.close();
    await rm(storageDir, { recursive: true, force: true });
  });
  return emu;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(
  emu: ApideckEmulator,
  method: string,
  path: string,
  init: { body?: string | Buffer; headers?: Record<string, string | undefined> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...AUTH_HEADERS, ...init.headers })) if (v !== undefined) headers[k] = v;
  const res = await fetch(emu.url + path, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function createSession(emu: ApideckEmulator, sizeBytes: number): Promise<string> {
  const body = JSON.stringify({ name: 'video.mp4', parent_folder_id: 'root', size: sizeBytes });
  const res = await call(emu, 'POST', BASE, { body, headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(201);
  return res.json.data.id as string;
}

function part(data: Buffer, partNumber: number, partSizeBytes = PART_SIZE_BYTES): Buffer {
  return data.subarray(partNumber * partSizeBytes, Math.min((partNumber + 1) * partSizeBytes, data.length));
}

const sha1Base64 = (b: Buffer): string => createHash('sha1').update(b).digest('base64');

function putPart(
  emu: ApideckEmulator,
  id: string,
  partNumber: number | string,
  body: Buffer,
  headers: Record<string, string | undefined> = {},
): Promise<Answer> {
  return call(emu, 'PUT', `${BASE}/${id}?part_number=${partNumber}`, {
    body,
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });
}

const finish = (emu: ApideckEmulator, id: string, headers: Record<string, string> = {}): Promise<Answer> =>
  call(emu, 'POST', `${BASE}/${id}/finish`, { body: '{}', headers: { 'content-type': 'application/json', ...headers } });

describe('apideck emulator: happy path', () => {
  it('uploads sequentially, finishes with the right size and sha1, and stores the file on disk', async () => {
    const emu = await startEmulator();
    const data = randomBytes(3 * PART_SIZE_BYTES + 1234);
    const id = await createSession(emu, data.length);

    const got = await call(emu, 'GET', `${BASE}/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ status_code: 200, service: 'onedrive', resource: 'UploadSessions', operation: 'one' });
    expect(got.json.data).toMatchObject({ id, success: false, part_size: PART_SIZE_BYTES, parallel_upload_supported: false, uploaded_byte_range: null });
    expect(new Date(got.json.data.expires_at).getTime()).toBeGreaterThan(Date.now());

    for (let n = 0; n < 4; n += 1) {
      const put = await putPart(emu, id, n, part(data, n));
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({ status_code: 200, resource: 'UploadSessions', data: { id } });
    }
    const done = await finish(emu, id);
    expect(done.status).toBe(201);
    expect(done.json.data).toMatchObject({ name: 'video.mp4', type: 'file', size: data.length, parent_folders: [{ id: 'root' }] });

    const [file] = emu.files();
    expect(file?.sha1).toBe(createHash('sha1').update(data).digest('hex'));
    expect(file?.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(file?.size).toBe(data.length);
    expect((await readFile(file?.storagePath ?? '')).equals(data)).toBe(true);
    expect(emu.sessions()[0]).toMatchObject({ state: 'finished', partsStored: [0, 1, 2, 3], bytesReceivedTotal: data.length, maxConcurrentPuts: 1 });

    const after = await call(emu, 'GET', `${BASE}/${id}`);
    expect(after.json.data).toMatchObject({ success: true, uploaded_byte_range: `0-${data.length - 1}` });
    expect((await finish(emu, id)).status).toBe(422);
    expect(emu.requests.map((r) => r.op)).toContain('apideck.finish');
    expect(emu.requests.find((r) => r.op === 'apideck.part')?.headers['x-apideck-consumer-id']).toBe('test-consumer');
  });

  it('uses connector defaults for part size and parallel flag', async () => {
    const onedrive = await startEmulator({ partSizeBytes: undefined });
    const id = await createSession(onedrive, 1);
    expect((await call(onedrive, 'GET', `${BASE}/${id}`)).json.data).toMatchObject({ part_size: 10_485_760, parallel_upload_supported: false });
    const box = await startEmulator({ partSizeBytes: undefined, connector: 'box' });
    const boxId = await createSession(box, 1);
    expect((await call(box, 'GET', `${BASE}/${boxId}`)).json.data).toMatchObject({ part_size: 8 * 1024 * 1024, parallel_upload_supported: true });
  });

  it('finishes a zero-byte session without any part', async () => {
    const emu = await startEmulator();
    const id = await createSession(emu, 0);
    expect((await finish(emu, id)).status).toBe(201);
    expect(emu.files()[0]?.sha1).toBe(createHash('sha1').digest('hex'));
  });

  it('overwrites a part uploaded again with the same part number', async () => {
    const emu = await startEmulator();
    const data = randomBytes(PART_SIZE_BYTES + 10);
    const id = await createSession(emu, data.length);
    expect((await putPart(emu, id, 0, randomBytes(PART_SIZE_BYTES))).status).toBe(200);
    expect((await putPart(emu, id, 0, part(data, 0))).status).toBe(200);
    expect((await putPart(emu, id, 1, part(data, 1))).status).toBe(200);
    expect((await finish(emu, id)).status).toBe(201);
    expect(emu.files()[0]?.sha1).toBe(createHash('sha1').update(data).digest('hex'));
  });
});

describe('apideck emulator: validation', () => {
  it('accepts part_number=0.0 and rejects non-integer or out-of-range numbers', async () => {
    const emu = await startEmulator();
    const data = randomBytes(2 * PART_SIZE_BYTES);
    const id = await createSession(emu, data.length);
    expect((await putPart(emu, id, '0.0', part(data, 0))).status).toBe(200);
    expect((await putPart(emu, id, '1.0', part(data, 1))).status).toBe(200);
    for (const bad of ['1.5', '-1', 'abc', '2', '0x1', '']) {
      const res = await putPart(emu, id, bad, part(data, 0));
      expect(res.status, `part_number=${bad}`).toBe(400);
      expect(res.json.type_name).toBe('RequestValidationError');
    }
    expect(emu.sessions()[0]?.partsStored).toEqual([0, 1]);
  });

  it('rejects a part whose size is not part_size (or the exact remainder for the last part) and counts its bytes', async () => {
    const emu = await startEmulator();
    const data = randomBytes(PART_SIZE_BYTES + 100);
    const id = await createSession(emu, data.length);
    const short = await putPart(emu, id, 0, data.subarray(0, PART_SIZE_BYTES - 1));
    expect(short.status).toBe(400);
    expect(short.json).toMatchObject({ status_code: 400, error: 'Bad Request', type_name: 'RequestValidationError', message: 'Invalid Params' });
    expect(short.json.ref).toBe('https://developers.apideck.com/errors#requestvalidationerror');
    expect((await putPart(emu, id, 1, data.subarray(0, 101))).status).toBe(400);
    expect(emu.sessions()[0]).toMatchObject({ partsStored: [], bytesReceivedTotal: PART_SIZE_BYTES - 1 + 101 });
  });

  it('validates the create body (additionalProperties false, required fields, integer size)', async () => {
    const emu = await startEmulator();
    const bodies = [
      { name: 'a', parent_folder_id: 'root', size: 1, extra: true },
      { name: 'a', parent_folder_id: 'root' },
      { parent_folder_id: 'root', size: 1 },
      { name: 'a', size: 1 },
      { name: 'a', parent_folder_id: 'root', size: -1 },
      { name: 'a', parent_folder_id: 'root', size: 1.5 },
      { name: 'a', parent_folder_id: 'root', size: '10' },
    ];
    for (const body of bodies) {
      const res = await call(emu, 'POST', BASE, { body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.type_name).toBe('RequestValidationError');
    }
    expect((await call(emu, 'POST', BASE, { body: 'not json' })).status).toBe(400);
    const ok = { name: 'a', parent_folder_id: 'root', drive_id: 'd1', size: 5, pass_through: [] };
    const created = await call(emu, 'POST', BASE, { body: JSON.stringify(ok) });
    expect(created.json).toMatchObject({ status_code: 201, status: 'Created', resource: 'UploadSessions', operation: 'add' });
    expect(emu.sessions()).toHaveLength(1);
  });

  it('answers 400 RequestHeadersValidationError for each missing mandatory header and 401 for a bad key or app id', async () => {
    const emu = await startEmulator();
    for (const [header, name] of [['authorization', 'Authorization'], ['x-apideck-app-id', 'x-apideck-app-id'], ['x-apideck-consumer-id', 'x-apideck-consumer-id']] as const) {
      const res = await call(emu, 'GET', `${BASE}/whatever`, { headers: { [header]: undefined } });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ type_name: 'RequestHeadersValidationError', detail: `Missing Header: ${name}` });
    }
    const badKey = await call(emu, 'GET', `${BASE}/whatever`, { headers: { authorization: 'Bearer nope' } });
    expect(badKey.status).toBe(401);
    expect(badKey.json).toMatchObject({ status_code: 401, error: 'Unauthorized', type_name: 'UnauthorizedError' });
    expect((await call(emu, 'GET', `${BASE}/x`, { headers: { 'x-apideck-app-id': 'other' } })).status).toBe(401);

    emu.setApiKey('rotated');
    expect((await call(emu, 'POST', BASE, { body: JSON.stringify({ name: 'a', parent_folder_id: 'r', size: 1 }) })).status).toBe(401);
    const rotated = await call(emu, 'POST', BASE, { body: JSON.stringify({ name: 'a', parent_folder_id: 'r', size: 1 }), headers: { authorization: 'Bearer rotated' } });
    expect(rotated.status).toBe(201);
  });

  it('answers 404 EntityNotFoundError for unknown sessions, sessions of another consumer and unknown routes', async () => {
    const emu = await startEmulator({ consumerIds: ['test-consumer', 'other'] });
    const id = await createSession(emu, 10);
    const unknown = await call(emu, 'GET', `${BASE}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.type_name).toBe('EntityNotFoundError');
    expect((await call(emu, 'GET', `${BASE}/${id}`, { headers: { 'x-apideck-consumer-id': 'other' } })).status).toBe(404);
    expect((await call(emu, 'GET', '/file-storage/files')).status).toBe(404);
  });
});

describe('apideck emulator: session state', () => {
  it('answers 422 InvalidStateError to finish before all parts are there', async () => {
    const emu = await startEmulator();
    const data = randomBytes(2 * PART_SIZE_BYTES);
    const id = await createSession(emu, data.length);
    expect((await putPart(emu, id, 1, part(data, 1))).status).toBe(200);
    const early = await finish(emu, id);
    expect(early.status).toBe(422);
    expect(early.json).toMatchObject({ status_code: 422, type_name: 'InvalidStateError' });
    expect(emu.files()).toHaveLength(0);
  });

  it('reports uploaded_byte_range as the contiguous prefix, including after dropPart', async () => {
    const emu = await startEmulator();
    const data = randomBytes(2 * PART_SIZE_BYTES + 7);
    const id = await createSession(emu, data.length);
    const range = async (): Promise<string | null> => (await call(emu, 'GET', `${BASE}/${id}`)).json.data.uploaded_byte_range;
    expect(await range()).toBeNull();
    await putPart(emu, id, 0, part(data, 0));
    expect(await range()).toBe(`0-${PART_SIZE_BYTES - 1}`);
    await putPart(emu, id, 2, part(data, 2));
    expect(await range()).toBe(`0-${PART_SIZE_BYTES - 1}`);
    await putPart(emu, id, 1, part(data, 1));
    expect(await range()).toBe(`0-${data.length - 1}`);
    emu.dropPart(id, 1);
    expect(await range()).toBe(`0-${PART_SIZE_BYTES - 1}`);
    expect((await finish(emu, id)).status).toBe(422);
    emu.dropPart(id, 0);
    expect(await range()).toBeNull();
  });

  it('answers 404 for an expired session (manual expiry and TTL)', async () => {
    const emu = await startEmulator({ sessionTtlMs: 40 });
    const id = await createSession(emu, 10);
    const other = await createSession(emu, 10);
    emu.expireSession(id);
    const res = await call(emu, 'GET', `${BASE}/${id}`);
    expect(res.status).toBe(404);
    expect(res.json.type_name).toBe('EntityNotFoundError');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await putPart(emu, other, 0, randomBytes(10))).status).toBe(404);
    expect(emu.sessions().map((s) => s.state)).toEqual(['expired', 'expired']);
  });

  it('aborts with 200 and then answers 404 to everything', async () => {
    const emu = await startEmulator();
    const id = await createSession(emu, 10);
    const del = await call(emu, 'DELETE', `${BASE}/${id}`);
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ status_code: 200, resource: 'UploadSessions', operation: 'delete', data: { id } });
    expect((await call(emu, 'DELETE', `${BASE}/${id}`)).status).toBe(404);
    expect((await call(emu, 'GET', `${BASE}/${id}`)).status).toBe(404);
    expect((await putPart(emu, id, 0, randomBytes(10))).status).toBe(404);
    expect((await finish(emu, id)).status).toBe(404);
    expect(emu.sessions()[0]?.state).toBe('aborted');
  });
});

describe('apideck emulator: box connector digests', () => {
  it('requires a matching part digest and whole-file digest', async () => {
    const emu = await startEmulator({ connector: 'box' });
    const data = randomBytes(PART_SIZE_BYTES + 500);
    const id = await createSession(emu, data.length);

    const missing = await putPart(emu, id, 0, part(data, 0));
    expect(missing.status).toBe(400);
    expect(missing.json.type_name).toBe('ConnectorExecutionError');
    expect(missing.json.downstream_errors[0].code).toBe('missing_digest');
    const wrong = await putPart(emu, id, 0, part(data, 0), { digest: `sha=${sha1Base64(part(data, 1))}` });
    expect(wrong.status).toBe(400);
    expect(wrong.json.downstream_errors[0].code).toBe('digest_mismatch');
    expect(emu.sessions()[0]?.partsStored).toEqual([]);

    for (const n of [0, 1]) {
      expect((await putPart(emu, id, n, part(data, n), { digest: `sha=${sha1Base64(part(data, n))}` })).status).toBe(200);
    }
    expect((await finish(emu, id)).json.downstream_errors[0].code).toBe('missing_digest');
    const badFinish = await finish(emu, id, { digest: `sha=${sha1Base64(part(data, 0))}` });
    expect(badFinish.status).toBe(400);
    expect(badFinish.json.downstream_errors[0].message).toMatch(/^File digest was incorrect/);
    const done = await finish(emu, id, { digest: `sha=${sha1Base64(data)}` });
    expect(done.status).toBe(201);
    expect(done.json.service).toBe('box');
    expect(emu.requests.at(-1)?.headers.digest).toBe(`sha=${sha1Base64(data)}`);
  });
});

describe('apideck emulator: parallel uploads', () => {
  // 256 KiB parts at 512 KiB/s shared: each body takes ~0.4 s, so two PUTs started together overlap.
  const bigPartBytes = 256 * 1024;

  it('answers 409 to an overlapping PUT when parallel_upload_supported is false', async () => {
    const emu = await startEmulator({ partSizeBytes: bigPartBytes, throughputBytesPerSec: 512 * 1024 });
    const data = randomBytes(2 * bigPartBytes);
    const id = await createSession(emu, data.length);
    const answers = await Promise.all([0, 1].map((n) => putPart(emu, id, n, part(data, n, bigPartBytes))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.json.type_name).toBe('InvalidStateError');
    expect(emu.sessions()[0]).toMatchObject({ maxConcurrentPuts: 2, bytesReceivedTotal: data.length });
    expect(emu.sessions()[0]?.partsStored).toHaveLength(1);
  });

  it('accepts overlapping PUTs when parallel_upload_supported is true', async () => {
    const emu = await startEmulator({ partSizeBytes: bigPartBytes, throughputBytesPerSec: 512 * 1024, parallelUploadSupported: true });
    const data = randomBytes(2 * bigPartBytes);
    const id = await createSession(emu, data.length);
    expect((await call(emu, 'GET', `${BASE}/${id}`)).json.data.parallel_upload_supported).toBe(true);
    const answers = await Promise.all([1, 0].map((n) => putPart(emu, id, n, part(data, n, bigPartBytes))));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(emu.sessions()[0]?.maxConcurrentPuts).toBe(2);
    expect((await finish(emu, id)).status).toBe(201);
    expect(emu.files()[0]?.sha1).toBe(createHash('sha1').update(data).digest('hex'));
  });
});

describe('apideck emulator: fault injection', () => {
  it('injects 503 with Retry-After without touching state', async () => {
    const emu = await startEmulator();
    const data = randomBytes(100);
    const id = await createSession(emu, data.length);
    emu.faults.add({ op: 'apideck.part', action: { type: 'status', status: 503, retryAfterSec: 7 } });
    const res = await putPart(emu, id, 0, data);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.json).toMatchObject({ status_code: 503, type_name: 'ConnectorExecutionError' });
    expect(emu.sessions()[0]).toMatchObject({ partsStored: [], bytesReceivedTotal: 100 });
    expect((await putPart(emu, id, 0, data)).status).toBe(200);
  });

  it('injects 429 ConnectorRateLimitError, default or with a given body', async () => {
    const emu = await startEmulator();
    emu.faults.add({ op: 'apideck.create', action: { type: 'status', status: 429, retryAfterSec: 1 } });
    const res = await call(emu, 'POST', BASE, { body: JSON.stringify({ name: 'a', parent_folder_id: 'r', size: 1 }) });
    expect(res.status).toBe(429);
    expect(res.json).toMatchObject({ status_code: 429, error: 'Too Many Requests', type_name: 'ConnectorRateLimitError' });
    emu.faults.add({ op: 'apideck.get', action: { type: 'status', status: 429, body: { custom: true } } });
    expect((await call(emu, 'GET', `${BASE}/x`)).json).toEqual({ custom: true });
    expect(emu.sessions()).toHaveLength(0);
  });

  it('apply-then-fail stores the part but answers the failure status', async () => {
    const emu = await startEmulator();
    const data = randomBytes(100);
    const id = await createSession(emu, data.length);
    emu.faults.add({ op: 'apideck.part', action: { type: 'apply-then-fail', status: 500 } });
    expect((await putPart(emu, id, 0, data)).status).toBe(500);
    expect(emu.sessions()[0]?.partsStored).toEqual([0]);
    expect((await call(emu, 'GET', `${BASE}/${id}`)).json.data.uploaded_byte_range).toBe('0-99');
  });

  it('malformed-json creates the session but answers a body that is not JSON', async () => {
    const emu = await startEmulator();
    emu.faults.add({ op: 'apideck.create', action: { type: 'malformed-json' } });
    const res = await call(emu, 'POST', BASE, { body: JSON.stringify({ name: 'a', parent_folder_id: 'r', size: 1 }) });
    expect(res.status).toBe(200);
    expect(res.json).toBeUndefined();
    expect(emu.sessions()).toHaveLength(1);
  });

  it('survives a client that goes away mid-body: nothing stored, no temp file left, next PUT accepted', async () => {
    const emu = await startEmulator({ partSizeBytes: 256 * 1024, throughputBytesPerSec: 256 * 1024 });
    const data = randomBytes(256 * 1024);
    const id = await createSession(emu, data.length);
    const abort = new AbortController();
    const url = `${emu.url}${BASE}/${id}?part_number=0`;
    const put = fetch(url, { method: 'PUT', headers: AUTH_HEADERS, body: data, signal: abort.signal });
    setTimeout(() => abort.abort(), 150);
    await expect(put).rejects.toThrow();
    emu.faults.add({ op: 'apideck.part', action: { type: 'reset-mid-body', afterBytes: 1000 } });
    await expect(putPart(emu, id, 0, data)).rejects.toThrow();
    expect(emu.sessions()[0]?.partsStored).toEqual([]);
    emu.setThroughput(undefined);
    // The server notices the aborts asynchronously; poll (bounded) until the next PUT is not seen as overlapping.
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = (await putPart(emu, id, 0, data)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(200);
    expect(emu.sessions()[0]?.partsStored).toEqual([0]);
    const leftovers = (await readdir(join(storageDirs.get(emu) ?? '', 'apideck-sessions'))).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('delay holds the request and reset drops the connection', async () => {
    const emu = await startEmulator();
    emu.faults.add({ op: 'apideck.create', action: { type: 'delay', ms: 150 } });
    const startedMs = Date.now();
    await createSession(emu, 1);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(140);
    emu.faults.add({ op: 'apideck.get', action: { type: 'reset' } });
    await expect(call(emu, 'GET', `${BASE}/x`)).rejects.toThrow();
    expect(emu.faults.fired.map((f) => f.action)).toEqual(['delay', 'reset']);
  });
});
