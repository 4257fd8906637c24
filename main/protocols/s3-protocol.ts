import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { UploadFailure } from '../domain/failure.js';
import { HoistError } from '../domain/hoist-error.js';
import type { PartRow } from '../store/sessions-repo.js';
import { collectAbandoned, type AbandonedCleanup, type AbandonedUpload } from './s3-abandoned.js';
import { proxyRefused } from './proxy-failures.js';
import { defaultProxyRoutes, type ProxyRoutes } from './proxy-routes.js';
import { agentsPerScheme } from './proxy-scheme-agents.js';
import { StallWatch, pacedPieces } from './stall-watch.js';
import { defaultTransferSettings, type TransferSettings } from './transfer-settings.js';
import { hasS3Code, s3ErrorFacts, s3ServerTarget, toS3Error } from './s3-errors.js';
import { S3_MAX_OBJECT_BYTES, S3_MIN_PART_BYTES, chooseS3PartSizeBytes } from './s3-part-size.js';
import { MalformedListing, firstMissingPart, listAllParts, receivedFromParts, type S3ListedPart, type S3PartReply } from './s3-parts.js';
import type { PartBody, PartOutcome, RemoteItem, ServerState, SessionHandle, UploadProtocol, UploadTarget } from './upload-protocol.js';

export type { AbandonedCleanup, AbandonedUpload } from './s3-abandoned.js';
export type { S3PartReply } from './s3-parts.js';

export interface S3Config {
  /** Custom endpoint (MinIO, s3rver, R2…); absent = AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Prepended as is to the remote path without its leading slash ("backups/" + "/a/b.bin" → "backups/a/b.bin"). */
  prefix?: string;
  /** Path-style URLs (endpoint/bucket/key), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  accessKeyId: string;
  /** Asked on first use only (the SDK keeps it for this client): the secret stays in the secret store until needed. */
  secretAccessKey: () => Promise<string>;
  /** Preferred part size; raised to fit 10,000 parts, never under 5 MiB. Default 16 MiB. */
  partSizeBytes?: number;
  /** Parts of one file in flight at once. Default 4. */
  maxParallelParts?: number;
  /** Send Content-MD5 with every part (the server rejects a part corrupted on the way); buffers each part in memory. */
  sendContentMd5?: boolean;
  /** Which proxy requests take. Default: the app's environment. */
  proxies?: ProxyRoutes;
  /** Bandwidth limit and stall timeout of part bodies. Default: the process's (`useTransferSettings`), read per request. */
  transfer?: TransferSettings;
}

export interface S3ProtocolDeps {
  nowMs?: () => number;
  rand?: () => number;
}

/** Object metadata naming the session, so a completed upload whose reply was lost is recognised as ours. */
const SESSION_METADATA = 'hoist-session';
const CONTENT_TYPE = 'application/octet-stream';
const QUIET_LOGGER = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * S3 multipart upload (protocols.md §5): CreateMultipartUpload → UploadPart `partNumber` = index + 1, in parallel →
 * ListParts (the truth on resume and before completing) → CompleteMultipartUpload → HeadObject. Files under 5 MiB go up
 * in one PutObject. The SDK signs every request and never retries (`maxAttempts: 1`): the scheduler does.
 */
export class S3Protocol implements UploadProtocol {
  readonly provider = 's3' as const;
  readonly addressing = 'indexed' as const;
  readonly maxParallelParts: number;
  /** S3 wants parts of at least 5 MiB but the last, so anything smaller is one PutObject. */
  readonly minSessionBytes = S3_MIN_PART_BYTES;
  readonly verifyHash = 'none' as const;

  private readonly client: S3Client;
  private readonly proxies: ProxyRoutes;
  private readonly nowMs: () => number;
  private readonly rand: () => number;

  constructor(private readonly config: S3Config, deps: S3ProtocolDeps = {}) {
    this.maxParallelParts = Math.max(1, Math.floor(config.maxParallelParts ?? 4));
    this.nowMs = deps.nowMs ?? Date.now;
    this.rand = deps.rand ?? Math.random;
    this.proxies = config.proxies ?? defaultProxyRoutes();
    const agents = agentsPerScheme(this.proxies);
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint || undefined,
      forcePathStyle: config.forcePathStyle,
      maxAttempts: 1,
      credentials: async () => ({ accessKeyId: config.accessKeyId, secretAccessKey: await config.secretAccessKey() }),
      // Checksums only where S3 requires them: the default CRC32 trailer turns bodies into aws-chunked encoding, which
      // many S3-compatible servers store verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // With a proxy in the environment: agents routing each request, and no Expect header (see agentsPerScheme).
      // requestTimeout only warns unless throwOnRequestTimeout: every call sets its own (see answerWithin, streamed).
      requestHandler: { connectionTimeout: 30_000, requestTimeout: 120_000, throwOnRequestTimeout: true, ...agents },
      expectContinueHeader: agents ? false : undefined,
      // The SDK warns on every failed streaming request because it cannot retry it; not retrying is our choice.
      logger: QUIET_LOGGER,
    });
  }

  async createSession(target: UploadTarget, signal: AbortSignal): Promise<SessionHandle> {
    if (target.sizeBytes > S3_MAX_OBJECT_BYTES) {
      throw new UploadFailure({ kind: 'fatal', code: 'file-too-large', reason: `${target.remotePath} is ${target.sizeBytes} bytes; S3 stores objects up to 5 TiB` });
    }
    const key = this.keyFor(target.remotePath);
    const sessionToken = randomBytes(12).toString('hex');
    const created = await this.call('starting the multipart upload', signal, (abortSignal) =>
      this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.config.bucket, Key: key, ContentType: CONTENT_TYPE, Metadata: { [SESSION_METADATA]: sessionToken } }),
        this.answerWithin(abortSignal),
      ),
    );
    if (!created.UploadId) throw malformed('starting the multipart upload', 'no UploadId');
    return {
      sessionUrl: null,
      remoteSessionId: created.UploadId,
      partSizeBytes: chooseS3PartSizeBytes(target.sizeBytes, this.config.partSizeBytes),
      expiresAtMs: null,
      extra: { key, sessionToken },
    };
  }

  async queryServerState(session: SessionHandle, target: UploadTarget, signal: AbortSignal): Promise<ServerState> {
    const { key, uploadId } = this.ids(session);
    const listed = await this.listParts(key, uploadId, signal);
    if (listed === 'gone') {
      // Our CompleteMultipartUpload may have gone through with its reply lost: then the object is there, and ours.
      const item = await this.completedItem(session, target, signal);
      if (item) return { kind: 'completed', item };
      return { kind: 'gone', reason: 'the multipart upload no longer exists on the server (aborted, or completed elsewhere)' };
    }
    const { received, partReplies } = receivedFromParts(listed, session.partSizeBytes, target.sizeBytes);
    return { kind: 'open', received, expiresAtMs: null, partReplies };
  }

  async uploadPart(session: SessionHandle, part: PartBody, _target: UploadTarget, signal: AbortSignal): Promise<PartOutcome> {
    const { key, uploadId } = this.ids(session);
    const partNumber = part.partIndex + 1;
    const doing = `sending part ${partNumber} (bytes ${part.offsetBytes}-${part.offsetBytes + part.sizeBytes - 1})`;
    const sent = await this.streamed(doing, signal, part.data, part.sizeBytes, (Body, abortSignal, ContentMD5) =>
      this.client.send(
        new UploadPartCommand({ Bucket: this.config.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, ContentLength: part.sizeBytes, ContentMD5, Body }),
        { abortSignal, requestTimeout: 0 },
      ),
    );
    if (!sent.ETag) throw malformed(doing, 'no ETag header');
    const reply: S3PartReply = { ETag: sent.ETag, PartNumber: partNumber };
    return { kind: 'stored', reply, expiresAtMs: null };
  }

  /** Completes with the ETags ListParts reports (the server is the truth), after checking every planned part is there. */
  async commit(session: SessionHandle, parts: readonly PartRow[], target: UploadTarget, _local: unknown, signal: AbortSignal): Promise<RemoteItem> {
    const { key, uploadId } = this.ids(session);
    const listed = await this.listParts(key, uploadId, signal);
    if (listed === 'gone') return this.adoptOrExpire(session, target, signal);
    const planned = [...parts].sort((a, b) => a.partIndex - b.partIndex);
    const missing = firstMissingPart(planned, listed);
    if (missing) {
      throw new UploadFailure({ kind: 'retry', reason: `completing the upload: part ${missing.partNumber} is ${missing.detail}; re-checking and sending it again` });
    }
    const Parts = planned.map((p) => ({ PartNumber: p.partIndex + 1, ETag: (listed.get(p.partIndex + 1) as S3ListedPart).eTag }));
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.config.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts } }),
        this.answerWithin(signal),
      );
    } catch (error) {
      if (!signal.aborted && hasS3Code(error, 'NoSuchUpload')) return this.adoptOrExpire(session, target, signal);
      throw this.error(error, 'completing the upload', signal);
    }
    return this.readItem(key, signal);
  }

  async abort(session: SessionHandle, signal: AbortSignal): Promise<void> {
    const { key, uploadId } = this.ids(session);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key: key, UploadId: uploadId }), this.answerWithin(signal));
    } catch (error) {
      if (!signal.aborted && hasS3Code(error, 'NoSuchUpload')) return;
      throw this.error(error, 'aborting the multipart upload', signal);
    }
  }

  /**
   * One PUT, for files under the multipart threshold (5 MiB): held whole, so their MD5 is known first. An object at
   * the key with that MD5 as its ETag (a single PUT's ETag) and the same size is this file already: a PUT whose answer
   * was lost to a reset, a stall or a kill is not sent a second time, and neither is an unchanged file.
   */
  async uploadWhole(target: UploadTarget, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<RemoteItem> {
    const key = this.keyFor(target.remotePath);
    const whole = await readAll(data, target.sizeBytes);
    const md5Hex = createHash('md5').update(whole).digest('hex');
    // Only a check: a HEAD refused or failed (no body, so no error code to tell) leaves the PUT to say what is wrong.
    const existing = await this.head(key, signal).catch(() => undefined);
    if (existing?.ContentLength === target.sizeBytes && existing.ETag?.replaceAll('"', '') === md5Hex) return toRemoteItem(this.config.bucket, key, existing);
    async function* once(): AsyncIterable<Uint8Array> {
      yield whole;
    }
    await this.streamed('uploading the file', signal, once(), target.sizeBytes, (Body, abortSignal, ContentMD5) =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.config.bucket, Key: key, ContentType: CONTENT_TYPE, ContentLength: target.sizeBytes, ContentMD5, Body }),
        { abortSignal, requestTimeout: 0 },
      ),
    );
    return this.readItem(key, signal);
  }

  /** Multipart uploads under the prefix started at least `olderThanMs` ago: cancelled while offline, or left by a crash. */
  async listAbandonedUploads(olderThanMs: number, signal: AbortSignal = AbortSignal.timeout(120_000)): Promise<AbandonedUpload[]> {
    try {
      return await collectAbandoned(async (KeyMarker, UploadIdMarker) => {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.config.bucket, Prefix: this.config.prefix || undefined, KeyMarker, UploadIdMarker }),
          this.answerWithin(signal),
        );
        return {
          uploads: (page.Uploads ?? []).map((u) => ({ key: u.Key, uploadId: u.UploadId, initiatedAtMs: u.Initiated?.getTime() })),
          isTruncated: page.IsTruncated === true,
          nextKeyMarker: page.NextKeyMarker,
          nextUploadIdMarker: page.NextUploadIdMarker,
        };
      }, this.nowMs() - olderThanMs);
    } catch (error) {
      if (error instanceof MalformedListing) throw malformed('listing unfinished uploads', error.message);
      throw this.error(error, 'listing unfinished uploads', signal);
    }
  }

  /**
   * Aborts what `listAbandonedUploads` finds, except the uploads Hoist still resumes (`keepUploadIds`: the remote ids of
   * its open sessions). Every upload under the prefix counts, whoever started it: keep `olderThanMs` generous (days).
   */
  async abortAbandonedUploads(
    olderThanMs: number,
    options: { keepUploadIds?: Iterable<string>; signal?: AbortSignal } = {},
  ): Promise<AbandonedCleanup> {
    const signal = options.signal ?? AbortSignal.timeout(300_000);
    const keep = new Set(options.keepUploadIds ?? []);
    const result: AbandonedCleanup = { aborted: [], failed: [] };
    for (const upload of await this.listAbandonedUploads(olderThanMs, signal)) {
      if (keep.has(upload.uploadId)) continue;
      try {
        await this.abort({ sessionUrl: null, remoteSessionId: upload.uploadId, partSizeBytes: 0, expiresAtMs: null, extra: { key: upload.key } }, signal);
        result.aborted.push(upload);
      } catch (error) {
        if (signal.aborted) throw error;
        result.failed.push({ upload, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return result;
  }

  /** Closes the client's kept-alive connections (the app is quitting, or the destination was removed). */
  destroy(): void {
    this.client.destroy();
  }

  private async listParts(key: string, uploadId: string, signal: AbortSignal): Promise<Map<number, S3ListedPart> | 'gone'> {
    try {
      return await listAllParts(async (PartNumberMarker) => {
        const page = await this.client.send(
          new ListPartsCommand({ Bucket: this.config.bucket, Key: key, UploadId: uploadId, PartNumberMarker }),
          this.answerWithin(signal),
        );
        const parts = (page.Parts ?? []).map((p) => {
          if (p.PartNumber === undefined || p.ETag === undefined || p.Size === undefined) throw new MalformedListing('a part without PartNumber, ETag or Size');
          return { partNumber: p.PartNumber, eTag: p.ETag, sizeBytes: p.Size };
        });
        return { parts, isTruncated: page.IsTruncated === true, nextPartNumberMarker: page.NextPartNumberMarker };
      });
    } catch (error) {
      if (!signal.aborted && hasS3Code(error, 'NoSuchUpload')) return 'gone';
      if (error instanceof MalformedListing) throw malformed('asking the server which parts it holds', error.message);
      throw this.error(error, 'asking the server which parts it holds', signal);
    }
  }

  private async adoptOrExpire(session: SessionHandle, target: UploadTarget, signal: AbortSignal): Promise<RemoteItem> {
    const item = await this.completedItem(session, target, signal);
    if (item) return item;
    throw new UploadFailure({ kind: 'session-expired', reason: 'completing the upload: the multipart upload no longer exists on the server (NoSuchUpload)' });
  }

  /** The object at the key, when it is the one this session completed: our session token in its metadata, our size. */
  private async completedItem(session: SessionHandle, target: UploadTarget, signal: AbortSignal): Promise<RemoteItem | undefined> {
    const token = session.extra.sessionToken;
    if (typeof token !== 'string') return undefined;
    const { key } = this.ids(session);
    const head = await this.head(key, signal);
    if (!head || head.Metadata?.[SESSION_METADATA] !== token || head.ContentLength !== target.sizeBytes) return undefined;
    return toRemoteItem(this.config.bucket, key, head);
  }

  private async readItem(key: string, signal: AbortSignal): Promise<RemoteItem> {
    const head = await this.head(key, signal);
    if (!head) throw new UploadFailure({ kind: 'retry', reason: `the upload finished but ${key} is not visible yet` });
    if (head.ContentLength === undefined) throw malformed('reading the uploaded object', 'no Content-Length');
    return toRemoteItem(this.config.bucket, key, head);
  }

  private async head(key: string, signal: AbortSignal) {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }), this.answerWithin(signal));
    } catch (error) {
      if (!signal.aborted && hasS3Code(error, 'NotFound', 'NoSuchKey')) return undefined;
      throw this.error(error, 'reading the uploaded object', signal);
    }
  }

  /**
   * Sends a request whose body is `data`, streamed (the SDK pipes it; ContentLength gives the length up front) through
   * the bandwidth limit, watched for stalls: no piece taken for the stall timeout (limiter waits excepted) cancels the
   * request as a `retry`. The SDK's own signing, ETag and error handling are untouched. When reading the file fails
   * mid-request, the request is cancelled and the file's error (file changed, unreadable) thrown.
   */
  private async streamed<T>(
    doing: string,
    signal: AbortSignal,
    data: AsyncIterable<Uint8Array>,
    sizeBytes: number,
    send: (body: Readable, abortSignal: AbortSignal, contentMd5: string | undefined) => Promise<T>,
  ): Promise<T> {
    let source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = data;
    let contentMd5: string | undefined;
    if (this.config.sendContentMd5) {
      const whole = await readAll(data, sizeBytes);
      contentMd5 = createHash('md5').update(whole).digest('base64');
      source = [whole];
    }
    const transfer = this.config.transfer ?? defaultTransferSettings();
    const controller = new AbortController();
    const stop = () => controller.abort(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    let stalled: UploadFailure | undefined;
    const watch = new StallWatch(transfer.stallTimeoutMs, () => {
      const where = this.config.endpoint ? hostOf(this.config.endpoint) : `AWS S3 (${this.config.region})`;
      stalled = new UploadFailure({ kind: 'retry', reason: `${doing}: no data moved for ${transfer.stallTimeoutMs / 1000} s (stalled) talking to ${where}`, network: s3ServerTarget(this.config) });
      controller.abort(stalled);
    });
    const body = Readable.from(pacedPieces(source, transfer.pacer, controller.signal, watch), { objectMode: false });
    let sourceError: unknown;
    body.once('error', (error) => {
      sourceError = error;
      controller.abort(error);
    });
    try {
      return await send(body, controller.signal, contentMd5);
    } catch (error) {
      if (stalled && !signal.aborted) throw stalled;
      if (sourceError !== undefined && !signal.aborted) throw sourceError;
      throw this.error(error, doing, signal);
    } finally {
      watch.stop();
      signal.removeEventListener('abort', stop);
      body.destroy();
    }
  }

  /**
   * Options for a call without a file body (create, list, complete, abort, head): it must answer within the stall
   * timeout. The SDK's own timer only warns by default, and a server that takes the request and never answers would
   * hold the upload forever. A Complete cut short is safe: the retry lists the parts, finds the upload gone and adopts
   * the object if it was completed meanwhile.
   */
  private answerWithin(abortSignal: AbortSignal): { abortSignal: AbortSignal; requestTimeout: number } {
    return { abortSignal, requestTimeout: (this.config.transfer ?? defaultTransferSettings()).stallTimeoutMs };
  }

  private async call<T>(doing: string, signal: AbortSignal, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await run(signal);
    } catch (error) {
      throw this.error(error, doing, signal);
    }
  }

  private error(error: unknown, doing: string, signal: AbortSignal): unknown {
    // Refused CONNECTs arrive classified from the agent; a forwarding proxy (plain-http endpoint) answers 407 itself.
    const proxyHost = this.config.endpoint && this.proxies.proxyHostFor(this.config.endpoint);
    if (proxyHost && !signal.aborted && s3ErrorFacts(error, 0).status === 407) return proxyRefused(proxyHost, 407);
    const where = this.config.endpoint ? hostOf(this.config.endpoint) : `AWS S3 (${this.config.region})`;
    if (!signal.aborted && error instanceof Error && error.name === 'TimeoutError' && (error as { code?: string }).code === 'ETIMEDOUT') {
      const seconds = (this.config.transfer ?? defaultTransferSettings()).stallTimeoutMs / 1000;
      return new UploadFailure({ kind: 'retry', reason: `${doing}: no answer for ${seconds} s (stalled) talking to ${where}`, network: s3ServerTarget(this.config) });
    }
    return toS3Error(error, signal, { doing, bucket: this.config.bucket, where, target: s3ServerTarget(this.config), rand: this.rand }, this.nowMs());
  }

  private keyFor(remotePath: string): string {
    const key = (this.config.prefix ?? '') + remotePath.replace(/^\/+/, '');
    if (!this.config.bucket) throw new HoistError('invalid-argument', 'The S3 destination has no bucket; add one to its settings.');
    if (key === '' || key.endsWith('/')) throw new HoistError('invalid-argument', `"${remotePath}" does not name a file (S3 key "${key}").`);
    return key;
  }

  private ids(session: SessionHandle): { key: string; uploadId: string } {
    const key = session.extra.key;
    if (typeof key !== 'string' || !session.remoteSessionId) {
      throw new UploadFailure({ kind: 'session-expired', reason: 'the stored S3 session has no key or upload id' });
    }
    return { key, uploadId: session.remoteSessionId };
  }
}

function toRemoteItem(bucket: string, key: string, head: { ContentLength?: number; ETag?: string; VersionId?: string; LastModified?: Date }): RemoteItem {
  return {
    id: key,
    name: posix.basename(key),
    sizeBytes: head.ContentLength ?? -1,
    hashes: {},
    raw: { bucket, key, eTag: head.ETag, versionId: head.VersionId, lastModifiedMs: head.LastModified?.getTime() },
  };
}

async function readAll(data: AsyncIterable<Uint8Array>, sizeBytes: number): Promise<Buffer> {
  const body = Buffer.allocUnsafe(sizeBytes);
  let filled = 0;
  for await (const chunk of data) {
    if (filled + chunk.length > sizeBytes) throw new HoistError('file-changed', 'the file grew while a part was read');
    body.set(chunk, filled);
    filled += chunk.length;
  }
  if (filled !== sizeBytes) throw new HoistError('file-changed', 'the file shrank while a part was read');
  return body;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'the S3 endpoint';
  }
}

function malformed(doing: string, detail: string): UploadFailure {
  return new UploadFailure({ kind: 'malformed', reason: `${doing}: the server sent a malformed reply (${detail})` });
}
