/**
 * Apideck File Storage upload-session emulator (protocols.md §3.6). One host serves every path (the real API splits
 * upload./unify. hosts, and SDKs send DELETE to unify, so clients must tolerate either; routing by path covers both).
 *
 * Emulator choices where the docs are silent (all documented so tests can rely on them):
 * - `uploaded_byte_range` is the contiguous stored prefix `"0-<last>"` (inclusive); `null` while that prefix is empty.
 * - Re-uploading a part number that is already stored overwrites it (only once the new body arrived complete and valid).
 * - A zero-byte session has zero parts: every PUT is out of range and finish succeeds at once.
 * - When `parallel_upload_supported` is false, a PUT that starts while another PUT of the same session is in flight is
 *   answered 409 InvalidStateError: real connectors may misbehave silently, a strict emulator catches clients ignoring the flag.
 * - Unknown consumer id -> 401; a session of another consumer -> 404; `x-apideck-service-id` naming another connector -> 400.
 * - PUT / finish / DELETE on a finished session -> 422; any call on an aborted or expired session -> 404 (§3.6 "later calls 404").
 * - Rejected requests still have their body drained (and counted) so the connection stays usable, as a real proxy would.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FaultInjector, ThroughputCap, replyDelayMs, requestDelayMs, sendEarlyFault } from './faults.js';
import {
  apideckErrors as errors, boxDigestProblem, envelope, errorBodyForStatus, parsePartNumber, unifiedFile, validateCreateBody,
  loggedHeaders, route, type ApideckConnector, type Reply, type Route,
} from './apideck-shapes.js';
import { consumeBody, hashFile, readSmallBody, stageBody, writeAtOffset } from './apideck-storage.js';

export interface ApideckEmulatorOptions {
  storageDir: string;
  apiKey?: string;
  appId?: string;
  consumerIds?: string[];
  connector?: ApideckConnector;
  partSizeBytes?: number;
  parallelUploadSupported?: boolean;
  sessionTtlMs?: number;
  throughputBytesPerSec?: number;
}

export type ApideckSessionState = 'open' | 'finished' | 'aborted' | 'expired';

interface SessionRecord {
  id: string; consumerId: string; name: string; parentFolderId: string;
  sizeBytes: number; partSizeBytes: number; partCount: number;
  /** part number -> stored byte length */
  parts: Map<number, number>;
  dataPath: string; bytesReceivedTotal: number; state: ApideckSessionState;
  /** Set while finish hashes the data file, so parts and a second finish cannot race it. */
  finishing: boolean;
  inFlightPuts: number; maxConcurrentPuts: number; expiresAtMs: number;
  /** Serialises copies into the data file so two parts never interleave writes. */
  commitChain: Promise<void>;
}

/** sha1/sha256 are lowercase hex of the stored file. */
export interface ApideckStoredFile {
  id: string; name: string; parentFolderId: string; size: number; sha1: string; sha256: string; storagePath: string;
}

export interface ApideckSessionInfo {
  id: string; name: string; parentFolderId: string; sizeBytes: number; partSizeBytes: number; partsStored: number[];
  /** Every PUT body byte that arrived for this session, accepted or not. */
  bytesReceivedTotal: number;
  state: ApideckSessionState;
  /** Highest number of PUTs in flight at once (rejected overlapping ones included). */
  maxConcurrentPuts: number;
}

/** `path` is the raw request target (path + query); headers holds only x-apideck-* and digest. */
export interface ApideckRequestLogEntry {
  op: string; method: string; path: string; status: number; bodyBytes: number; headers: Record<string, string | undefined>;
}

interface RequestContext { req: IncomingMessage; url: URL; bodyBytes: number; countInto: SessionRecord | undefined; consumerId: string }

const MIB = 1024 * 1024;
const DEFAULT_PART_SIZE_BYTES: Record<ApideckConnector, number> = { box: 8 * MIB, onedrive: 10 * MIB, 'google-drive': 8 * MIB };
const JSON_BODY_LIMIT_BYTES = MIB;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ApideckEmulator {
  readonly faults = new FaultInjector();
  requests: ApideckRequestLogEntry[] = [];
  private readonly sessionMap = new Map<string, SessionRecord>();
  private readonly fileList: ApideckStoredFile[] = [];
  private readonly cap: ThroughputCap;
  private readonly connector: ApideckConnector;
  private readonly partSizeBytes: number;
  private readonly parallel: boolean;
  private apiKey: string;
  private server!: Server;
  private baseUrl = '';

  private constructor(private readonly opts: ApideckEmulatorOptions) {
    this.connector = opts.connector ?? 'onedrive';
    this.partSizeBytes = opts.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES[this.connector];
    this.parallel = opts.parallelUploadSupported ?? this.connector === 'box';
    this.apiKey = opts.apiKey ?? 'apideck-test-key';
    this.cap = new ThroughputCap(opts.throughputBytesPerSec);
  }

  static async start(opts: ApideckEmulatorOptions): Promise<ApideckEmulator> {
    const emu = new ApideckEmulator(opts);
    await mkdir(emu.sessionsDir, { recursive: true });
    await mkdir(emu.filesDir, { recursive: true });
    emu.server = createServer((req, res) => void emu.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => emu.server.listen(0, '127.0.0.1', resolve));
    emu.baseUrl = `http://127.0.0.1:${(emu.server.address() as AddressInfo).port}`;
    return emu;
  }

  /** http://127.0.0.1:PORT — pass as the client's endpoint; every path is served on it. */
  get url(): string { return this.baseUrl; }

  private get sessionsDir(): string { return join(this.opts.storageDir, 'apideck-sessions'); }
  private get filesDir(): string { return join(this.opts.storageDir, 'apideck-files'); }

  setThroughput(bytesPerSec: number | undefined): void { this.cap.bytesPerSec = bytesPerSec; }
  setApiKey(key: string): void { this.apiKey = key; }

  sessions(): ApideckSessionInfo[] {
    return [...this.sessionMap.values()].map((s) => {
      this.refreshExpiry(s);
      return {
        id: s.id, name: s.name, parentFolderId: s.parentFolderId, sizeBytes: s.sizeBytes, partSizeBytes: s.partSizeBytes,
        partsStored: [...s.parts.keys()].sort((a, b) => a - b), bytesReceivedTotal: s.bytesReceivedTotal, state: s.state,
        maxConcurrentPuts: s.maxConcurrentPuts,
      };
    });
  }

  files(): ApideckStoredFile[] { return this.fileList.map((f) => ({ ...f })); }

  expireSession(id: string): void {
    const s = this.sessionMap.get(id);
    if (s && s.state === 'open' && !s.finishing) this.retire(s, 'expired');
  }

  dropPart(sessionId: string, partNumber: number): void { this.sessionMap.get(sessionId)?.parts.delete(partNumber); }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => { this.server.close(() => resolve()); this.server.closeAllConnections(); });
  }

  // ---- dispatch -------------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const r = route(req.method ?? 'GET', url.pathname);
    const ctx: RequestContext = {
      req, url, bodyBytes: 0, consumerId: '',
      // Every PUT byte aimed at a known session counts toward bytesReceivedTotal, whatever the answer.
      countInto: r.kind === 'part' && r.id !== undefined ? this.sessionMap.get(r.id) : undefined,
    };
    res.on('close', () => this.requests.push({
      op: r.op, method: req.method ?? '', path: req.url ?? '', status: res.headersSent ? res.statusCode : 0,
      bodyBytes: ctx.bodyBytes, headers: loggedHeaders(req),
    }));
    const action = r.kind === 'unknown' ? undefined : this.faults.take(r.op);
    if (action && (action.type === 'status' || action.type === 'reset' || action.type === 'reset-mid-body')) {
      req.on('data', (chunk: Buffer) => this.countBytes(ctx, chunk.length));
      sendEarlyFault(action, req, res, errorBodyForStatus);
      return;
    }
    if (requestDelayMs(action) > 0) await sleep(requestDelayMs(action));
    let reply: Reply;
    try {
      reply = this.checkHeaders(ctx) ?? (await this.dispatch(r, ctx));
      if (!req.readableEnded) await consumeBody(req, this.cap, (c) => this.countBytes(ctx, c.length));
    } catch {
      // The client went away mid-body (or the disk failed): nothing sensible can be sent on a dead socket.
      if (req.destroyed || res.destroyed) return;
      reply = { status: 500, body: errorBodyForStatus(500) };
    }
    if (replyDelayMs(action) > 0) await sleep(replyDelayMs(action));
    if (res.destroyed) return;
    if (action?.type === 'malformed-json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status_code":200,"status":"OK","data":{"id":');
      return;
    }
    if (action?.type === 'apply-then-fail') {
      reply = { status: action.status, body: errorBodyForStatus(action.status) };
      if (action.retryAfterSec !== undefined) reply.headers = { 'retry-after': String(action.retryAfterSec) };
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body));
  }

  private countBytes(ctx: RequestContext, n: number): void {
    ctx.bodyBytes += n;
    if (ctx.countInto) ctx.countInto.bytesReceivedTotal += n;
  }

  /** §3.2 mandatory headers: missing -> 400 RequestHeadersValidationError; present but wrong -> 401. */
  private checkHeaders(ctx: RequestContext): Reply | undefined {
    const h = ctx.req.headers;
    const auth = h.authorization;
    const appId = h['x-apideck-app-id'];
    const consumerId = h['x-apideck-consumer-id'];
    if (!auth) return errors.missingHeader('Authorization');
    if (typeof appId !== 'string' || appId === '') return errors.missingHeader('x-apideck-app-id');
    if (typeof consumerId !== 'string' || consumerId === '') return errors.missingHeader('x-apideck-consumer-id');
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || m[1] !== this.apiKey) return errors.unauthorized('Invalid API key');
    if (appId !== (this.opts.appId ?? 'test-app')) return errors.unauthorized(`Unknown application id: ${appId}`);
    if (!(this.opts.consumerIds ?? ['test-consumer']).includes(consumerId)) {
      return errors.unauthorized(`Unknown consumer id: ${consumerId}`);
    }
    const serviceId = h['x-apideck-service-id'];
    if (typeof serviceId === 'string' && serviceId !== this.connector) {
      return errors.validation(`No connection for service id '${serviceId}' (this consumer uses '${this.connector}')`);
    }
    ctx.consumerId = consumerId;
    return undefined;
  }

  private async dispatch(r: Route, ctx: RequestContext): Promise<Reply> {
    if (r.kind === 'unknown' || r.id === undefined) {
      return r.kind === 'create' ? this.create(ctx) : errors.notFound(`Unknown route: ${ctx.req.method} ${ctx.url.pathname}`);
    }
    const s = this.lookup(r.id, ctx.consumerId);
    if (!s) return errors.notFound(`Could not find upload session with id: '${r.id}'`);
    if (r.kind === 'get') return envelope(200, this.connector, 'one', this.describe(s));
    if (r.kind === 'part') return this.putPart(ctx, s);
    if (r.kind === 'finish') return this.finish(ctx, s);
    return this.abort(s);
  }

  private refreshExpiry(s: SessionRecord): void {
    // A finish already hashing the data file wins over expiry (its rename would otherwise hit a deleted file).
    if (s.state === 'open' && !s.finishing && Date.now() >= s.expiresAtMs) this.retire(s, 'expired');
  }

  /** Unknown, foreign, aborted and expired sessions all look absent (404), as §3.6 asks. */
  private lookup(id: string, consumerId: string): SessionRecord | undefined {
    const s = this.sessionMap.get(id);
    if (!s || s.consumerId !== consumerId) return undefined;
    this.refreshExpiry(s);
    return s.state === 'open' || s.state === 'finished' ? s : undefined;
  }

  private retire(s: SessionRecord, state: 'aborted' | 'expired'): void {
    s.state = state;
    s.parts.clear();
    void s.commitChain.then(() => rm(s.dataPath, { force: true })).catch(() => undefined);
  }

  private describe(s: SessionRecord): Record<string, unknown> {
    let prefixParts = 0;
    while (prefixParts < s.partCount && s.parts.has(prefixParts)) prefixParts += 1;
    const prefixBytes = s.state === 'finished' ? s.sizeBytes : Math.min(prefixParts * s.partSizeBytes, s.sizeBytes);
    return {
      id: s.id, success: s.state === 'finished', part_size: s.partSizeBytes, parallel_upload_supported: this.parallel,
      uploaded_byte_range: prefixBytes > 0 ? `0-${prefixBytes - 1}` : null,
      expires_at: new Date(s.expiresAtMs).toISOString(),
    };
  }

  private async readJson(ctx: RequestContext): Promise<{ json: unknown; empty: boolean } | Reply> {
    const raw = await readSmallBody(ctx.req, this.cap, JSON_BODY_LIMIT_BYTES, (n) => this.countBytes(ctx, n));
    if (raw === undefined) return errors.validation(`Request body larger than ${JSON_BODY_LIMIT_BYTES} bytes`);
    if (raw.length === 0) return { json: undefined, empty: true };
    try {
      return { json: JSON.parse(raw.toString('utf8')) as unknown, empty: false };
    } catch {
      return errors.validation('Request body is not valid JSON');
    }
  }

  // ---- operations -----------------------------------------------------------------------------------------------

  private async create(ctx: RequestContext): Promise<Reply> {
    const parsed = await this.readJson(ctx);
    if ('status' in parsed) return parsed;
    if (parsed.empty) return errors.validation('Request body is required');
    const body = validateCreateBody(parsed.json);
    if (typeof body === 'string') return errors.validation(body);
    const id = randomBytes(12).toString('hex');
    const s: SessionRecord = {
      id, consumerId: ctx.consumerId, name: body.name, parentFolderId: body.parentFolderId, sizeBytes: body.sizeBytes,
      partSizeBytes: this.partSizeBytes, partCount: Math.ceil(body.sizeBytes / this.partSizeBytes), parts: new Map(),
      dataPath: join(this.sessionsDir, `${id}.data`), bytesReceivedTotal: 0, state: 'open', finishing: false,
      inFlightPuts: 0, maxConcurrentPuts: 0, expiresAtMs: Date.now() + (this.opts.sessionTtlMs ?? 24 * 3600 * 1000),
      commitChain: Promise.resolve(),
    };
    await writeFile(s.dataPath, '');
    this.sessionMap.set(id, s);
    return envelope(201, this.connector, 'add', { id });
  }

  private expectedPartBytes(s: SessionRecord, partNumber: number): number {
    return partNumber < s.partCount - 1 ? s.partSizeBytes : s.sizeBytes - (s.partCount - 1) * s.partSizeBytes;
  }

  private async putPart(ctx: RequestContext, s: SessionRecord): Promise<Reply> {
    s.inFlightPuts += 1;
    s.maxConcurrentPuts = Math.max(s.maxConcurrentPuts, s.inFlightPuts);
    try {
      const checked = this.checkPart(ctx, s);
      if (typeof checked !== 'number') return checked;
      const partNumber = checked;
      const tmpPath = join(this.sessionsDir, `${s.id}.part-${partNumber}.${randomBytes(4).toString('hex')}.tmp`);
      const staged = await stageBody(ctx.req, this.cap, tmpPath, (n) => this.countBytes(ctx, n));
      try {
        const expectedBytes = this.expectedPartBytes(s, partNumber);
        if (staged.sizeBytes !== expectedBytes) {
          return errors.validation(`Body has ${staged.sizeBytes} bytes, part ${partNumber} must have ${expectedBytes}`);
        }
        if (this.connector === 'box') {
          const digestProblem = boxDigestProblem(ctx.req.headers.digest, staged.sha1Base64, 'part');
          if (digestProblem) return digestProblem;
        }
        const stateProblem = this.stateProblem(s);
        if (stateProblem) return stateProblem;
        const commit = s.commitChain.then(() => writeAtOffset(tmpPath, s.dataPath, partNumber * s.partSizeBytes));
        s.commitChain = commit.catch(() => undefined); // one failed copy must not poison later ones
        await commit;
        // Aborted/expired/finished while copying: the part is not kept.
        const after = this.stateProblem(s);
        if (after) return after;
        s.parts.set(partNumber, staged.sizeBytes);
        return envelope(200, this.connector, 'upload', { id: s.id });
      } finally {
        await rm(tmpPath, { force: true });
      }
    } finally {
      s.inFlightPuts -= 1;
    }
  }

  /** Checks made before the body is read; returns the part number or the reply to send (body then drained by the dispatcher). */
  private checkPart(ctx: RequestContext, s: SessionRecord): number | Reply {
    const stateProblem = this.stateProblem(s);
    if (stateProblem) return stateProblem;
    if (!this.parallel && s.inFlightPuts > 1) {
      const detail = 'Another part upload is in progress and parallel_upload_supported is false for this connector';
      return errors.invalidState(detail, 409);
    }
    const partNumber = parsePartNumber(ctx.url.searchParams.get('part_number'));
    if (typeof partNumber === 'string') return errors.validation(partNumber);
    if (partNumber >= s.partCount) {
      return errors.validation(`part_number ${partNumber} out of range: this session has ${s.partCount} parts (0-${s.partCount - 1})`);
    }
    const lengthHeader = ctx.req.headers['content-length'];
    if (lengthHeader === undefined) return errors.validation('Content-Length header is required');
    const expectedBytes = this.expectedPartBytes(s, partNumber);
    if (Number(lengthHeader) !== expectedBytes) {
      return errors.validation(
        `Content-Length ${lengthHeader} does not match part ${partNumber}: expected ${expectedBytes} (part_size ${s.partSizeBytes})`,
      );
    }
    return partNumber;
  }

  private stateProblem(s: SessionRecord): Reply | undefined {
    if (s.state === 'aborted' || s.state === 'expired') return errors.notFound(`Could not find upload session with id: '${s.id}'`);
    if (s.state === 'finished') return errors.invalidState(`Upload session ${s.id} is already finished`);
    if (s.finishing) return errors.invalidState(`Upload session ${s.id} is being finished`);
    return undefined;
  }

  private async finish(ctx: RequestContext, s: SessionRecord): Promise<Reply> {
    const parsed = await this.readJson(ctx);
    if ('status' in parsed) return parsed;
    const stateProblem = this.stateProblem(s);
    if (stateProblem) return stateProblem;
    const missing: number[] = [];
    for (let n = 0; n < s.partCount && missing.length < 20; n += 1) if (!s.parts.has(n)) missing.push(n);
    if (missing.length > 0) return errors.invalidState(`Not all parts have been uploaded; missing part_number(s): ${missing.join(', ')}`);
    s.finishing = true;
    try {
      await s.commitChain;
      const digests = await hashFile(s.dataPath);
      if (digests.sizeBytes !== s.sizeBytes) {
        return errors.invalidState(`Uploaded ${digests.sizeBytes} bytes, session size is ${s.sizeBytes}`);
      }
      if (this.connector === 'box') {
        const digestProblem = boxDigestProblem(ctx.req.headers.digest, digests.sha1Base64, 'file');
        if (digestProblem) return digestProblem;
      }
      const fileId = randomBytes(8).toString('hex');
      const storagePath = join(this.filesDir, fileId);
      await rename(s.dataPath, storagePath);
      s.state = 'finished';
      const { name, parentFolderId, sizeBytes } = s;
      this.fileList.push({ id: fileId, name, parentFolderId, size: sizeBytes, sha1: digests.sha1Hex, sha256: digests.sha256Hex, storagePath });
      const data = unifiedFile({ id: fileId, name, sizeBytes, parentFolderId, createdAtIso: new Date().toISOString() });
      return envelope(201, this.connector, 'finish', data);
    } finally {
      s.finishing = false;
    }
  }

  private abort(s: SessionRecord): Reply {
    const stateProblem = this.stateProblem(s);
    if (stateProblem) return stateProblem;
    this.retire(s, 'aborted');
    return envelope(200, this.connector, 'delete', { id: s.id });
  }
}
