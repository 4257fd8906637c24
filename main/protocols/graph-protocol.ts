import { posix } from 'node:path';
import { UploadFailure, classifyStatus, type Failure } from '../domain/failure.js';
import type { FragmentRules } from '../domain/fragment-size.js';
import { GRAPH_DEFAULT_FRAGMENT_BYTES, GRAPH_FRAGMENT_RULES } from '../domain/part-plan.js';
import { receivedFromMissing } from '../domain/reconcile.js';
import { httpRequest, parseJson, type HttpReply } from './http.js';
import {
  driveItemSchema,
  odataError,
  parseExpectedRanges,
  parseExpiry,
  sessionCreatedSchema,
  sessionStatusSchema,
  toRemoteItem,
} from './graph-replies.js';
import type { PartBody, PartOutcome, RemoteItem, ServerState, SessionHandle, UploadProtocol, UploadTarget } from './upload-protocol.js';
import type * as z from 'zod';

export type ConflictBehavior = 'replace' | 'fail' | 'rename';

export interface GraphConfig {
  /** Graph base, e.g. https://graph.microsoft.com/v1.0 (or a sovereign cloud, or an emulator). */
  endpoint: string;
  /** Target drive; the signed-in user's drive when absent. */
  driveId?: string;
  conflictBehavior: ConflictBehavior;
  /** Bytes per request as the user set them; absent: Hoist sizes fragments to the link, from 10 MiB. */
  fragmentSizeBytes?: number;
  accessToken: () => Promise<string>;
}

/**
 * Microsoft Graph driveItem upload sessions. The uploadUrl is pre-authorized, so requests to it never carry an
 * Authorization header (sending one gets 401 from the service).
 */
export class GraphProtocol implements UploadProtocol {
  readonly provider = 'graph' as const;
  readonly addressing = 'offset' as const;
  readonly maxParallelParts = 1;
  readonly minSessionBytes = 1;
  readonly verifyHash = 'quickXorHash' as const;

  constructor(private readonly config: GraphConfig) {}

  async createSession(target: UploadTarget, signal: AbortSignal): Promise<SessionHandle> {
    const body = JSON.stringify({
      item: { '@microsoft.graph.conflictBehavior': this.config.conflictBehavior, name: posix.basename(target.remotePath) },
    });
    const reply = await httpRequest(`${this.itemUrl(target.remotePath)}:/createUploadSession`, {
      method: 'POST',
      headers: { ...(await this.auth()), 'content-type': 'application/json' },
      body,
      signal,
    });
    if (reply.status !== 200 && reply.status !== 201) throw this.failure(reply, 'creating the upload session');
    const created = this.parse(reply, sessionCreatedSchema, 'createUploadSession');
    return {
      sessionUrl: created.uploadUrl,
      remoteSessionId: null,
      partSizeBytes: this.config.fragmentSizeBytes ?? GRAPH_DEFAULT_FRAGMENT_BYTES,
      expiresAtMs: parseExpiry(created.expirationDateTime),
      extra: {},
    };
  }

  /** Without a configured size, fragments follow the link within Graph's rules (multiples of 320 KiB under 60 MiB). */
  fragmentRules(): FragmentRules | undefined {
    return this.config.fragmentSizeBytes === undefined ? GRAPH_FRAGMENT_RULES : undefined;
  }

  async queryServerState(session: SessionHandle, target: UploadTarget, signal: AbortSignal): Promise<ServerState> {
    const reply = await httpRequest(this.uploadUrl(session), { method: 'GET', signal });
    if (reply.status === 404 || reply.status === 410) return { kind: 'gone', reason: 'the upload session expired or is unknown to the server' };
    if (reply.status === 401) return { kind: 'gone', reason: 'the upload session’s embedded credentials expired' };
    if (reply.status !== 200) throw this.failure(reply, 'asking the server what it has');
    const status = this.parse(reply, sessionStatusSchema, 'upload session status');
    const missing = parseExpectedRanges(status.nextExpectedRanges, target.sizeBytes);
    if (!missing) throw malformed(reply, 'upload session status', 'nextExpectedRanges not understood');
    // An empty list means every byte arrived: the item exists (or is being created).
    const received = missing.length === 0 ? [{ startBytes: 0, endBytes: target.sizeBytes }] : receivedFromMissing(missing, target.sizeBytes);
    return { kind: 'open', received, expiresAtMs: parseExpiry(status.expirationDateTime) };
  }

  async uploadPart(session: SessionHandle, part: PartBody, target: UploadTarget, signal: AbortSignal): Promise<PartOutcome> {
    const last = part.offsetBytes + part.sizeBytes - 1;
    const reply = await httpRequest(this.uploadUrl(session), {
      method: 'PUT',
      headers: {
        'content-length': String(part.sizeBytes),
        'content-range': `bytes ${part.offsetBytes}-${last}/${target.sizeBytes}`,
        'content-type': 'application/octet-stream',
      },
      body: part.data,
      signal,
    });
    if (reply.status === 202 || ((reply.status === 200 || reply.status === 201) && hasNextExpected(reply))) {
      const status = this.parse(reply, sessionStatusSchema, 'fragment reply');
      const missing = parseExpectedRanges(status.nextExpectedRanges, target.sizeBytes);
      const next = missing?.[0]?.startBytes;
      if (missing && missing.length > 0 && next !== last + 1) {
        // The server is somewhere else than we thought (partial acceptance): re-sync before sending more.
        throw new UploadFailure({ kind: 'retry', reason: `the server expects byte ${next}, not ${last + 1}` });
      }
      return { kind: 'stored', reply: status, expiresAtMs: parseExpiry(status.expirationDateTime) };
    }
    if (reply.status === 200 || reply.status === 201) {
      return { kind: 'completed', item: toRemoteItem(this.parse(reply, driveItemSchema, 'final fragment reply')) };
    }
    throw this.failure(reply, `sending bytes ${part.offsetBytes}-${last}`);
  }

  async commit(_session: SessionHandle, _parts: unknown, target: UploadTarget, _local: unknown, signal: AbortSignal): Promise<RemoteItem> {
    // Without deferCommit the last fragment creates the item; when its reply was lost, read the item back.
    const reply = await httpRequest(this.itemUrl(target.remotePath), { method: 'GET', headers: await this.auth(), signal });
    if (reply.status === 404) throw new UploadFailure({ kind: 'retry', reason: 'all bytes were accepted but the file is not visible yet' });
    if (reply.status !== 200) throw this.failure(reply, 'reading the uploaded file');
    return toRemoteItem(this.parse(reply, driveItemSchema, 'driveItem'));
  }

  async abort(session: SessionHandle, signal: AbortSignal): Promise<void> {
    const reply = await httpRequest(this.uploadUrl(session), { method: 'DELETE', signal });
    if (reply.status !== 204 && reply.status !== 404 && reply.status !== 200) throw this.failure(reply, 'cancelling the upload session');
  }

  async uploadWhole(target: UploadTarget, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<RemoteItem> {
    const conflict = encodeURIComponent(this.config.conflictBehavior);
    const reply = await httpRequest(`${this.itemUrl(target.remotePath)}:/content?@microsoft.graph.conflictBehavior=${conflict}`, {
      method: 'PUT',
      headers: { ...(await this.auth()), 'content-type': 'application/octet-stream', 'content-length': String(target.sizeBytes) },
      body: data,
      signal,
    });
    if (reply.status !== 200 && reply.status !== 201) throw this.failure(reply, 'uploading the file');
    return toRemoteItem(this.parse(reply, driveItemSchema, 'driveItem'));
  }

  private itemUrl(remotePath: string): string {
    const drive = this.config.driveId ? `/drives/${encodeURIComponent(this.config.driveId)}` : '/me/drive';
    const encoded = remotePath.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    return `${this.config.endpoint.replace(/\/+$/, '')}${drive}/root:/${encoded}`;
  }

  private uploadUrl(session: SessionHandle): string {
    if (!session.sessionUrl) throw new UploadFailure({ kind: 'session-expired', reason: 'the session has no upload URL' });
    return session.sessionUrl;
  }

  private async auth(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.config.accessToken()}` };
  }

  private parse<T extends z.ZodTypeAny>(reply: HttpReply, schema: T, what: string): z.infer<T> {
    const parsed = schema.safeParse(parseJson(reply.text));
    if (!parsed.success) throw malformed(reply, what, parsed.error.issues[0]?.message ?? 'unexpected shape');
    return parsed.data as z.infer<T>;
  }

  private failure(reply: HttpReply, doing: string): UploadFailure {
    const { codes, message } = odataError(parseJson(reply.text));
    const reason = `${doing}: HTTP ${reply.status}${codes.length ? ` ${codes.join('/')}` : ''}${message ? ` – ${message}` : ''}`;
    return new UploadFailure(classifyGraph(reply.status, codes, reply.retryAfterMs, reason));
  }
}

function classifyGraph(status: number, codes: readonly string[], retryAfterMs: number | undefined, reason: string): Failure {
  const has = (code: string) => codes.includes(code);
  if (status === 416) return { kind: 'retry', reason }; // the server is elsewhere: ask it and continue from there
  if (status === 404 && (has('itemNotFound') || has('uploadSessionNotFound') || codes.length === 0)) return { kind: 'session-expired', reason };
  if (status === 401 && has('expiredToken')) return { kind: 'session-expired', reason };
  if (status === 400 && (has('fragmentLengthMismatch') || has('uploadSessionFailed'))) return { kind: 'session-expired', reason };
  if (status === 409 && has('nameAlreadyExists')) return { kind: 'fatal', code: 'name-conflict', reason: `${reason} (the destination's conflict policy is "fail")` };
  if (status === 507 || has('quotaLimitReached')) return { kind: 'fatal', code: 'quota', reason: `${reason} (not enough space at the destination)` };
  return classifyStatus(status, retryAfterMs, reason);
}

function hasNextExpected(reply: HttpReply): boolean {
  const body = parseJson(reply.text);
  return typeof body === 'object' && body !== null && Array.isArray((body as Record<string, unknown>).nextExpectedRanges);
}

function malformed(reply: HttpReply, what: string, detail: string): UploadFailure {
  return new UploadFailure({ kind: 'malformed', reason: `the server sent a malformed ${what} (HTTP ${reply.status}: ${detail})` });
}
