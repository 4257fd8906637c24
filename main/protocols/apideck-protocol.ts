import { posix } from 'node:path';
import type * as z from 'zod';
import { UploadFailure } from '../domain/failure.js';
import type { PartRow } from '../store/sessions-repo.js';
import { bufferPart, sha1Base64, sha1Base64Of } from './apideck-part-body.js';
import {
  apideckError,
  classifyApideck,
  finishedSessionItem,
  parseExpiry,
  parseUploadedRange,
  partStoredSchema,
  sessionCreatedSchema,
  toRemoteItem,
  unifiedFileSchema,
  uploadSessionSchema,
  type ApideckOp,
  type UploadSessionData,
} from './apideck-replies.js';
import { httpRequest, parseJson, type HttpReply } from './http.js';
import type { LocalFileDigests, PartBody, PartOutcome, RemoteItem, ServerState, SessionHandle, UploadProtocol, UploadTarget } from './upload-protocol.js';
import { DEFAULT_APIDECK_ENDPOINT } from './service-endpoints.js';

export const DEFAULT_APIDECK_FOLDER_ID = 'root';
/** Parts in flight per file when the connector allows parallel parts (rclone's Box default). */
export const DEFAULT_APIDECK_PARALLEL_PARTS = 4;

export interface ApideckConfig {
  /** API base; `https://upload.apideck.com` when empty. Every path is sent here (DELETE included, see abort). */
  endpoint: string;
  /** Unify application id (`x-apideck-app-id`). */
  appId: string;
  /** The end customer in Vault (`x-apideck-consumer-id`). */
  consumerId: string;
  /** Connector (`x-apideck-service-id`), needed when the consumer has several File Storage connections. */
  serviceId?: string;
  /**
   * Folder every file goes into (`parent_folder_id`), `root` when empty. Apideck takes an id or a path depending on the
   * connector, so remote directories are not derived from the remote path: a destination per folder id does that.
   */
  folderId: string;
  /** The Apideck API key (sent as the Bearer token). */
  accessToken: () => Promise<string>;
  /** Send SHA-1 `digest` headers on parts and finish. Default: only for the Box connector (serviceId 'box'). */
  requiresDigest?: boolean;
  /** Parts of one file in flight when the session says `parallel_upload_supported`; default 4. */
  maxParallelParts?: number;
}

/**
 * Apideck File Storage upload sessions (protocols.md §3): create → GET (part size, parallelism, expiry) → PUT
 * `?part_number=N` from 0 → finish. The server dictates the part size; Box behind Apideck also wants SHA-1 digests.
 */
export class ApideckProtocol implements UploadProtocol {
  readonly provider = 'apideck' as const;
  readonly addressing = 'indexed' as const;
  /** An empty file has no parts; it goes through `uploadWhole` (an empty session + finish). */
  readonly minSessionBytes = 1;
  readonly verifyHash = 'none' as const;

  private readonly base: string;
  /** Set once the server said a digest is missing, for connectors the configuration did not name. */
  private hasLearnedDigest = false;

  constructor(private readonly config: ApideckConfig) {
    this.base = ((config.endpoint ?? '').trim() || DEFAULT_APIDECK_ENDPOINT).replace(/\/+$/, '');
  }

  /** Parallelism is a property of the session (`parallel_upload_supported`); without a session, one part at a time. */
  readonly maxParallelParts = 1;

  maxParallelPartsFor(session: SessionHandle): number {
    return session.extra.parallelUploadSupported === true ? Math.max(1, this.config.maxParallelParts ?? DEFAULT_APIDECK_PARALLEL_PARTS) : 1;
  }

  async createSession(target: UploadTarget, signal: AbortSignal): Promise<SessionHandle> {
    const id = await this.startSession(target, signal);
    let session: UploadSessionData | 'gone';
    try {
      session = await this.readSession(id, signal);
      if (session === 'gone') throw new UploadFailure({ kind: 'retry', reason: `the new upload session ${id} was not found right after it was created` });
    } catch (error) {
      // Without its part size the session is useless to us; do not leave it holding space until it expires.
      if (!signal.aborted) await this.deleteSession(id, signal).catch(() => undefined);
      throw error;
    }
    return {
      sessionUrl: null,
      remoteSessionId: id,
      partSizeBytes: session.part_size,
      expiresAtMs: parseExpiry(session.expires_at),
      extra: { parallelUploadSupported: session.parallel_upload_supported === true },
    };
  }

  async queryServerState(session: SessionHandle, target: UploadTarget, signal: AbortSignal): Promise<ServerState> {
    const data = await this.readSession(this.sessionId(session), signal);
    if (data === 'gone') return { kind: 'gone', reason: 'the upload session expired or is unknown to Apideck' };
    // Finished already (our finish reply was lost): the file exists, do not upload or finish again.
    if (data.success === true) return { kind: 'completed', item: finishedSessionItem(data, posix.basename(target.remotePath), target.sizeBytes) };
    if (data.part_size !== session.partSizeBytes) {
      return { kind: 'gone', reason: `the upload session's part size changed (${session.partSizeBytes} → ${data.part_size} bytes)` };
    }
    const received = parseUploadedRange(data.uploaded_byte_range, target.sizeBytes);
    if (!received) throw malformed(200, 'upload session', `uploaded_byte_range "${data.uploaded_byte_range}" not understood`);
    return { kind: 'open', received, expiresAtMs: parseExpiry(data.expires_at) };
  }

  async uploadPart(session: SessionHandle, part: PartBody, target: UploadTarget, signal: AbortSignal): Promise<PartOutcome> {
    const last = part.offsetBytes + part.sizeBytes - 1;
    const headers = await this.headers({ 'content-type': 'application/octet-stream', 'content-length': String(part.sizeBytes) });
    let body: AsyncIterable<Uint8Array> | Buffer = part.data;
    if (this.needsDigest && part.sha1Base64 !== undefined) headers.digest = `sha=${part.sha1Base64}`;
    else if (this.needsDigest) {
      // The digest header precedes the body: without the engine's digest the part is hashed in memory first.
      const buffer = await bufferPart(part.data, part.sizeBytes);
      headers.digest = `sha=${sha1Base64(buffer)}`;
      body = buffer;
    }
    const url = `${this.sessionUrl(session)}?part_number=${part.partIndex}`;
    const reply = await httpRequest(url, { method: 'PUT', headers, body, signal });
    const doing = `sending part ${part.partIndex} (bytes ${part.offsetBytes}-${last} of ${target.sizeBytes})`;
    if (reply.status === 204) return { kind: 'stored', reply: null, expiresAtMs: null };
    if (reply.status !== 200 && reply.status !== 201) throw this.failure(reply, doing, 'part');
    this.parse(reply, partStoredSchema, 'part reply');
    return { kind: 'stored', reply: null, expiresAtMs: null };
  }

  async commit(session: SessionHandle, _parts: readonly PartRow[], target: UploadTarget, local: LocalFileDigests, signal: AbortSignal): Promise<RemoteItem> {
    const digest = this.needsDigest ? await local.sha1Base64() : undefined;
    return this.finish(this.sessionId(session), digest, target, signal);
  }

  /** DELETE goes to the configured endpoint: the spec sends it to unify., but both hosts serve every path (§3.1). */
  async abort(session: SessionHandle, signal: AbortSignal): Promise<void> {
    await this.deleteSession(this.sessionId(session), signal);
  }

  /**
   * Empty files only (minSessionBytes = 1): a zero-byte session has no parts, so it is created and finished at once.
   * `POST /file-storage/files` is not used: it needs multipart metadata and some connectors cap it far lower.
   */
  async uploadWhole(target: UploadTarget, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<RemoteItem> {
    if (target.sizeBytes !== 0) {
      throw new UploadFailure({ kind: 'fatal', code: 'internal', reason: `the Apideck adapter uploads only empty files whole, not ${target.sizeBytes} bytes` });
    }
    const digest = await sha1Base64Of(data); // also drains the (empty) stream
    const id = await this.startSession(target, signal);
    try {
      return await this.finish(id, this.needsDigest ? digest : undefined, target, signal);
    } catch (error) {
      if (!signal.aborted) await this.deleteSession(id, signal).catch(() => undefined);
      throw error;
    }
  }

  /** The Box connector wants SHA-1 digests; the engine then hashes each part (and the file) in its one pass. */
  get sha1Digests(): boolean {
    return this.needsDigest;
  }

  private get needsDigest(): boolean {
    return this.config.requiresDigest ?? (this.config.serviceId === 'box' || this.hasLearnedDigest);
  }

  private async startSession(target: UploadTarget, signal: AbortSignal): Promise<string> {
    const body = JSON.stringify({ name: posix.basename(target.remotePath), parent_folder_id: this.folderId, size: target.sizeBytes });
    const reply = await httpRequest(`${this.base}/file-storage/upload-sessions`, {
      method: 'POST',
      headers: await this.headers({ 'content-type': 'application/json' }),
      body,
      signal,
    });
    if (reply.status !== 201 && reply.status !== 200) throw this.failure(reply, 'starting the upload session', 'create');
    return this.parse(reply, sessionCreatedSchema, 'create-session reply').data.id;
  }

  /** GET the session; 'gone' when Apideck no longer knows it (expired, aborted). */
  private async readSession(id: string, signal: AbortSignal): Promise<UploadSessionData | 'gone'> {
    const reply = await httpRequest(this.urlOf(id), { method: 'GET', headers: await this.headers(), signal });
    if (reply.status === 404) return 'gone';
    if (reply.status !== 200) throw this.failure(reply, 'asking Apideck what the upload session holds', 'session');
    return this.parse(reply, uploadSessionSchema, 'upload session').data;
  }

  private async finish(id: string, digestBase64: string | undefined, target: UploadTarget, signal: AbortSignal): Promise<RemoteItem> {
    const extra: Record<string, string> = { 'content-type': 'application/json' };
    if (digestBase64 !== undefined) extra.digest = `sha=${digestBase64}`;
    const reply = await httpRequest(`${this.urlOf(id)}/finish`, { method: 'POST', headers: await this.headers(extra), body: '{}', signal });
    if (reply.status === 201 || reply.status === 200) return toRemoteItem(this.parse(reply, unifiedFileSchema, 'finish reply').data, target.sizeBytes);
    if (reply.status === 422) return this.afterRefusedFinish(id, reply, target, signal);
    throw this.failure(reply, 'finishing the upload', 'finish');
  }

  /**
   * 422 on finish: either the session finished already (an earlier finish whose reply was lost) — then the file exists —
   * or the server lacks parts we recorded as sent (it lost them) — then the next attempt re-syncs and re-sends them.
   * The error text is not a contract, so the session itself is asked.
   */
  private async afterRefusedFinish(id: string, refusal: HttpReply, target: UploadTarget, signal: AbortSignal): Promise<RemoteItem> {
    const session = await this.readSession(id, signal);
    if (session === 'gone') throw this.failure(refusal, 'finishing the upload (the session is gone)', 'finish');
    if (session.success === true) return finishedSessionItem(session, posix.basename(target.remotePath), target.sizeBytes);
    const received = parseUploadedRange(session.uploaded_byte_range, target.sizeBytes) ?? [];
    const isComplete = received.some((r) => r.startBytes === 0 && r.endBytes === target.sizeBytes);
    if (!isComplete) {
      const held = session.uploaded_byte_range ?? 'nothing';
      throw new UploadFailure({ kind: 'retry', reason: `finish refused: the server holds ${held} of ${target.sizeBytes} bytes; re-checking which parts to send again` });
    }
    throw this.failure(refusal, 'finishing the upload', 'finish');
  }

  private async deleteSession(id: string, signal: AbortSignal): Promise<void> {
    const reply = await httpRequest(this.urlOf(id), { method: 'DELETE', headers: await this.headers(), signal });
    // 404: already gone; 422: already finished (nothing left to cancel).
    if (reply.status === 200 || reply.status === 202 || reply.status === 204 || reply.status === 404 || reply.status === 422) return;
    throw this.failure(reply, 'cancelling the upload session', 'session');
  }

  private get folderId(): string {
    return (this.config.folderId ?? '').trim() || DEFAULT_APIDECK_FOLDER_ID;
  }

  private async headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    // Settings come from stored JSON: tolerate absent values and report them, rather than crash on them.
    const appId = (this.config.appId ?? '').trim();
    const consumerId = (this.config.consumerId ?? '').trim();
    const missing = appId === '' ? 'application id (x-apideck-app-id)' : consumerId === '' ? 'consumer id (x-apideck-consumer-id)' : undefined;
    if (missing) {
      throw new UploadFailure({ kind: 'fatal', code: 'invalid-argument', reason: `the Apideck destination has no ${missing}; add it to the destination's settings` });
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.config.accessToken()}`,
      'x-apideck-app-id': appId,
      'x-apideck-consumer-id': consumerId,
    };
    const serviceId = this.config.serviceId?.trim();
    if (serviceId) headers['x-apideck-service-id'] = serviceId;
    return { ...headers, ...extra };
  }

  private sessionId(session: SessionHandle): string {
    if (!session.remoteSessionId) throw new UploadFailure({ kind: 'session-expired', reason: 'the upload session has no id' });
    return session.remoteSessionId;
  }

  private sessionUrl(session: SessionHandle): string {
    return this.urlOf(this.sessionId(session));
  }

  private urlOf(id: string): string {
    return `${this.base}/file-storage/upload-sessions/${encodeURIComponent(id)}`;
  }

  private parse<T extends z.ZodTypeAny>(reply: HttpReply, schema: T, what: string): z.infer<T> {
    const parsed = schema.safeParse(parseJson(reply.text));
    if (!parsed.success) throw malformed(reply.status, what, parsed.error.issues[0]?.message ?? 'unexpected shape');
    return parsed.data as z.infer<T>;
  }

  private failure(reply: HttpReply, doing: string, op: ApideckOp): UploadFailure {
    const err = apideckError(parseJson(reply.text));
    if (err.downstreamCodes.includes('missing_digest')) this.hasLearnedDigest = true;
    const reason =
      `${doing}: HTTP ${reply.status}${err.typeName ? ` ${err.typeName}` : ''}${err.text ? ` – ${err.text}` : ''}` +
      (err.downstreamText ? ` (downstream: ${err.downstreamText})` : '');
    return new UploadFailure(classifyApideck(reply.status, err, reply.retryAfterMs, reason, op));
  }
}

function malformed(status: number, what: string, detail: string): UploadFailure {
  return new UploadFailure({ kind: 'malformed', reason: `Apideck sent a malformed ${what} (HTTP ${status}: ${detail})` });
}
