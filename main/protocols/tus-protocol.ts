import { posix } from 'node:path';
import { UploadFailure, classifyStatus, type Failure } from '../domain/failure.js';
import { HoistError } from '../domain/hoist-error.js';
import type { FragmentRules } from '../domain/fragment-size.js';
import { httpRequest, type HttpReply, type HttpRequestInit } from './http.js';
import type { ProxyRoutes } from './proxy-routes.js';
import {
  CORE_ONLY,
  TUS_VERSION,
  bodyExcerpt,
  encodeMetadata,
  headerValue,
  parseCapabilities,
  parseExpires,
  parseNonNegativeInteger,
  type TusCapabilities,
} from './tus-headers.js';
import { bufferWithSha1 } from './tus-part-body.js';
import type { PartBody, PartOutcome, RemoteItem, ServerState, SessionHandle, UploadProtocol, UploadTarget } from './upload-protocol.js';

export interface TusConfig {
  /** The creation endpoint, e.g. http://127.0.0.1:1080/files/ (tusd, @tus/server, `hoist receive`). */
  endpoint: string;
  /** Sent with every request, e.g. Authorization for a self-hosted tusd behind auth. */
  headers?: Record<string, string>;
  /**
   * Bytes per PATCH as the user set them. Absent: Hoist sizes them to the link, from TUS_DEFAULT_CHUNK_BYTES when
   * streaming or TUS_CHECKSUM_CHUNK_BYTES when checksumming.
   */
  chunkSizeBytes?: number;
  /** Which proxy requests take. Default: the app's environment; `ProxyRoutes.direct` for Hoist's own receiver. */
  proxies?: ProxyRoutes;
}

/**
 * Streamed PATCH bodies cost no memory, so a part can be large. Every PATCH costs a round trip in which nothing is sent
 * (on a 50 ms link at 100 MB/s: 7 % of a 64 MiB part, 38 % of an 8 MiB one), plus per-request work in the engine and the
 * server: against @tus/server on loopback 64 MiB parts moved 1 GiB ~1.6x faster than 8 MiB parts with ~1.2 s less client
 * and ~0.7 s less server CPU; 256 MiB gained nothing more. A server that keeps what it received of an interrupted PATCH
 * (tusd, @tus/server) loses nothing to the larger size; one that discards it re-receives at most one part.
 */
export const TUS_DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
/** With `Upload-Checksum` a part is hashed before it is sent, so it is held in memory: keep it modest. */
export const TUS_CHECKSUM_CHUNK_BYTES = 8 * 1024 * 1024;

/** PATCH sizes Hoist chooses: whole MiB; a checksummed part is held in memory, so it stays smaller. */
const TUS_STREAMED_RULES: FragmentRules = { multipleBytes: 1024 * 1024, minBytes: 4 * 1024 * 1024, maxBytes: 256 * 1024 * 1024 };
const TUS_CHECKSUMMED_RULES: FragmentRules = { multipleBytes: 1024 * 1024, minBytes: 1024 * 1024, maxBytes: 32 * 1024 * 1024 };

const OPTIONS_TIMEOUT_MS = 30_000;
const OPTIONS: HttpRequestInit['method'] = 'OPTIONS';

/**
 * tus 1.0 (core + creation, termination, expiration, checksum). Offset addressed with one writer; the upload completes
 * on its last byte, so there is no commit request. Never retries on its own: failures are classified for the scheduler.
 */
export class TusProtocol implements UploadProtocol {
  readonly provider = 'tus' as const;
  readonly addressing = 'offset' as const;
  readonly maxParallelParts = 1;
  /** Upload-Length: 0 is complete at creation, so empty files go through uploadWhole (no PATCH). */
  readonly minSessionBytes = 1;
  /** tus reports no content hash; the engine checks the size, Upload-Checksum guards each part when offered. */
  readonly verifyHash = 'none' as const;

  private capabilities: Promise<TusCapabilities> | undefined;
  private readonly extraHeaders: Record<string, string>;

  constructor(private readonly config: TusConfig) {
    const chunk = config.chunkSizeBytes;
    if (chunk !== undefined && !(Number.isSafeInteger(chunk) && chunk > 0)) {
      throw new HoistError('invalid-argument', `tus chunk size must be a positive whole number of bytes, got ${chunk}`);
    }
    this.extraHeaders = Object.fromEntries(Object.entries(config.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  }

  async createSession(target: UploadTarget, signal: AbortSignal): Promise<SessionHandle> {
    const caps = await this.learn(signal);
    const { url, expiresAtMs } = await this.create(target, caps, signal);
    const checksum = usesChecksum(caps);
    return {
      sessionUrl: url,
      remoteSessionId: null,
      partSizeBytes: this.config.chunkSizeBytes ?? (checksum ? TUS_CHECKSUM_CHUNK_BYTES : TUS_DEFAULT_CHUNK_BYTES),
      expiresAtMs,
      extra: checksum ? { isChecksummed: true } : {},
    };
  }

  /** Without a configured size, PATCHes follow the link (smaller bounds when each one is checksummed in memory). */
  fragmentRules(session: SessionHandle): FragmentRules | undefined {
    if (this.config.chunkSizeBytes !== undefined) return undefined;
    return session.extra.isChecksummed === true ? TUS_CHECKSUMMED_RULES : TUS_STREAMED_RULES;
  }

  async queryServerState(session: SessionHandle, target: UploadTarget, signal: AbortSignal): Promise<ServerState> {
    const reply = await httpRequest(this.uploadUrl(session), { method: 'HEAD', headers: this.headers(), signal, proxies: this.config.proxies });
    const offset = parseNonNegativeInteger(headerValue(reply.headers, 'upload-offset'));
    if (reply.status === 404 || reply.status === 410 || (reply.status === 403 && offset === undefined)) {
      return { kind: 'gone', reason: `the tus server no longer has the upload (HTTP ${reply.status}; expired, terminated or lost)` };
    }
    if (reply.status !== 200 && reply.status !== 204) throw this.failure(reply, 'asking the tus server how much it has');
    if (offset === undefined) throw malformed(reply, 'HEAD reply', 'no Upload-Offset');
    const length = parseNonNegativeInteger(headerValue(reply.headers, 'upload-length'));
    if ((length !== undefined && length !== target.sizeBytes) || offset > target.sizeBytes) {
      return { kind: 'gone', reason: `the tus server's upload is for ${length ?? offset} bytes, not ${target.sizeBytes}` };
    }
    // A complete upload is reported as all bytes held (not 'completed'): the engine then marks every part done and
    // calls commit(), which confirms with another HEAD — the path for a final PATCH whose reply was lost.
    const received = offset > 0 ? [{ startBytes: 0, endBytes: offset }] : [];
    return { kind: 'open', received, expiresAtMs: parseExpires(reply.headers) };
  }

  async uploadPart(session: SessionHandle, part: PartBody, target: UploadTarget, signal: AbortSignal): Promise<PartOutcome> {
    const url = this.uploadUrl(session);
    const caps = await this.learn(signal);
    const headers: Record<string, string> = {
      ...this.headers(),
      'content-type': 'application/offset+octet-stream',
      'content-length': String(part.sizeBytes),
      'upload-offset': String(part.offsetBytes),
    };
    let body = part.data;
    if (usesChecksum(caps)) {
      const buffered = await bufferWithSha1(part.data, part.sizeBytes);
      headers['upload-checksum'] = `sha1 ${buffered.sha1Base64}`;
      body = buffered.body();
    }
    const end = part.offsetBytes + part.sizeBytes;
    const doing = `sending bytes ${part.offsetBytes}-${end - 1}`;
    const reply = await httpRequest(url, { method: 'PATCH', headers, body, signal, proxies: this.config.proxies });
    if (reply.status !== 204 && reply.status !== 200) throw this.failure(reply, doing);
    const offset = parseNonNegativeInteger(headerValue(reply.headers, 'upload-offset'));
    if (offset === undefined) throw malformed(reply, 'PATCH reply', 'no Upload-Offset');
    if (offset !== end) {
      // The server kept a different amount (part of an earlier, interrupted PATCH; a proxy cut the body): re-sync by HEAD.
      throw new UploadFailure({ kind: 'retry', reason: `${doing}: the tus server is at byte ${offset}, not ${end}` });
    }
    if (offset === target.sizeBytes) return { kind: 'completed', item: itemOf(url, target) };
    return { kind: 'stored', reply: { uploadOffset: offset }, expiresAtMs: parseExpires(reply.headers) };
  }

  /** The last PATCH completes a tus upload; commit runs only when its reply was lost: confirm with HEAD. */
  async commit(session: SessionHandle, _parts: unknown, target: UploadTarget, _local: unknown, signal: AbortSignal): Promise<RemoteItem> {
    const state = await this.queryServerState(session, target, signal);
    if (state.kind === 'gone') throw new UploadFailure({ kind: 'session-expired', reason: state.reason });
    const held = state.kind === 'open' ? (state.received[0]?.endBytes ?? 0) : target.sizeBytes;
    if (held !== target.sizeBytes) {
      throw new UploadFailure({ kind: 'retry', reason: `the tus server holds ${held} of ${target.sizeBytes} bytes; sending the rest` });
    }
    return itemOf(this.uploadUrl(session), target);
  }

  async abort(session: SessionHandle, signal: AbortSignal): Promise<void> {
    // Without the termination extension there is nothing to ask: the server expires the upload on its own.
    if (!(await this.learn(signal)).extensions.has('termination')) return;
    const reply = await httpRequest(this.uploadUrl(session), { method: 'DELETE', headers: this.headers(), signal, proxies: this.config.proxies });
    if (reply.status !== 204 && reply.status !== 200 && reply.status !== 404 && reply.status !== 410) {
      throw this.failure(reply, 'terminating the upload');
    }
  }

  async uploadWhole(target: UploadTarget, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<RemoteItem> {
    const caps = await this.learn(signal);
    const { url } = await this.create(target, caps, signal);
    if (target.sizeBytes === 0) return itemOf(url, target); // Upload-Length: 0 is complete at creation
    const outcome = await this.uploadPart(
      { sessionUrl: url, remoteSessionId: null, partSizeBytes: target.sizeBytes, expiresAtMs: null, extra: {} },
      { partIndex: 0, offsetBytes: 0, sizeBytes: target.sizeBytes, data },
      target,
      signal,
    );
    if (outcome.kind !== 'completed') throw new UploadFailure({ kind: 'retry', reason: 'the tus server did not complete the upload' });
    return outcome.item;
  }

  private async create(target: UploadTarget, caps: TusCapabilities, signal: AbortSignal): Promise<{ url: string; expiresAtMs: number | null }> {
    if (caps.versions.length > 0 && !caps.versions.includes(TUS_VERSION)) {
      throw new UploadFailure({ kind: 'fatal', code: 'tus-version', reason: `the server speaks tus ${caps.versions.join(', ')}, not ${TUS_VERSION}` });
    }
    if (caps.maxSizeBytes !== null && target.sizeBytes > caps.maxSizeBytes) throw tooLarge(target.sizeBytes, caps.maxSizeBytes);
    const reply = await httpRequest(this.config.endpoint, {
      method: 'POST',
      headers: { ...this.headers(), 'upload-length': String(target.sizeBytes), 'upload-metadata': metadataOf(target) },
      signal,
      proxies: this.config.proxies,
    });
    if (reply.status !== 201) throw this.failure(reply, 'creating the upload', 'create');
    const location = headerValue(reply.headers, 'location');
    if (!location) throw malformed(reply, 'creation reply', 'no Location');
    let url: string;
    try {
      url = new URL(location, this.config.endpoint).href;
    } catch {
      throw malformed(reply, 'creation reply', 'unreadable Location');
    }
    return { url, expiresAtMs: parseExpires(reply.headers) };
  }

  /** OPTIONS once per adapter; shared by concurrent callers, each of which still stops on its own signal. */
  private learn(signal: AbortSignal): Promise<TusCapabilities> {
    this.capabilities ??= this.askOptions();
    return untilAborted(this.capabilities, signal);
  }

  private async askOptions(): Promise<TusCapabilities> {
    try {
      // Its own timeout, not a caller's signal: one job pausing must not fail another job waiting on the same answer.
      const reply = await httpRequest(this.config.endpoint, {
        method: OPTIONS,
        headers: this.extraHeaders,
        signal: AbortSignal.timeout(OPTIONS_TIMEOUT_MS),
        proxies: this.config.proxies,
      });
      return reply.status === 200 || reply.status === 204 ? parseCapabilities(reply.headers) : CORE_ONLY;
    } catch {
      this.capabilities = undefined; // unreachable now: assume core for this call, ask again next time
      return CORE_ONLY;
    }
  }

  private headers(): Record<string, string> {
    return { ...this.extraHeaders, 'tus-resumable': TUS_VERSION };
  }

  private uploadUrl(session: SessionHandle): string {
    if (!session.sessionUrl) throw new UploadFailure({ kind: 'session-expired', reason: 'the session has no upload URL' });
    return session.sessionUrl;
  }

  private failure(reply: HttpReply, doing: string, op: 'create' | 'upload' = 'upload'): UploadFailure {
    const excerpt = bodyExcerpt(reply.text);
    const reason = `${doing}: HTTP ${reply.status}${excerpt ? ` – ${excerpt}` : ''}`;
    return new UploadFailure(classifyTus(reply, op, reason));
  }
}

function classifyTus(reply: HttpReply, op: 'create' | 'upload', reason: string): Failure {
  switch (reply.status) {
    case 409: // Upload-Offset is not where the server is: ask it (HEAD) and continue from there
    case 460: // checksum mismatch: the server discarded the chunk, send it again
      return { kind: 'retry', reason };
    case 403:
      // On an upload URL 403 may mean the upload expired (tus lists it with 404/410): the HEAD that follows the retry
      // tells a gone upload from refused credentials. On creation it can only be the credentials.
      return op === 'create' ? classifyStatus(403, reply.retryAfterMs, reason) : { kind: 'retry', reason };
    case 404:
    case 410:
      return { kind: 'session-expired', reason };
    case 412:
      return { kind: 'fatal', code: 'tus-version', reason: `${reason} (the server does not speak tus ${TUS_VERSION}; it offers ${headerValue(reply.headers, 'tus-version') ?? 'no version'})` };
    case 413:
      return { kind: 'fatal', code: 'file-too-large', reason: `${reason} (the file is larger than the server accepts)` };
    default:
      return classifyStatus(reply.status, reply.retryAfterMs, reason);
  }
}

function usesChecksum(caps: TusCapabilities): boolean {
  return caps.extensions.has('checksum') && caps.checksumAlgorithms.includes('sha1');
}

function metadataOf(target: UploadTarget): string {
  const relativePath = target.remotePath.replace(/^\/+/, '');
  return encodeMetadata({ filename: posix.basename(relativePath), relativePath, filetype: 'application/octet-stream' });
}

function itemOf(url: string, target: UploadTarget): RemoteItem {
  return { id: url, name: posix.basename(target.remotePath), sizeBytes: target.sizeBytes, hashes: {}, raw: { uploadUrl: url } };
}

function tooLarge(sizeBytes: number, maxBytes: number): UploadFailure {
  return new UploadFailure({
    kind: 'fatal',
    code: 'file-too-large',
    reason: `the file is ${sizeBytes.toLocaleString('en-US')} bytes, larger than the ${maxBytes.toLocaleString('en-US')} bytes this tus server accepts (Tus-Max-Size)`,
  });
}

function malformed(reply: HttpReply, what: string, detail: string): UploadFailure {
  return new UploadFailure({ kind: 'malformed', reason: `the tus server sent a malformed ${what} (HTTP ${reply.status}: ${detail})` });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
