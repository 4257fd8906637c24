/**
 * Protocol-faithful Box emulator: the Upload Sessions (chunked upload) API of protocols.md §1, the plain multipart
 * upload, and the few folder/file API calls an uploader needs. Real loopback HTTP on 127.0.0.1, parts on disk.
 *
 * Hosts are modelled as path prefixes on one port: `/api/2.0` (upload host: create session, plain upload),
 * `/2.0` (API host) and `/session-host/api/2.0` (where `session_endpoints` point). Sessions are deliberately NOT
 * served under the create base, because Box only promises the returned URLs (`{box-upload-server}` is a variable).
 *
 * Sign-in (an addition): `GET /oauth2/authorize` and `POST /oauth2/token` on the same port (`authorizeUrl`, `tokenUrl`),
 * see box-oauth.ts. Each issued access token replaces the previous one, which then answers 401 expired_token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import { FaultInjector, replyDelayMs, requestDelayMs, sendEarlyFault, ThroughputCap } from './faults.js';
import { type BodyCounter, sleep } from './box-body.js';
import { createFolder, getFile, getFolder, getFolderItems, plainUpload } from './box-api-routes.js';
import {
  type BoxRequest,
  type BoxSettings,
  type BoxWorld,
  abortSession,
  commitSession,
  createSession,
  listParts,
  logEvent,
  sessionStatus,
  uploadPart,
} from './box-session-routes.js';
import { BoxStore, ROOT_FOLDER_ID } from './box-store.js';
import { BoxFailure, type Reply, errorBody, fail, genericErrorBody } from './box-wire.js';
import { BoxOAuth } from './box-oauth.js';
import { newOpaqueToken } from './oauth-wire.js';

export interface BoxEmulatorOptions {
  storageDir: string;
  /** Default 'box-test-token'. */
  accessToken?: string;
  /** Below this, create session answers 400 file_size_too_small. Default 20,000,000 (Box's "20MB", decimal reading). */
  minChunkedFileBytes?: number;
  /** Server-chosen part size for a file; default {@link defaultPartSizeBytes}. */
  partSizeBytes?: (fileSizeBytes: number) => number;
  /** Default 7 days. */
  sessionTtlMs?: number;
  /** A part counts as processed this long after it arrived; until all are, commit answers 202 + Retry-After. */
  commitProcessingDelayMs?: number;
  /** For this long after the last part arrived, commit answers 400 parts_mismatch (rclone#97). */
  partsMismatchWindowMs?: number;
  throughputBytesPerSec?: number;
  /** list_parts `total_count`: parts stored (default) or parts expected (legacy spec reading, open question 2). */
  listPartsTotalCount?: 'stored' | 'expected';
  /** When set, creating a session for an upload that already has an open one answers 409 with this code. */
  duplicateCreateCode?: 'session_conflict' | 'name_temporarily_reserved';
  /** Account quota: create answers 403 storage_limit_exceeded when stored bytes + file_size exceed it. */
  storageQuotaBytes?: number;
  /** Per-file limit: create answers 403 file_size_limit_exceeded above it. */
  maxFileSizeBytes?: number;
  /** Sign-in: client_id → client_secret of known apps. Default { 'box-test-client': 'box-test-secret' }. */
  oauthClients?: Record<string, string>;
  /** The accepted access token answers 401 expired_token (on every endpoint) this long after it was issued. */
  accessTokenTtlMs?: number;
  /** expires_in of token replies. Default: accessTokenTtlMs in seconds (rounded down), or 3600. Larger = the server lies. */
  tokenExpiresInSec?: number;
}

export interface BoxSessionView {
  id: string;
  fileName: string;
  folderId?: string;
  fileId?: string;
  fileSizeBytes: number;
  partSizeBytes: number;
  totalParts: number;
  partsStored: number;
  /** Every part body byte that arrived, accepted or not. */
  bytesReceivedTotal: number;
  state: 'open' | 'committed' | 'aborted' | 'expired' | 'failed';
  commitAttempts: number;
}

export interface BoxFileView {
  id: string;
  name: string;
  folderId: string;
  size: number;
  sha1: string;
  sha256: string;
  versions: number;
  storagePath: string;
}

export interface BoxRequestLogEntry {
  op: string;
  method: string;
  path: string;
  /** 0 when the connection was dropped without an answer. */
  status: number;
  /** Body bytes the emulator consumed. */
  bodyBytes: number;
  /** False for a body sent with chunked transfer encoding (box-node-sdk's parts) or without any body. */
  hasContentLength: boolean;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** 8 MiB up to 4 GiB, then 16/32/64 MiB as files grow (Box was seen using bigger parts for big files), ≤ 10,000 parts. */
export function defaultPartSizeBytes(fileSizeBytes: number): number {
  let partSizeBytes = fileSizeBytes <= 4 * GIB ? 8 * MIB : fileSizeBytes <= 16 * GIB ? 16 * MIB : fileSizeBytes <= 64 * GIB ? 32 * MIB : 64 * MIB;
  while (Math.ceil(fileSizeBytes / partSizeBytes) > 10_000) partSizeBytes *= 2;
  return partSizeBytes;
}

const INVALID_TOKEN = 'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."';
// rclone refreshes only when WWW-Authenticate mentions expired_token, so a rotated-out token says so.
const EXPIRED_TOKEN = 'Bearer realm="Service", error="expired_token", error_description="The access token provided has expired."';
// Truncated JSON: what a client sees when a proxy cuts a reply short.
const MALFORMED_BODY = Buffer.from('{"type":"upload_session","id":');

type Handler = (world: BoxWorld, rq: BoxRequest, id: string) => Promise<Reply> | Reply;
interface Route {
  method: string;
  pattern: RegExp;
  op: string;
  handler: Handler;
}

const SESSION = '^/session-host/api/2\\.0/files/upload_sessions/([^/]+)';
const ROUTES: Route[] = [
  { method: 'POST', pattern: /^\/api\/2\.0\/files\/upload_sessions$/, op: 'box.create', handler: (w, rq) => createSession(w, rq, undefined) },
  { method: 'POST', pattern: /^\/api\/2\.0\/files\/([^/]+)\/upload_sessions$/, op: 'box.create', handler: createSession },
  { method: 'POST', pattern: /^\/api\/2\.0\/files\/content$/, op: 'box.upload', handler: (w, rq) => plainUpload(w, rq, undefined) },
  { method: 'POST', pattern: /^\/api\/2\.0\/files\/([^/]+)\/content$/, op: 'box.upload', handler: plainUpload },
  { method: 'PUT', pattern: new RegExp(`${SESSION}$`), op: 'box.part', handler: uploadPart },
  { method: 'GET', pattern: new RegExp(`${SESSION}$`), op: 'box.status', handler: (w, _rq, id) => sessionStatus(w, id) },
  { method: 'DELETE', pattern: new RegExp(`${SESSION}$`), op: 'box.abort', handler: (w, _rq, id) => abortSession(w, id) },
  { method: 'GET', pattern: new RegExp(`${SESSION}/parts$`), op: 'box.list', handler: listParts },
  { method: 'POST', pattern: new RegExp(`${SESSION}/commit$`), op: 'box.commit', handler: commitSession },
  { method: 'POST', pattern: new RegExp(`${SESSION}/log$`), op: 'box.log', handler: logEvent },
  { method: 'GET', pattern: /^\/2\.0\/folders\/([^/]+)$/, op: 'box.api', handler: (w, _rq, id) => getFolder(w, id) },
  { method: 'GET', pattern: /^\/2\.0\/folders\/([^/]+)\/items$/, op: 'box.api', handler: getFolderItems },
  { method: 'POST', pattern: /^\/2\.0\/folders$/, op: 'box.api', handler: (w, rq) => createFolder(w, rq) },
  { method: 'GET', pattern: /^\/2\.0\/files\/([^/]+)$/, op: 'box.api', handler: (w, _rq, id) => getFile(w, id) },
];

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Buffer | undefined;
  if (Buffer.isBuffer(reply.body)) payload = reply.body;
  else if (reply.body !== undefined) payload = Buffer.from(JSON.stringify(reply.body));
  if (payload) headers['content-type'] ??= 'application/json';
  res.writeHead(reply.status, headers).end(payload);
}

export class BoxEmulator {
  readonly faults = new FaultInjector();
  readonly requests: BoxRequestLogEntry[] = [];
  readonly uploadBaseUrl: string;
  readonly apiBaseUrl: string;
  /** Base of every `session_endpoints` URL (an addition: the "upload server" sessions live on). */
  readonly sessionBaseUrl: string;
  private readonly world: BoxWorld;
  private accessToken: string;
  private accessTokenIssuedAtMs = Date.now();
  private accessTokenTtlMs: number | undefined;
  private readonly retiredTokens = new Set<string>();
  /** Sign-in state: revoke refresh tokens, live counters (authorizations, code exchanges, refreshes). */
  signIn!: BoxOAuth;
  /** Sign-in: Box's authorize page (account.box.com/api/oauth2/authorize). */
  readonly authorizeUrl: string;
  /** Sign-in: Box's token endpoint (api.box.com/oauth2/token). */
  readonly tokenUrl: string;
  // Sockets whose request body ended short of Content-Length: the parser, not the handler, answered them.
  private readonly shortBodySockets = new WeakSet<Socket>();
  private readonly pendingResponses = new WeakMap<Socket, ServerResponse>();
  // close() waits for these, so no handler touches storageDir after the test has removed it.
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    store: BoxStore,
    settings: BoxSettings,
    cap: ThroughputCap,
    accessToken: string,
  ) {
    this.authorizeUrl = `${url}/oauth2/authorize`;
    this.tokenUrl = `${url}/oauth2/token`;
    this.uploadBaseUrl = `${url}/api/2.0`;
    this.apiBaseUrl = `${url}/2.0`;
    this.sessionBaseUrl = `${url}/session-host/api/2.0`;
    this.world = { store, settings, cap, sessionBaseUrl: this.sessionBaseUrl };
    this.accessToken = accessToken;
  }

  static async start(opts: BoxEmulatorOptions): Promise<BoxEmulator> {
    mkdirSync(opts.storageDir, { recursive: true });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('box emulator: no TCP address');
    const settings: BoxSettings = {
      minChunkedFileBytes: opts.minChunkedFileBytes ?? 20_000_000,
      partSizeBytes: opts.partSizeBytes ?? defaultPartSizeBytes,
      sessionTtlMs: opts.sessionTtlMs ?? 7 * 24 * 3_600_000,
      commitProcessingDelayMs: opts.commitProcessingDelayMs ?? 0,
      partsMismatchWindowMs: opts.partsMismatchWindowMs ?? 0,
      listPartsTotalCount: opts.listPartsTotalCount ?? 'stored',
      ...(opts.duplicateCreateCode ? { duplicateCreateCode: opts.duplicateCreateCode } : {}),
      ...(opts.storageQuotaBytes !== undefined ? { storageQuotaBytes: opts.storageQuotaBytes } : {}),
      ...(opts.maxFileSizeBytes !== undefined ? { maxFileSizeBytes: opts.maxFileSizeBytes } : {}),
    };
    const emulator = new BoxEmulator(
      server,
      `http://127.0.0.1:${address.port}`,
      new BoxStore(opts.storageDir),
      settings,
      new ThroughputCap(opts.throughputBytesPerSec),
      opts.accessToken ?? 'box-test-token',
    );
    emulator.accessTokenTtlMs = opts.accessTokenTtlMs;
    emulator.signIn = BoxOAuth.create(opts, () => {
      const token = newOpaqueToken('box-access');
      emulator.setAccessToken(token);
      return token;
    });

    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const handled = emulator.handle(req, res).catch(() => {
        res.destroy();
      });
      emulator.inFlight.add(handled);
      void handled.finally(() => emulator.inFlight.delete(handled));
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => emulator.onClientError(error, socket));
    return emulator;
  }

  setThroughput(bytesPerSec: number | undefined): void {
    this.world.cap.bytesPerSec = bytesPerSec;
  }

  /** The previous token keeps answering 401, but as expired_token rather than invalid_token. */
  setAccessToken(token: string): void {
    if (token !== this.accessToken) this.retiredTokens.add(this.accessToken);
    this.retiredTokens.delete(token);
    this.accessToken = token;
    this.accessTokenIssuedAtMs = Date.now();
  }

  /** The accepted access token expires now (answers 401 expired_token); refresh tokens keep working. */
  expireAccessToken(): void {
    this.setAccessToken(newOpaqueToken('box-unissued'));
  }

  sessions(): BoxSessionView[] {
    const { store } = this.world;
    const nowMs = Date.now();
    return [...store.sessions.values()].map((s) => {
      store.observeExpiry(s, nowMs);
      return {
        id: s.id,
        fileName: s.fileName,
        folderId: s.folderId,
        ...(s.fileId !== undefined ? { fileId: s.fileId } : {}),
        fileSizeBytes: s.fileSizeBytes,
        partSizeBytes: s.partSizeBytes,
        totalParts: s.totalParts,
        partsStored: s.parts.size,
        bytesReceivedTotal: s.bytesReceivedTotal,
        state: s.state === 'committing' ? 'open' : s.state,
        commitAttempts: s.commitAttempts,
      };
    });
  }

  files(): BoxFileView[] {
    return [...this.world.store.files.values()].map((f) => ({
      id: f.id,
      name: f.name,
      folderId: f.folderId,
      size: f.size,
      sha1: f.sha1Hex,
      sha256: f.sha256Hex,
      versions: f.versions,
      storagePath: f.storagePath,
    }));
  }

  /** Every folder except the root ("0", "All Files"), which always exists. */
  folders(): Array<{ id: string; name: string; parentId: string }> {
    return [...this.world.store.folders.values()].map((f) => ({ id: f.id, name: f.name, parentId: f.parentId }));
  }

  /** Test helper (an addition): create a folder without going through HTTP. */
  addFolder(name: string, parentId: string = ROOT_FOLDER_ID): string {
    return this.world.store.createFolder(name, parentId, Date.now()).id;
  }

  expireSession(id: string): void {
    const session = this.requireSession(id);
    session.expiresAtMs = Math.min(session.expiresAtMs, Date.now());
    this.world.store.observeExpiry(session, Date.now());
  }

  /** Puts a session in Box's unrecoverable state: every later call answers 410 upload_failed (an addition). */
  failSession(id: string): void {
    this.requireSession(id).state = 'failed';
  }

  /** The server "loses" a stored part, so resume logic must notice it via list parts. */
  dropPart(sessionId: string, offset: number): void {
    const session = this.requireSession(sessionId);
    const part = session.parts.get(offset);
    if (!part) throw new Error(`box emulator: session ${sessionId} has no part at offset ${offset}`);
    session.parts.delete(offset);
    rmSync(part.path, { force: true });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await Promise.allSettled([...this.inFlight]);
    await closed;
  }

  private requireSession(id: string) {
    const session = this.world.store.sessions.get(id);
    if (!session) throw new Error(`box emulator: no session ${id}`);
    return session;
  }

  private checkAuth(req: IncomingMessage): void {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const isLive = this.accessTokenTtlMs === undefined || Date.now() - this.accessTokenIssuedAtMs < this.accessTokenTtlMs;
    if (token === this.accessToken && isLive) return;
    const isExpired = token !== undefined && (token === this.accessToken || this.retiredTokens.has(token));
    const challenge = isExpired ? EXPIRED_TOKEN : INVALID_TOKEN;
    // Box answers 401 with an empty body; the reason is only in WWW-Authenticate.
    throw new BoxFailure({ status: 401, headers: { 'www-authenticate': challenge } });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const sameIdentity = ROUTES.filter((r) => r.pattern.test(url.pathname));
    const route = sameIdentity.find((r) => r.method === req.method);
    const oauthOp = url.pathname === '/oauth2/authorize' && req.method === 'GET' ? 'box.authorize' : url.pathname === '/oauth2/token' && req.method === 'POST' ? 'box.token' : undefined;
    const op = oauthOp ?? route?.op ?? 'box.unknown';
    const counter: BodyCounter = { bytes: 0 };
    this.pendingResponses.set(req.socket, res);
    res.on('close', () => {
      const status = res.headersSent ? res.statusCode : this.shortBodySockets.has(req.socket) ? 400 : 0;
      const hasContentLength = req.headers['content-length'] !== undefined;
      this.requests.push({ op, method: req.method ?? '', path: url.pathname, status, bodyBytes: counter.bytes, hasContentLength });
    });
    const action = this.faults.take(op);
    if (sendEarlyFault(action, req, res, genericErrorBody)) return;
    if (requestDelayMs(action) > 0) await sleep(requestDelayMs(action));
    let reply: Reply;
    try {
      if (oauthOp === 'box.authorize') reply = this.signIn.authorize(url);
      else if (oauthOp === 'box.token') reply = await this.signIn.token({ req, url, counter }, this.world.cap);
      else {
        this.checkAuth(req);
        if (!route) fail(sameIdentity.length > 0 ? 405 : 404, sameIdentity.length > 0 ? 'method_not_allowed' : 'not_found', 'No such endpoint');
        const id = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '');
        reply = await route.handler(this.world, { req, url, counter }, id);
      }
    } catch (error) {
      if (req.socket.destroyed) return; // the client went away mid-body: nobody to answer
      reply = error instanceof BoxFailure ? error.reply : { status: 500, body: errorBody(500, 'internal_server_error', String(error)) };
    }
    if (action?.type === 'apply-then-fail') {
      reply = {
        status: action.status,
        ...(action.retryAfterSec !== undefined ? { headers: { 'retry-after': String(action.retryAfterSec) } } : {}),
        body: genericErrorBody(action.status),
      };
    } else if (action?.type === 'malformed-json') {
      reply = { status: 200, headers: { 'content-type': 'application/json' }, body: MALFORMED_BODY };
    }
    if (replyDelayMs(action) > 0) {
      await sleep(replyDelayMs(action));
      if (req.socket.destroyed) return;
    }
    send(res, reply);
  }

  /** A body that ends before its Content-Length only shows up as a parser error; answer it as Box does. */
  private onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const isAnswered = this.pendingResponses.get(socket)?.headersSent ?? false;
    if (!socket.writable || isAnswered) {
      socket.destroy();
      return;
    }
    const isShortBody = error.code === 'HPE_INVALID_EOF_STATE';
    if (isShortBody) this.shortBodySockets.add(socket);
    const body = JSON.stringify(
      isShortBody ? errorBody(400, 'request_size_mismatch', 'The request body is shorter than its Content-Length') : genericErrorBody(400),
    );
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
}
