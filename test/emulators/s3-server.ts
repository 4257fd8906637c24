/**
 * A local S3 for tests: s3rver 3.7.1 (storage, access key check, PutObject/UploadPart/Complete/Head/Get) behind a small
 * fault-injecting HTTP proxy. s3rver 3.7.1 lacks ListParts (405), AbortMultipartUpload (405) and ListMultipartUploads
 * (501) and never checks upload ids, ETags or part sizes, so the proxy answers those three operations from s3rver's
 * on-disk layout (`<dir>/<bucket>/._S3rver_uploads/<uploadId>/{key,metadata,N,N.md5}`) and refuses what S3 refuses
 * (NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall) before passing requests on. s3rver checks that the
 * access key id exists but never verifies SigV4 signatures (unimplemented upstream); the shim checks neither for the
 * three operations it answers. One file over 200 lines: the shim and the proxy share state.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { ThroughputCap, FaultInjector, replyDelayMs, requestDelayMs, type FaultAction } from './faults.js';

/** s3rver's built-in key pair; it checks SigV4 signatures made with it. */
export const S3_TEST_ACCESS_KEY_ID = 'S3RVER';
export const S3_TEST_SECRET_ACCESS_KEY = 'S3RVER';
export const S3_TEST_REGION = 'us-east-1';

const MIN_PART_BYTES = 5 * 1024 * 1024;

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

/** Operation names for fault rules: s3.create, s3.part, s3.list, s3.complete, s3.abort, s3.put, s3.head, plus s3.uploads, s3.get, s3.delete, s3.bucket. */
export type S3Op = 's3.create' | 's3.part' | 's3.list' | 's3.complete' | 's3.abort' | 's3.put' | 's3.head' | 's3.uploads' | 's3.get' | 's3.delete' | 's3.bucket' | 's3.other';

export interface S3RequestLogEntry {
  op: S3Op;
  method: string;
  key: string;
  query: URLSearchParams;
  /** Request body bytes that reached the server, counted as they arrive (also for requests cut short). */
  bytesReceived: number;
  headers: IncomingHttpHeaders;
  status?: number;
  fault?: FaultAction['type'];
  isFinished: boolean;
}

export interface StoredUpload {
  uploadId: string;
  key: string;
  initiatedAtMs: number;
  partNumbers: number[];
}

export interface S3TestServerOptions {
  bucket?: string;
  /** Parts per ListParts page (S3: 1,000); small values exercise pagination. */
  listPartsPageSize?: number;
  /** Uploads per ListMultipartUploads page (S3: 1,000). */
  listUploadsPageSize?: number;
}

export interface S3TestServer {
  /** The proxy's URL: give it to the client as the endpoint, with forcePathStyle. */
  endpoint: string;
  bucket: string;
  faults: FaultInjector;
  requests: S3RequestLogEntry[];
  /** Payload bytes received by UploadPart and PutObject requests (or by `op`), including requests cut short. */
  bytesReceivedTotal(op?: S3Op): number;
  /** Most requests of `op` in flight at once. */
  maxConcurrent(op: S3Op): number;
  /** Caps how fast request bodies are consumed, across all requests (undefined: no cap). */
  setThroughput(bytesPerSec: number | undefined): void;
  uploads(): Promise<StoredUpload[]>;
  /** Deletes a multipart upload behind the client's back (all of them without an id); returns how many. */
  dropUpload(uploadId?: string): Promise<number>;
  /** Deletes one stored part: the server "lost" it. */
  dropPart(uploadId: string, partNumber: number): Promise<void>;
  /** Makes an upload look started `ageMs` ago (ListMultipartUploads `Initiated`). */
  backdateUpload(uploadId: string, ageMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? 'bucket';
  const directory = mkdtempSync(join(tmpdir(), 'hoist-s3rver-'));
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const upstreamPort = (await s3rver.run()).port;
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  const faults = new FaultInjector();
  const cap = new ThroughputCap(undefined);
  const requests: S3RequestLogEntry[] = [];
  const inFlight = new Map<S3Op, number>();
  const peak = new Map<S3Op, number>();
  const shim = new UploadShim(uploadsDir, bucket, options.listPartsPageSize ?? 1000, options.listUploadsPageSize ?? 1000);

  // Part requests still being handled, per upload id: an abort waits for them, or s3rver, still opening the file of a
  // part whose client already went away, hits the renamed-away upload folder with an unhandled ENOENT.
  const partsInFlight = new Map<string, Set<Promise<void>>>();
  const proxy = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://proxy').searchParams;
    const uploadId = query.get('uploadId') ?? '';
    const isPart = req.method === 'PUT' && query.has('partNumber') && uploadId !== '';
    const handled = (async () => {
      if (req.method === 'DELETE' && uploadId !== '') await settledParts(uploadId);
      await handle(req, res);
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: errorXml('InternalError', String(error)) });
      else res.destroy();
    });
    if (isPart) {
      const set = partsInFlight.get(uploadId) ?? new Set<Promise<void>>();
      partsInFlight.set(uploadId, set);
      set.add(handled);
      void handled.finally(() => set.delete(handled));
    }
  });

  async function settledParts(uploadId: string): Promise<void> {
    const pending = [...(partsInFlight.get(uploadId) ?? [])];
    if (pending.length === 0) return;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, 10_000))]);
    await new Promise((r) => setTimeout(r, 50)); // s3rver's own file handles close just after its reply
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const [, reqBucket = '', ...keyParts] = url.pathname.split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    const op = opOf(req.method ?? 'GET', key, url.searchParams);
    const entry: S3RequestLogEntry = { op, method: req.method ?? '', key, query: url.searchParams, bytesReceived: 0, headers: req.headers, isFinished: false };
    requests.push(entry);
    inFlight.set(op, (inFlight.get(op) ?? 0) + 1);
    peak.set(op, Math.max(peak.get(op) ?? 0, inFlight.get(op)!));
    let isClientGone = false;
    res.on('close', () => {
      isClientGone = !res.writableFinished;
      entry.isFinished = true;
      entry.status = res.statusCode;
      inFlight.set(op, inFlight.get(op)! - 1);
    });
    const body = req.pipe(
      new Transform({
        transform: (chunk: Buffer, _enc, done) => {
          entry.bytesReceived += chunk.length;
          const waitMs = cap.reserve(chunk.length, Date.now());
          if (waitMs > 0) setTimeout(() => done(null, chunk), waitMs);
          else done(null, chunk);
        },
      }),
    );
    req.on('error', () => body.destroy());

    const action = faults.take(op);
    if (action) entry.fault = action.type;
    if (requestDelayMs(action) > 0) await new Promise((r) => setTimeout(r, requestDelayMs(action)));
    // The client gave up while the request was held (pause, cancel): nothing reaches the server.
    if (isClientGone) return;
    if (action?.type === 'reset') return void req.socket.destroy();
    // Stop reading (the body transform fills and pauses the socket; afterBytes is not honoured) and never answer.
    if (action?.type === 'stall') return void (await new Promise((resolve) => res.once('close', resolve)));
    if (action?.type === 'reset-mid-body') {
      body.on('data', () => entry.bytesReceived >= action.afterBytes && req.socket.destroy());
      body.on('end', () => req.socket.destroy());
      return;
    }
    if (action?.type === 'status') {
      await drain(body);
      const reply = typeof action.body === 'string' ? action.body : errorXml(codeFor(action.status, action.body), 'Injected fault');
      return send(res, { status: action.status, body: req.method === 'HEAD' ? '' : reply, retryAfterSec: action.retryAfterSec });
    }

    let reply: Reply | undefined;
    if (reqBucket === bucket) reply = await shim.answer(op, key, url.searchParams, body);
    if (!reply) {
      const buffered = op === 's3.complete' ? await readBody(body) : undefined;
      const refusal = buffered && (await shim.refuseComplete(key, url.searchParams.get('uploadId') ?? '', buffered.toString('utf8')));
      reply = refusal ?? (await forward(req, res, buffered ?? body, upstreamPort));
    }
    if (op === 's3.part' && reply.status === 200) {
      // s3rver answers once the bytes passed its hash, possibly before its file write is flushed: acknowledged must mean stored.
      await shim.partFlushed(url.searchParams.get('uploadId') ?? '', url.searchParams.get('partNumber') ?? '', Number(req.headers['content-length']));
    }
    if (action?.type === 'apply-then-fail') {
      await drain(reply.stream);
      return send(res, { status: action.status, body: errorXml(codeFor(action.status), 'Injected fault after the work was done'), retryAfterSec: action.retryAfterSec });
    }
    if (action?.type === 'malformed-json') {
      await drain(reply.stream);
      return send(res, { status: 200, body: req.method === 'HEAD' ? '' : '<?xml version="1.0" encoding="UTF-8"?>\n<Result><Broken' });
    }
    if (replyDelayMs(action) > 0) {
      await new Promise((r) => setTimeout(r, replyDelayMs(action)));
      if (isClientGone) return;
    }
    res.writeHead(reply.status, reply.headers ?? { 'content-type': 'application/xml' });
    if (reply.stream) reply.stream.pipe(res);
    else res.end(reply.body ?? '');
  }

  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    faults,
    requests,
    bytesReceivedTotal: (op) =>
      requests.filter((r) => (op ? r.op === op : r.op === 's3.part' || r.op === 's3.put')).reduce((sum, r) => sum + r.bytesReceived, 0),
    maxConcurrent: (op) => peak.get(op) ?? 0,
    setThroughput: (bytesPerSec) => {
      cap.bytesPerSec = bytesPerSec;
    },
    uploads: () => shim.uploads(),
    async dropUpload(uploadId) {
      const ids = uploadId ? [uploadId] : (await shim.uploads()).map((u) => u.uploadId);
      for (const id of ids) await shim.remove(id);
      return ids.length;
    },
    async dropPart(uploadId, partNumber) {
      await rm(join(uploadsDir, uploadId, String(partNumber)), { force: true });
      await rm(join(uploadsDir, uploadId, `${partNumber}.md5`), { force: true });
    },
    async backdateUpload(uploadId, ageMs) {
      const at = new Date(Date.now() - ageMs);
      await utimes(join(uploadsDir, uploadId, 'key'), at, at);
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      s3rver.httpServer?.closeAllConnections();
      await s3rver.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

interface Reply {
  status: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  stream?: Readable;
}

/** ListParts, AbortMultipartUpload and ListMultipartUploads from s3rver's files, and Complete's checks. */
class UploadShim {
  constructor(
    private readonly dir: string,
    private readonly bucket: string,
    private readonly partsPageSize: number,
    private readonly uploadsPageSize: number,
  ) {}

  async answer(op: S3Op, key: string, q: URLSearchParams, body: Readable): Promise<Reply | undefined> {
    const uploadId = q.get('uploadId') ?? '';
    const known = op === 's3.list' || op === 's3.abort' || op === 's3.part' ? await this.keyOf(uploadId) : undefined;
    if ((op === 's3.list' || op === 's3.abort' || op === 's3.part') && known !== key) {
      await drain(body);
      return { status: 404, body: errorXml('NoSuchUpload', 'The specified upload does not exist.') };
    }
    if (op === 's3.abort') {
      await drain(body);
      await this.remove(uploadId);
      return { status: 204 };
    }
    if (op === 's3.list') return this.listParts(key, uploadId, q);
    if (op === 's3.uploads') return this.listUploads(q);
    return undefined;
  }

  async refuseComplete(key: string, uploadId: string, xml: string): Promise<Reply | undefined> {
    if ((await this.keyOf(uploadId)) !== key) return { status: 404, body: errorXml('NoSuchUpload', 'The specified upload does not exist.') };
    const listed = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]!)?.[1]),
      eTag: unquote(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1]!)?.[1] ?? ''),
    }));
    if (listed.length === 0) return { status: 400, body: errorXml('MalformedXML', 'No parts.') };
    const stored = new Map((await this.parts(uploadId)).map((p) => [p.number, p]));
    for (const [i, part] of listed.entries()) {
      if (i > 0 && part.number <= listed[i - 1]!.number) return { status: 400, body: errorXml('InvalidPartOrder', 'The list of parts was not in ascending order.') };
      const held = stored.get(part.number);
      if (!held || held.eTag !== part.eTag) return { status: 400, body: errorXml('InvalidPart', `Part ${part.number} could not be found or its ETag does not match.`) };
      if (i < listed.length - 1 && held.size < MIN_PART_BYTES) return { status: 400, body: errorXml('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.') };
    }
    return undefined;
  }

  /** Renamed away first (atomic), so a part s3rver is still writing cannot keep the upload alive or fail the removal. */
  async remove(uploadId: string): Promise<void> {
    // Not hex, so never taken for an upload while it is being removed.
    const gone = join(this.dir, `dropped-${uploadId}-${Date.now()}`);
    if (await rename(join(this.dir, uploadId), gone).then(() => true, () => false)) {
      await rm(gone, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
    }
  }

  async partFlushed(uploadId: string, partNumber: string, sizeBytes: number): Promise<void> {
    if (!/^[0-9a-f]+$/.test(uploadId) || !/^\d+$/.test(partNumber)) return;
    const path = join(this.dir, uploadId, partNumber);
    for (let tries = 0; tries < 400; tries++) {
      const size = await stat(path).then((s) => s.size, () => -1);
      if (size === sizeBytes) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async uploads(): Promise<StoredUpload[]> {
    const ids = await readdir(this.dir).catch(() => [] as string[]);
    const found: StoredUpload[] = [];
    for (const uploadId of ids) {
      const key = await this.keyOf(uploadId);
      if (key === undefined) continue;
      const initiatedAtMs = (await stat(join(this.dir, uploadId, 'key'))).mtimeMs;
      found.push({ uploadId, key, initiatedAtMs, partNumbers: (await this.parts(uploadId)).map((p) => p.number) });
    }
    return found.sort((a, b) => a.key.localeCompare(b.key) || a.initiatedAtMs - b.initiatedAtMs || a.uploadId.localeCompare(b.uploadId));
  }

  private async listParts(key: string, uploadId: string, q: URLSearchParams): Promise<Reply> {
    const marker = Number(q.get('part-number-marker') ?? 0);
    const max = Math.min(Number(q.get('max-parts') ?? 1000), this.partsPageSize);
    const after = (await this.parts(uploadId)).filter((p) => p.number > marker);
    const page = after.slice(0, max);
    const parts = page.map((p) => `<Part><PartNumber>${p.number}</PartNumber><LastModified>${p.modified}</LastModified><ETag>"${p.eTag}"</ETag><Size>${p.size}</Size></Part>`);
    return xmlReply(
      `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${this.bucket}</Bucket><Key>${esc(key)}</Key><UploadId>${uploadId}</UploadId>` +
        `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${page.at(-1)?.number ?? marker}</NextPartNumberMarker>` +
        `<MaxParts>${max}</MaxParts><IsTruncated>${after.length > max}</IsTruncated>${parts.join('')}</ListPartsResult>`,
    );
  }

  private async listUploads(q: URLSearchParams): Promise<Reply> {
    const prefix = q.get('prefix') ?? '';
    const keyMarker = q.get('key-marker') ?? '';
    const idMarker = q.get('upload-id-marker') ?? '';
    const max = Math.min(Number(q.get('max-uploads') ?? 1000), this.uploadsPageSize);
    const after = (await this.uploads()).filter(
      (u) => u.key.startsWith(prefix) && (keyMarker === '' || u.key > keyMarker || (idMarker !== '' && u.key === keyMarker && u.uploadId > idMarker)),
    );
    const page = after.slice(0, max);
    const last = page.at(-1);
    const items = page.map((u) => `<Upload><Key>${esc(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${new Date(u.initiatedAtMs).toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
    return xmlReply(
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${this.bucket}</Bucket><KeyMarker>${esc(keyMarker)}</KeyMarker>` +
        `<UploadIdMarker>${idMarker}</UploadIdMarker><NextKeyMarker>${esc(last?.key ?? '')}</NextKeyMarker><NextUploadIdMarker>${last?.uploadId ?? ''}</NextUploadIdMarker>` +
        `<Prefix>${esc(prefix)}</Prefix><MaxUploads>${max}</MaxUploads><IsTruncated>${after.length > max}</IsTruncated>${items.join('')}</ListMultipartUploadsResult>`,
    );
  }

  private async keyOf(uploadId: string): Promise<string | undefined> {
    if (!/^[0-9a-f]+$/.test(uploadId)) return undefined;
    return readFile(join(this.dir, uploadId, 'key'), 'utf8').catch(() => undefined);
  }

  /** Parts whose bytes match the MD5 s3rver recorded when the part finished: a part cut short or being overwritten is absent. */
  private async parts(uploadId: string): Promise<Array<{ number: number; eTag: string; size: number; modified: string }>> {
    const names = await readdir(join(this.dir, uploadId)).catch(() => [] as string[]);
    const parts = [];
    for (const name of names.filter((n) => /^\d+$/.test(n))) {
      const path = join(this.dir, uploadId, name);
      const recorded = await readFile(`${path}.md5`, 'utf8').catch(() => undefined);
      const bytes = await readFile(path).catch(() => undefined);
      if (recorded === undefined || bytes === undefined || createHash('md5').update(bytes).digest('hex') !== recorded.trim()) continue;
      parts.push({ number: Number(name), eTag: recorded.trim(), size: bytes.length, modified: (await stat(path)).mtime.toISOString() });
    }
    return parts.sort((a, b) => a.number - b.number);
  }
}

function opOf(method: string, key: string, q: URLSearchParams): S3Op {
  const isObject = key !== '';
  if (method === 'POST' && q.has('uploads')) return 's3.create';
  if (method === 'POST' && q.has('uploadId')) return 's3.complete';
  if (method === 'PUT' && q.has('uploadId')) return 's3.part';
  if (method === 'PUT') return isObject ? 's3.put' : 's3.bucket';
  if (method === 'GET' && q.has('uploadId')) return 's3.list';
  if (method === 'GET' && !isObject && q.has('uploads')) return 's3.uploads';
  if (method === 'GET') return isObject ? 's3.get' : 's3.bucket';
  if (method === 'HEAD') return 's3.head';
  if (method === 'DELETE') return q.has('uploadId') ? 's3.abort' : 's3.delete';
  return 's3.other';
}

function forward(req: IncomingMessage, res: ServerResponse, body: Readable | Buffer, port: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    // The proxy already answered 100-continue; `expect` is never signed, so dropping it keeps the signature valid.
    delete headers.expect;
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false }, (reply) =>
      resolve({ status: reply.statusCode ?? 502, headers: reply.headers, stream: reply }),
    );
    upstream.on('error', reject);
    // The client went away (pause, cancel, timeout): s3rver sees the request cut short, as S3 would.
    res.on('close', () => !res.writableFinished && upstream.destroy());
    if (Buffer.isBuffer(body)) upstream.end(body);
    else body.pipe(upstream);
  });
}

function send(res: ServerResponse, reply: { status: number; body: string; retryAfterSec?: number }): void {
  const headers: Record<string, string> = { 'content-type': 'application/xml' };
  if (reply.retryAfterSec !== undefined) headers['retry-after'] = String(reply.retryAfterSec);
  res.writeHead(reply.status, headers).end(reply.body);
}

function codeFor(status: number, body?: unknown): string {
  if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') return (body as { code: string }).code;
  const codes: Record<number, string> = { 400: 'InvalidRequest', 403: 'AccessDenied', 404: 'NoSuchUpload', 429: 'TooManyRequests', 500: 'InternalError', 503: 'SlowDown' };
  return codes[status] ?? 'ServiceFault';
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>hoist-test</RequestId></Error>`;
}

function xmlReply(xml: string): Reply {
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${xml}` };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unquote = (s: string): string => s.replace(/&quot;/g, '"').replace(/&#34;/g, '"').replace(/"/g, '').trim();

async function readBody(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function drain(stream: Readable | undefined): Promise<void> {
  if (!stream) return;
  await new Promise<void>((resolve) => {
    stream.on('end', resolve).on('error', () => resolve()).on('close', () => resolve());
    stream.resume();
  });
}
