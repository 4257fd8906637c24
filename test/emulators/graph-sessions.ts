/**
 * The uploadUrl side of the Graph emulator: session creation, fragment PUTs, status, cancel and (deferred) commit.
 * A fragment is written at its offset while it streams in, but counts (receivedBytes, hashes, expiry) only once its whole
 * body has arrived and matched the declared length, so an aborted request applies nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuickXorFold } from '../../main/domain/quick-xor-hash.js';
import type { ThroughputCap } from './faults.js';
import { writeBody } from './graph-body.js';
import { parseConflictBehavior, type ConflictBehavior, type GraphDrive } from './graph-drive.js';
import { errorForStatus, GraphFailure, invalidRequest, isoTime, sessionNotFound } from './graph-odata.js';
import {
  checkFragmentHeaders,
  checkFragmentPosition,
  FRAGMENT_MULTIPLE_BYTES,
  MAX_FILE_BYTES,
  statusBody,
  withSessionLock,
  type Outcome,
  type RequestContext,
  type UploadSession,
} from './graph-session-model.js';

export interface UploadSessionsConfig {
  /** Base of every uploadUrl (`http://127.0.0.1:PORT`). */
  baseUrl: string;
  sessionsDir: string;
  cap: ThroughputCap;
  sessionTtlMs: number;
  isStrictAlignment: boolean;
}

export interface CreateRequest {
  drive: GraphDrive;
  segments: string[];
  /** Parsed JSON body of createUploadSession (undefined when empty). */
  body: Record<string, unknown> | undefined;
  /** The target addressed an existing item by id: its content is replaced whatever the body says. */
  isExistingItem: boolean;
  ifMatch: string | undefined;
  ifNoneMatch: string | undefined;
}

export class UploadSessions {
  private readonly byToken = new Map<string, UploadSession>();

  constructor(private readonly config: UploadSessionsConfig) {}

  all(): UploadSession[] {
    for (const session of this.byToken.values()) this.refreshExpiry(session);
    return [...this.byToken.values()];
  }

  find(token: string): UploadSession | undefined {
    return this.byToken.get(token);
  }

  /** The session a request addresses, unless unknown, expired, cancelled or consumed: 404 in every case, as the service. */
  live(session: UploadSession | undefined): UploadSession {
    if (session) this.refreshExpiry(session);
    if (!session || (session.state !== 'open' && session.state !== 'failed')) throw new GraphFailure(sessionNotFound());
    return session;
  }

  async create(req: CreateRequest): Promise<Outcome> {
    const name = req.segments[req.segments.length - 1];
    if (name === undefined) throw new GraphFailure(invalidRequest('Cannot upload content to the root folder.'));
    const item = req.body?.item ?? {};
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new GraphFailure(invalidRequest('item must be an object.'));
    const props = item as Record<string, unknown>;
    if (props.name !== undefined && props.name !== name) {
      throw new GraphFailure(invalidRequest('The name in the request body does not match the name in the URL.'));
    }
    const requested = parseConflictBehavior(props['@microsoft.graph.conflictBehavior'] ?? props['@name.conflictBehavior'], 'fail');
    const conflictBehavior: ConflictBehavior = req.isExistingItem ? 'replace' : requested;
    const fileSize = props.fileSize;
    if (fileSize !== undefined && (typeof fileSize !== 'number' || !Number.isSafeInteger(fileSize) || fileSize < 0)) {
      throw new GraphFailure(invalidRequest('fileSize must be a non-negative integer.'));
    }
    if (fileSize !== undefined && fileSize > MAX_FILE_BYTES) {
      throw new GraphFailure({ status: 400, code: 'invalidArgument', message: 'Max file size exceeded.', innerCode: 'maxFileSizeExceeded' });
    }
    const deferCommit = req.body?.deferCommit;
    if (deferCommit !== undefined && typeof deferCommit !== 'boolean') throw new GraphFailure(invalidRequest('deferCommit must be a Boolean.'));
    req.drive.checkPreconditions(req.segments, req.ifMatch, req.ifNoneMatch);

    const token = randomBytes(24).toString('base64url');
    const session: UploadSession = {
      id: token,
      uploadUrl: `${this.config.baseUrl}/up/${token}`,
      drive: req.drive,
      segments: req.segments,
      conflictBehavior,
      isDeferCommit: deferCommit === true,
      totalBytes: fileSize,
      receivedBytes: 0,
      bytesReceivedTotal: 0,
      state: 'open',
      expiresAtMs: Date.now() + this.config.sessionTtlMs,
      putCount: 0,
      partPath: join(this.config.sessionsDir, token),
      sha256: createHash('sha256'),
      fold: new QuickXorFold(),
      isMisaligned: false,
      lockTail: Promise.resolve(),
    };
    await writeFile(session.partPath, '');
    this.byToken.set(token, session);
    return {
      status: 200,
      body: {
        '@odata.context': `${this.config.baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
        uploadUrl: session.uploadUrl,
        expirationDateTime: isoTime(session.expiresAtMs),
        nextExpectedRanges: ['0-'],
      },
    };
  }

  /** Callers have already answered 404 (dead session) and 401 (Authorization present), in the service's order. */
  async put(ctx: RequestContext, session: UploadSession): Promise<Outcome> {
    if (session.state === 'failed') throw uploadSessionFailed();
    const range = checkFragmentHeaders(session, ctx.req.headers);
    return withSessionLock(session, async () => {
      if (session.state !== 'open') throw new GraphFailure(sessionNotFound());
      checkFragmentPosition(session, range);
      const sha256 = session.sha256.copy();
      const fold = new QuickXorFold();
      ctx.isBodyConsumed = true;
      const target = { filePath: session.partPath, mode: 'r+' as const, offsetBytes: range.firstByte, sha256, fold };
      let bodyBytes: number;
      try {
        bodyBytes = await writeBody(ctx.req, this.config.cap, target, (n) => ctx.countBody(n));
      } catch (err) {
        // Bytes already written past receivedBytes are harmless: the retry overwrites them.
        if (session.state !== 'open') throw new GraphFailure(sessionNotFound());
        throw err;
      }
      // Expiry is judged when the request starts; only an explicit cancel or expire during the body voids the fragment.
      if (session.state !== 'open') throw new GraphFailure(sessionNotFound());
      if (bodyBytes !== range.lengthBytes) {
        throw new GraphFailure(invalidRequest('Declared fragment length does not match the bytes received.', 'fragmentLengthMismatch'));
      }
      const isFinal = range.lastByte + 1 === range.totalBytes;
      if (!isFinal && range.lengthBytes % FRAGMENT_MULTIPLE_BYTES !== 0 && this.config.isStrictAlignment) session.isMisaligned = true;
      session.receivedBytes = range.lastByte + 1;
      session.sha256 = sha256;
      session.fold.merge(fold);
      session.expiresAtMs = Date.now() + this.config.sessionTtlMs;
      if (!isFinal || session.isDeferCommit) return { status: 202, body: statusBody(session) };
      return this.commit(session);
    });
  }

  status(session: UploadSession): Outcome {
    return { status: 200, body: statusBody(session) };
  }

  cancel(session: UploadSession): Outcome {
    this.end(session, 'cancelled');
    return { status: 204 };
  }

  /** Explicit commit (`POST uploadUrl`, empty body) of a deferCommit session. */
  async commitRequest(session: UploadSession): Promise<Outcome> {
    if (session.state === 'failed') throw uploadSessionFailed();
    return withSessionLock(session, async () => {
      if (session.state !== 'open') throw new GraphFailure(sessionNotFound());
      if (session.totalBytes === undefined || session.receivedBytes < session.totalBytes) {
        throw new GraphFailure(invalidRequest('The upload session is incomplete.', 'uploadSessionIncomplete'));
      }
      return this.commit(session);
    });
  }

  /** Ends an open (or failed) session; its temp data is deleted as the service cleans up after expiry. */
  end(session: UploadSession, state: 'expired' | 'cancelled' | 'failed'): void {
    if (session.state !== 'open' && session.state !== 'failed') return;
    session.state = state;
    if (state === 'expired') session.expiresAtMs = Math.min(session.expiresAtMs, Date.now());
    void rm(session.partPath, { force: true }).catch(() => {});
  }

  private commit(session: UploadSession): Outcome {
    if (session.isMisaligned) {
      this.end(session, 'failed');
      throw new GraphFailure({ ...errorForStatus(500), message: 'Assertion Failure While Processing.' });
    }
    try {
      const { status, file } = session.drive.commit({
        segments: session.segments,
        conflictBehavior: session.conflictBehavior,
        sourcePath: session.partPath,
        sizeBytes: session.receivedBytes,
        sha256Hex: session.sha256.digest('hex'),
        quickXorHash: session.fold.digest(session.receivedBytes),
        nowMs: Date.now(),
      });
      session.state = 'completed';
      return { status, body: session.drive.itemJson(file) };
    } catch (err) {
      this.end(session, 'failed');
      throw err;
    }
  }

  private refreshExpiry(session: UploadSession): void {
    if (session.state === 'open' && Date.now() >= session.expiresAtMs) this.end(session, 'expired');
  }
}

const uploadSessionFailed = (): GraphFailure => new GraphFailure(invalidRequest('Upload session failed.', 'uploadSessionFailed'));
