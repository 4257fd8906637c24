/**
 * Protocol-faithful Microsoft Graph upload-session emulator (protocols.md §2): createUploadSession, the pre-authorised
 * uploadUrl (PUT fragments, GET status, DELETE, POST commit), item GET, simple upload, plus a raw benchmark sink.
 * Bytes live on disk under `storageDir`; only hash state and at most one write batch per request are held in memory.
 *
 * Fault-injection op names: graph.create, graph.put, graph.status (GET uploadUrl), graph.delete, graph.commit
 * (POST uploadUrl), graph.item (GET item), graph.simple (PUT …:/content), bench.sink, oauth.devicecode, oauth.token,
 * graph.unknown.
 *
 * Sign-in (an addition): the identity platform's device code and token endpoints under `/{tenant}/oauth2/v2.0/` on the
 * same port (`authorityUrl`), see graph-oauth.ts. A refresh makes the new access token the accepted one.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FaultInjector, replyDelayMs, requestDelayMs, sendEarlyFault, ThroughputCap, type ByteArrival } from './faults.js';
import { drainBody, readJsonBody } from './graph-body.js';
import { benchSink, simpleUpload } from './graph-content.js';
import { GraphDrive, parseConflictBehavior, type ConflictBehavior } from './graph-drive.js';
import {
  errorForStatus,
  GraphFailure,
  invalidRequest,
  itemNotFound,
  odataErrorBody,
  sendEmpty,
  sendError,
  sendJson,
  type GraphError,
} from './graph-odata.js';
import { decodeSegment, parseRoute, type DriveTarget, type GraphRoute } from './graph-routes.js';
import type { Outcome, RequestContext, SessionState } from './graph-session-model.js';
import { UploadSessions } from './graph-sessions.js';
import { GraphOAuth, readForm } from './graph-oauth.js';
import { newOpaqueToken } from './oauth-wire.js';

export interface GraphEmulatorOptions {
  /** Files are written here (one file per session, renamed into place on completion). */
  storageDir: string;
  /** Bearer required on Graph API calls (create, item GET, simple upload). Default 'graph-test-token'. */
  accessToken?: string;
  /** Sliding expiry, extended on each accepted fragment. Default 15 min. */
  sessionTtlMs?: number;
  /** Default true: a request on the uploadUrl that carries Authorization gets 401. */
  strictAuthOnUploadUrl?: boolean;
  /** Default true: a non-final fragment that is not a 320 KiB multiple makes completion fail with 500 generalException. */
  strictFragmentAlignment?: boolean;
  /** Cap on body consumption across all requests. */
  throughputBytesPerSec?: number;
  /** Sign-in: the application (client) id the identity endpoints know. Default 'graph-test-client'. */
  oauthClientId?: string;
  /** An accepted access token stops working this long after it was issued (401 "Lifetime validation failed"). */
  accessTokenTtlMs?: number;
  /** expires_in of token replies. Default: accessTokenTtlMs in seconds (rounded down), or 3599. Larger = the server lies. */
  tokenExpiresInSec?: number;
  /** Device code poll interval the server asks for. Default 5 s. */
  deviceCodeIntervalSec?: number;
  /** Default 15 min. */
  deviceCodeTtlMs?: number;
}

export interface GraphRequestRecord {
  op: string;
  method: string;
  path: string;
  /** 0 when no reply could be sent (the client dropped the connection). */
  status: number;
  hadAuthorization: boolean;
  bodyBytes: number;
  /** The request's Content-Range (fragment PUTs): the bytes it declared, whatever arrived. */
  contentRange?: string;
  /** When the request arrived and when it was answered (ms since epoch). */
  startedAtMs: number;
  endedAtMs: number;
}

export interface GraphSessionInfo {
  id: string;
  uploadUrl: string;
  /** Target path as created, e.g. '/Docs/a.bin' (a rename on conflict shows in items(), not here). */
  path: string;
  /** 0 until known (no `fileSize` at create and no fragment yet). */
  totalBytes: number;
  receivedBytes: number;
  /** Every body byte that arrived on PUTs for this session, accepted or not. */
  bytesReceivedTotal: number;
  state: SessionState;
  expiresAtMs: number;
  /** Every PUT on this session's uploadUrl: accepted, rejected or failed by an injected fault. */
  putCount: number;
}

export interface GraphItemInfo {
  id: string;
  driveId: string;
  /** e.g. '/Docs/a.bin' */
  path: string;
  size: number;
  /** Lower-case hex (the driveItem's sha256Hash is upper-case, as Graph sends it). */
  sha256: string;
  quickXorHash: string;
  storagePath: string;
}

const JSON_BODY_MAX_BYTES = 1024 * 1024;
const DEFAULT_DRIVE_ID = 'b!hoist-emulator-drive';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface GraphActivity {
  requests: number;
  firstRequestAtMs?: number;
  lastReplyAtMs?: number;
}

export class GraphEmulator {
  readonly url: string;
  readonly graphBaseUrl: string;
  readonly faults = new FaultInjector();
  readonly requests: GraphRequestRecord[] = [];
  /** Id of the drive `/me/drive` addresses. */
  readonly driveId = DEFAULT_DRIVE_ID;

  private readonly cap: ThroughputCap;
  private readonly drives = new Map<string, GraphDrive>();
  private readonly uploads: UploadSessions;
  private readonly inFlight = new Set<Promise<void>>();
  private accessToken: string;
  private accessTokenIssuedAtMs = Date.now();
  private readonly accessTokenTtlMs: number | undefined;
  private readonly retiredTokens = new Set<string>();
  /** Sign-in state: deny/expire device codes, slow_down, revoke refresh tokens, device codes seen, counters. */
  readonly signIn: GraphOAuth;
  /** Base of the identity endpoints: pass it as the authority (`{authorityUrl}/{tenant}/oauth2/v2.0/…`). */
  readonly authorityUrl: string;
  private readonly isStrictAuth: boolean;
  private readonly dirs: { items: string; sessions: string; tmp: string; bench: string };

  private constructor(private readonly server: Server, opts: GraphEmulatorOptions) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.graphBaseUrl = `${this.url}/v1.0`;
    this.cap = new ThroughputCap(opts.throughputBytesPerSec);
    this.accessToken = opts.accessToken ?? 'graph-test-token';
    this.accessTokenTtlMs = opts.accessTokenTtlMs;
    this.authorityUrl = this.url;
    this.signIn = GraphOAuth.create(opts, this.url, () => {
      const token = newOpaqueToken('graph-access');
      this.setAccessToken(token);
      return token;
    });
    this.isStrictAuth = opts.strictAuthOnUploadUrl ?? true;
    const dir = (name: string): string => join(opts.storageDir, name);
    this.dirs = { items: dir('items'), sessions: dir('sessions'), tmp: dir('tmp'), bench: dir('_bench') };
    for (const path of Object.values(this.dirs)) mkdirSync(path, { recursive: true });
    this.uploads = new UploadSessions({
      baseUrl: this.url,
      sessionsDir: this.dirs.sessions,
      cap: this.cap,
      sessionTtlMs: opts.sessionTtlMs ?? 15 * 60_000,
      isStrictAlignment: opts.strictFragmentAlignment ?? true,
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.noteActivity(res);
      const done = this.handle(req, res).finally(() => this.inFlight.delete(done));
      this.inFlight.add(done);
    });
  }

  private activityLog: GraphActivity = { requests: 0 };

  /** When requests arrived and replies left since the last reset (performance.now() of this process), for benchmarks. */
  activity(): GraphActivity {
    return { ...this.activityLog };
  }

  resetActivity(): void {
    this.activityLog = { requests: 0 };
  }

  private noteActivity(res: ServerResponse): void {
    const log = this.activityLog;
    log.requests++;
    log.firstRequestAtMs ??= performance.now();
    res.once('finish', () => {
      log.lastReplyAtMs = performance.now();
    });
  }

  static async start(opts: GraphEmulatorOptions): Promise<GraphEmulator> {
    // Large fragments at a capped rate can legitimately take minutes.
    const server = createServer({ requestTimeout: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new GraphEmulator(server, opts);
  }

  setThroughput(bytesPerSec: number | undefined): void {
    this.cap.bytesPerSec = bytesPerSec;
  }

  /** From now on, records when body bytes are read (every request); the returned array keeps filling. */
  recordArrivals(): ByteArrival[] {
    return this.cap.recordArrivals();
  }

  /** The previous token keeps answering 401, as an expired one ("Lifetime validation failed"). */
  setAccessToken(token: string): void {
    if (token !== this.accessToken) this.retiredTokens.add(this.accessToken);
    this.retiredTokens.delete(token);
    this.accessToken = token;
    this.accessTokenIssuedAtMs = Date.now();
  }

  /** Sign-in: the user approves the device code shown as `userCode` (on "another device"). */
  approveDeviceCode(userCode: string): void {
    this.signIn.approve(userCode);
  }

  /** The accepted access token expires now (the refresh token keeps working). */
  expireAccessToken(): void {
    this.retiredTokens.add(this.accessToken);
    this.accessToken = newOpaqueToken('graph-unissued');
  }

  sessions(): GraphSessionInfo[] {
    return this.uploads.all().map((s) => ({
      id: s.id,
      uploadUrl: s.uploadUrl,
      path: `/${s.segments.join('/')}`,
      totalBytes: s.totalBytes ?? 0,
      receivedBytes: s.receivedBytes,
      bytesReceivedTotal: s.bytesReceivedTotal,
      state: s.state,
      expiresAtMs: s.expiresAtMs,
      putCount: s.putCount,
    }));
  }

  items(): GraphItemInfo[] {
    return [...this.drives.values()].flatMap((drive) =>
      drive.listFiles().map((f) => ({
        id: f.id,
        driveId: drive.driveId,
        path: `/${f.segments.join('/')}`,
        size: f.sizeBytes,
        sha256: f.sha256Hex,
        quickXorHash: f.quickXorHash,
        storagePath: f.storagePath,
      })),
    );
  }

  expireSession(idOrUploadUrl: string): void {
    const session = this.uploads.find(idOrUploadUrl.replace(/^.*\/up\//, ''));
    if (!session) throw new Error(`no upload session ${idOrUploadUrl}`);
    this.uploads.end(session, 'expired');
  }

  expireAllSessions(): void {
    for (const session of this.uploads.all()) this.uploads.end(session, 'expired');
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    await Promise.allSettled([...this.inFlight]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAtMs = Date.now();
    // A client dropping the connection must never crash the emulator through an unhandled 'error' event.
    req.on('error', () => {});
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', this.url);
    const ctx: RequestContext = {
      req,
      res,
      url,
      bodyBytes: 0,
      isBodyConsumed: false,
      countBody(bytes) {
        ctx.bodyBytes += bytes;
        if (ctx.session && req.method === 'PUT') ctx.session.bytesReceivedTotal += bytes;
      },
    };
    let route: GraphRoute = { op: 'graph.unknown' };
    try {
      route = parseRoute(req.method ?? 'GET', url.pathname);
      if ('token' in route) ctx.session = this.uploads.find(route.token);
      // Counted before faults so tests can see every attempt a client made, injected failures included.
      if (route.op === 'graph.put' && ctx.session) ctx.session.putCount += 1;
      const action = this.faults.take(route.op);
      // Read the body before an injected status for the same reason reply() does.
      if (action?.type === 'status') await this.drain(ctx);
      if (action && sendEarlyFault(action, req, res, (status) => odataErrorBody(errorForStatus(status)))) {
        req.on('data', (chunk: Buffer) => ctx.countBody(chunk.length));
        await new Promise<void>((resolve) => res.once('close', resolve));
        return;
      }
      if (requestDelayMs(action) > 0) await sleep(requestDelayMs(action));
      else if (action) ctx.lateFault = action;
      await this.reply(ctx, await this.route(ctx, route));
    } catch (err) {
      if (req.socket.destroyed) return;
      const error = err instanceof GraphFailure ? err.error : { ...errorForStatus(500), message: String(err) };
      await this.reply(ctx, { status: error.status, body: error });
    } finally {
      this.requests.push({
        op: route.op,
        method: req.method ?? '',
        path: url.pathname,
        status: res.headersSent ? res.statusCode : 0,
        hadAuthorization: req.headers.authorization !== undefined,
        contentRange: req.headers['content-range'],
        bodyBytes: ctx.bodyBytes,
        startedAtMs,
        endedAtMs: Date.now(),
      });
    }
  }

  /**
   * Sends the outcome (or the late fault replacing it) once the body is fully read. Replying first is not an option:
   * Node's server stops reading a request whose response has ended, stalling a client still sending the body; reading
   * first also makes bytesReceivedTotal final by the time the client sees the reply.
   */
  private async reply(ctx: RequestContext, outcome: Outcome): Promise<void> {
    await this.drain(ctx);
    if (ctx.req.socket.destroyed) return;
    const fault = ctx.lateFault;
    if (replyDelayMs(fault) > 0) {
      await sleep(replyDelayMs(fault));
      if (ctx.req.socket.destroyed) return;
    }
    const isError = outcome.body !== undefined && outcome.status >= 400;
    if (fault?.type === 'apply-then-fail') {
      sendError(ctx.res, { ...errorForStatus(fault.status), retryAfterSec: fault.retryAfterSec });
    } else if (fault?.type === 'malformed-json' && !ctx.res.headersSent) {
      ctx.res.writeHead(outcome.status, { 'content-type': 'application/json' }).end('<html>oops');
    } else if (isError && !outcome.plain) {
      sendError(ctx.res, outcome.body as GraphError);
    } else if (outcome.body === undefined) {
      sendEmpty(ctx.res, outcome.status);
    } else {
      sendJson(ctx.res, outcome.status, outcome.body);
    }
  }

  /** Reads and discards a body the handler rejected without reading (it still counts as received). */
  private async drain(ctx: RequestContext): Promise<void> {
    if (ctx.isBodyConsumed) return;
    ctx.isBodyConsumed = true;
    await drainBody(ctx.req, this.cap, (n) => ctx.countBody(n));
  }

  private route(ctx: RequestContext, route: GraphRoute): Promise<Outcome> {
    switch (route.op) {
      case 'graph.create':
        return this.createSession(ctx, route.target);
      case 'graph.item':
        return this.getItem(ctx, route.target);
      case 'graph.simple':
        return this.simpleUpload(ctx, route.target);
      case 'graph.put':
      case 'graph.status':
      case 'graph.delete':
      case 'graph.commit':
        return this.onSession(ctx, route.op);
      case 'bench.sink':
        return benchSink(ctx, this.cap, this.dirs.bench, route.name);
      case 'oauth.devicecode':
        return readForm(ctx, this.cap).then((form) => this.signIn.deviceCode(form, route.tenant));
      case 'oauth.token':
        return readForm(ctx, this.cap).then((form) => this.signIn.token(form));
      case 'graph.unknown':
        throw new GraphFailure(itemNotFound(`Resource not found for the segment '${ctx.url.pathname}'.`));
    }
  }

  private async createSession(ctx: RequestContext, target: DriveTarget): Promise<Outcome> {
    this.requireBearer(ctx);
    const drive = this.driveFor(target);
    const segments = drive.resolveSegments(target);
    const body = await this.readJson(ctx);
    return this.uploads.create({
      drive,
      segments,
      body,
      isExistingItem: target.kind === 'id',
      ifMatch: header(ctx, 'if-match'),
      ifNoneMatch: header(ctx, 'if-none-match'),
    });
  }

  /** Session routes answer 404 for a dead session before 401 for a stray Authorization header, as the service does. */
  private async onSession(ctx: RequestContext, op: 'graph.put' | 'graph.status' | 'graph.delete' | 'graph.commit'): Promise<Outcome> {
    const session = this.uploads.live(ctx.session);
    if (this.isStrictAuth && ctx.req.headers.authorization !== undefined) {
      throw new GraphFailure({
        status: 401,
        code: 'unauthenticated',
        message: 'The uploadUrl is pre-authenticated: requests to it must not carry an Authorization header.',
      });
    }
    switch (op) {
      case 'graph.put':
        return this.uploads.put(ctx, session);
      case 'graph.status':
        return this.uploads.status(session);
      case 'graph.delete':
        return this.uploads.cancel(session);
      case 'graph.commit':
        if ((await this.readJson(ctx)) !== undefined) throw new GraphFailure(invalidRequest('The commit request must have an empty body.'));
        return this.uploads.commitRequest(session);
    }
  }

  private async getItem(ctx: RequestContext, target: DriveTarget): Promise<Outcome> {
    this.requireBearer(ctx);
    const drive = this.driveFor(target);
    const item = drive.find(drive.resolveSegments(target));
    if (!item) throw new GraphFailure(itemNotFound('The resource could not be found.'));
    return { status: 200, body: drive.itemJson(item) };
  }

  private async simpleUpload(ctx: RequestContext, target: DriveTarget): Promise<Outcome> {
    this.requireBearer(ctx);
    const drive = this.driveFor(target);
    const segments = drive.resolveSegments(target);
    const query = ctx.url.searchParams.get('@microsoft.graph.conflictBehavior') ?? undefined;
    // Content addressed by item id replaces that item; by path it follows the query (the emulator defaults to fail).
    const conflictBehavior: ConflictBehavior = target.kind === 'id' ? 'replace' : parseConflictBehavior(query, 'fail');
    return simpleUpload(ctx, this.cap, { drive, segments, conflictBehavior, tmpDir: this.dirs.tmp });
  }

  private requireBearer(ctx: RequestContext): void {
    const auth = header(ctx, 'authorization');
    const token = /^Bearer\s+(.+)$/i.exec(auth ?? '')?.[1]?.trim();
    const isLive = this.accessTokenTtlMs === undefined || Date.now() - this.accessTokenIssuedAtMs < this.accessTokenTtlMs;
    if (token === this.accessToken && isLive) return;
    const isExpired = token !== undefined && (token === this.accessToken || this.retiredTokens.has(token));
    throw new GraphFailure({
      status: 401,
      code: 'InvalidAuthenticationToken',
      message: isExpired ? 'Lifetime validation failed, the token is expired.' : token ? 'Access token validation failure. Invalid audience.' : 'Access token is empty.',
    });
  }


  private driveFor(target: DriveTarget): GraphDrive {
    const raw = target.rawDriveId;
    const driveId = raw === undefined ? DEFAULT_DRIVE_ID : decodeSegment(raw);
    let drive = this.drives.get(driveId);
    if (!drive) {
      const apiPrefix = driveId === DEFAULT_DRIVE_ID ? '/drive' : `/drives/${encodeURIComponent(driveId)}`;
      drive = new GraphDrive(driveId, this.dirs.items, apiPrefix);
      this.drives.set(driveId, drive);
    }
    return drive;
  }

  private async readJson(ctx: RequestContext): Promise<Record<string, unknown> | undefined> {
    ctx.isBodyConsumed = true;
    const body = await readJsonBody(ctx.req, this.cap, JSON_BODY_MAX_BYTES, (n) => ctx.countBody(n));
    if (body === undefined) return undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new GraphFailure({ status: 400, code: 'BadRequest', message: 'The request body must be a JSON object.' });
    }
    return body as Record<string, unknown>;
  }
}

function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
