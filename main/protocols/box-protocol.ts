import { createHash } from 'node:crypto';
import { UploadFailure } from '../domain/failure.js';
import type { PartRow } from '../store/sessions-repo.js';
import { httpRequest, type HttpReply, type HttpRequestInit } from './http.js';
import { listAllParts, postCommit, type BoxSleep } from './box-commit.js';
import { sleepUnlessAborted } from './abortable-sleep.js';
import { createBoxSession, conflictingFileId, createFailure, MAX_RENAMES, noFreeName, splitRemotePath, type BoxConflictPolicy, type BoxCreateDeps } from './box-create.js';
import { boxErrorOf, boxFailure, isNameInUse, numberedName, skippedFailure } from './box-errors.js';
import { BoxFolders } from './box-folders.js';
import { multipartUpload } from './box-multipart.js';
import {
  boxTimestamp,
  fileSchema,
  filesSchema,
  malformed,
  parseExpiry,
  parseReply,
  sessionExtra,
  toRemoteItem,
  uploadSessionSchema,
  uploadedPartSchema,
  type BoxSessionExtra,
} from './box-replies.js';
import type { LocalFileDigests, PartBody, PartOutcome, RemoteItem, ServerState, SessionHandle, UploadProtocol, UploadTarget } from './upload-protocol.js';

export type { BoxConflictPolicy } from './box-create.js';

export interface BoxConfig {
  /** Where sessions are created and plain uploads go; default https://upload.box.com/api/2.0. */
  uploadEndpoint: string;
  /** Folder and file metadata calls; default https://api.box.com/2.0. */
  apiEndpoint: string;
  /** The destination's root folder; default '0' ("All Files"). */
  folderId: string;
  /** When the name is taken: upload a new version of that file (default), pick "name (n).ext", or skip the file. */
  conflictPolicy: BoxConflictPolicy;
  accessToken: () => Promise<string>;
  /** Default 4 (Box recommends 3–5 parts in flight). */
  maxParallelParts?: number;
  /** Waits between commit polls; tests inject a fast one. Must reject with the signal's reason when it aborts. */
  sleep?: BoxSleep;
}

/** Box's chunked minimum is "20MB"; the decimal reading is the safe one. */
export const BOX_MIN_SESSION_BYTES = 20_000_000;

type WholeResolution = { kind: 'version'; fileId: string } | { kind: 'rename'; name: string };

/**
 * Box chunked uploads (Upload Sessions API, protocols.md §1). After creation only the returned `session_endpoints`
 * are used; parts are exactly the server's `part_size`; every call carries the bearer token.
 */
export class BoxProtocol implements UploadProtocol {
  readonly provider = 'box' as const;
  readonly addressing = 'indexed' as const;
  readonly maxParallelParts: number;
  readonly minSessionBytes = BOX_MIN_SESSION_BYTES;
  readonly verifyHash = 'sha1' as const;
  readonly sha1Digests = true;

  private readonly uploadBase: string;
  private readonly apiBase: string;
  private readonly folders: BoxFolders;
  private readonly createDeps: BoxCreateDeps;
  private readonly sleep: BoxSleep;
  private readonly send = (url: string, init: HttpRequestInit) => this.authorized(url, init);
  /** Small files whose name was taken: how the next attempt sends them (the body stream is single-use). */
  private readonly wholeResolutions = new Map<string, WholeResolution>();
  /** Sessions whose commit was sent but not understood: session id → whole-file SHA-1 (hex) it carried. */
  private readonly unconfirmedCommits = new Map<string, string>();

  constructor(private readonly config: BoxConfig) {
    this.maxParallelParts = Math.max(1, config.maxParallelParts ?? 4);
    this.uploadBase = config.uploadEndpoint.replace(/\/+$/, '');
    this.apiBase = config.apiEndpoint.replace(/\/+$/, '');
    const rootFolderId = config.folderId || '0';
    this.folders = new BoxFolders(this.send, this.apiBase, rootFolderId);
    this.sleep = config.sleep ?? sleepUnlessAborted;
    this.createDeps = { send: this.send, uploadBase: this.uploadBase, folders: this.folders, policy: config.conflictPolicy, rootFolderId };
  }

  /** The folder id for a remote folder path ("/" = the configured folder), creating missing folders. */
  ensureFolderPath(path: string, signal: AbortSignal = new AbortController().signal): Promise<string> {
    return this.folders.ensure(path, signal);
  }

  createSession(target: UploadTarget, signal: AbortSignal): Promise<SessionHandle> {
    return createBoxSession(this.createDeps, target, signal);
  }

  async queryServerState(session: SessionHandle, target: UploadTarget, signal: AbortSignal, local?: LocalFileDigests): Promise<ServerState> {
    const extra = sessionExtra(session);
    const status = await this.send(extra.endpoints.status, { method: 'GET', signal });
    if (status.status === 404 || status.status === 410) return this.goneOrCommitted(session, extra, target, describeGone(status), signal, local);
    if (status.status !== 200) throw boxFailure(status, 'asking Box about the upload session', 'session');
    const described = parseReply(status, uploadSessionSchema, 'upload session status');
    const parts = await listAllParts(this.send, extra.endpoints.list_parts, signal);
    if (parts === 'gone') return this.goneOrCommitted(session, extra, target, 'the Box upload session is gone', signal, local);
    for (const part of parts) {
      const isAligned = part.offset % session.partSizeBytes === 0 && part.offset + part.size <= target.sizeBytes;
      if (!isAligned) throw malformed(status, 'part list', `part at offset ${part.offset} (${part.size} bytes) does not fit the session`);
    }
    return {
      kind: 'open',
      received: parts.map((p) => ({ startBytes: p.offset, endBytes: p.offset + p.size })),
      expiresAtMs: parseExpiry(described.session_expires_at),
      partReplies: new Map(parts.map((p) => [p.offset, p])),
    };
  }

  async uploadPart(session: SessionHandle, part: PartBody, target: UploadTarget, signal: AbortSignal): Promise<PartOutcome> {
    const { endpoints } = sessionExtra(session);
    // Digest goes in a header before the body: without the engine's digest the part (≤ part_size) is read into memory first.
    const bytes = part.sha1Base64 === undefined ? await readPart(part) : undefined;
    const sha1Base64 = part.sha1Base64 ?? createHash('sha1').update(bytes!).digest('base64');
    const last = part.offsetBytes + part.sizeBytes - 1;
    const reply = await this.send(endpoints.upload_part, {
      method: 'PUT',
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(part.sizeBytes),
        'content-range': `bytes ${part.offsetBytes}-${last}/${target.sizeBytes}`,
        digest: `sha=${sha1Base64}`,
      },
      body: bytes ?? part.data,
      signal,
    });
    if (reply.status !== 200 && reply.status !== 201) throw boxFailure(reply, `sending bytes ${part.offsetBytes}-${last}`, 'part');
    const stored = parseReply(reply, uploadedPartSchema, 'upload part reply').part;
    if (stored.offset !== part.offsetBytes || stored.size !== part.sizeBytes) {
      throw malformed(reply, 'upload part reply', `Box recorded offset ${stored.offset} (${stored.size} bytes)`);
    }
    return { kind: 'stored', reply: stored, expiresAtMs: null };
  }

  async commit(session: SessionHandle, parts: readonly PartRow[], target: UploadTarget, local: LocalFileDigests, signal: AbortSignal): Promise<RemoteItem> {
    const extra = sessionExtra(session);
    const sha1Base64 = await local.sha1Base64();
    if (session.remoteSessionId) this.unconfirmedCommits.set(session.remoteSessionId, Buffer.from(sha1Base64, 'base64').toString('hex'));
    let reply: HttpReply;
    try {
      reply = await postCommit({ send: this.send, sleep: this.sleep }, extra, parts, target, sha1Base64, signal);
    } catch (error) {
      // Listing the parts for the commit found the session gone: perhaps consumed by our own earlier commit.
      if (!(error instanceof UploadFailure && error.failure.kind === 'session-expired')) throw error;
      const state = await this.goneOrCommitted(session, extra, target, error.failure.reason, signal, local);
      if (state.kind === 'completed') return state.item;
      throw error;
    }
    if (reply.status === 201 || reply.status === 200) {
      const item = toRemoteItem(parseReply(reply, filesSchema, 'commit reply').entries[0]!);
      if (session.remoteSessionId) this.unconfirmedCommits.delete(session.remoteSessionId);
      return item;
    }
    if (isNameInUse(reply)) {
      // The name was taken after the session was created; a session cannot change its target, so replace it.
      await this.abort(session, signal).catch(() => undefined);
      if (this.config.conflictPolicy === 'skip') throw skippedFailure(target.remotePath);
      const how = this.config.conflictPolicy === 'version' ? 'as a new version of it' : 'under a free name';
      throw new UploadFailure({ kind: 'session-expired', reason: `"${target.remotePath}" appeared at the destination during the upload; uploading again ${how}` });
    }
    if (reply.status === 400 && boxErrorOf(reply).code === 'digest_mismatch') await this.abort(session, signal).catch(() => undefined);
    if (reply.status === 404 || reply.status === 410) {
      // An earlier commit of this session whose answer never came (given up as stalled, or cut by a reset) may have
      // consumed it: the file with our SHA-1 at the target means done, not a new upload of the same bytes.
      const state = await this.goneOrCommitted(session, extra, target, describeGone(reply), signal, local);
      if (state.kind === 'completed') return state.item;
    }
    throw boxFailure(reply, 'committing the upload', 'commit');
  }

  async abort(session: SessionHandle, signal: AbortSignal): Promise<void> {
    const extra = sessionExtra(session);
    const reply = await this.send(extra.endpoints.abort, { method: 'DELETE', signal });
    if (reply.status === 204 || reply.status === 200 || reply.status === 404 || reply.status === 410) return;
    throw boxFailure(reply, 'discarding the upload session', 'session');
  }

  async uploadWhole(target: UploadTarget, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<RemoteItem> {
    const { folderPath, name } = splitRemotePath(target.remotePath);
    const folderId = await this.folders.ensure(folderPath, signal);
    const resolution = this.wholeResolutions.get(target.remotePath);
    const modifiedAt = boxTimestamp(target.mtimeMs);
    const dates = modifiedAt ? { content_modified_at: modifiedAt } : {};
    const isVersion = resolution?.kind === 'version';
    const url = isVersion ? `${this.uploadBase}/files/${encodeURIComponent(resolution.fileId)}/content` : `${this.uploadBase}/files/content`;
    const sentName = resolution?.kind === 'rename' ? resolution.name : name;
    const attributes = isVersion ? dates : { name: sentName, parent: { id: folderId }, ...dates };
    const multipart = multipartUpload(attributes, sentName, data, target.sizeBytes);
    const reply = await this.send(url, {
      method: 'POST',
      headers: { 'content-type': multipart.contentType, 'content-length': String(multipart.contentLength) },
      body: multipart.body,
      signal,
    });
    if (reply.status === 201 || reply.status === 200) {
      this.wholeResolutions.delete(target.remotePath);
      return toRemoteItem(parseReply(reply, filesSchema, 'upload reply').entries[0]!);
    }
    if (isNameInUse(reply)) throw await this.resolveWholeConflict(reply, target, folderId, name, signal);
    if (reply.status === 404 && resolution) {
      this.wholeResolutions.delete(target.remotePath);
      throw new UploadFailure({ kind: 'retry', reason: `the existing "${target.remotePath}" disappeared; uploading it again` });
    }
    throw createFailure(this.createDeps, reply, folderPath, 'upload');
  }

  /**
   * The body of a small file is gone once sent, so a taken name is resolved for the next attempt (the scheduler
   * retries): a new version of the existing file, or the first free "name (n).ext".
   */
  private async resolveWholeConflict(reply: HttpReply, target: UploadTarget, folderId: string, name: string, signal: AbortSignal): Promise<UploadFailure> {
    switch (this.config.conflictPolicy) {
      case 'skip':
        return skippedFailure(target.remotePath);
      case 'version': {
        const fileId = conflictingFileId(reply, target.remotePath, name);
        this.wholeResolutions.set(target.remotePath, { kind: 'version', fileId });
        return new UploadFailure({ kind: 'retry', reason: `"${target.remotePath}" already exists; sending it again as a new version` });
      }
      case 'rename': {
        const taken = await this.folders.childNames(folderId, signal);
        for (let n = 1; n <= MAX_RENAMES; n++) {
          const candidate = numberedName(name, n);
          if (taken.has(candidate)) continue;
          this.wholeResolutions.set(target.remotePath, { kind: 'rename', name: candidate });
          return new UploadFailure({ kind: 'retry', reason: `"${target.remotePath}" already exists; sending it again as "${candidate}"` });
        }
        return noFreeName(target.remotePath);
      }
    }
  }

  /**
   * A session Box no longer knows may have been consumed by our own commit whose answer was lost. If the file now at
   * the destination has exactly the SHA-1 that commit carried, the upload is complete. After a kill this process never
   * sent that commit, so the local file's SHA-1 stands in for it (hashed only when a file of the right size is there).
   */
  private async goneOrCommitted(
    session: SessionHandle,
    extra: BoxSessionExtra,
    target: UploadTarget,
    reason: string,
    signal: AbortSignal,
    local: LocalFileDigests | undefined,
  ): Promise<ServerState> {
    const sentSha1Hex = session.remoteSessionId ? this.unconfirmedCommits.get(session.remoteSessionId) : undefined;
    if (sentSha1Hex === undefined && local === undefined) return { kind: 'gone', reason };
    const fileId = extra.fileId ?? (await this.folders.findChild(extra.folderId, extra.fileName, signal))?.id;
    if (fileId === undefined) return { kind: 'gone', reason };
    const reply = await this.send(`${this.apiBase}/files/${encodeURIComponent(fileId)}`, { method: 'GET', signal });
    if (reply.status === 404) return { kind: 'gone', reason };
    if (reply.status !== 200) throw boxFailure(reply, 'reading the uploaded file', 'api');
    const file = parseReply(reply, fileSchema, 'file');
    if (file.size !== target.sizeBytes) return { kind: 'gone', reason };
    const sha1Hex = sentSha1Hex ?? Buffer.from(await local!.sha1Base64(), 'base64').toString('hex');
    if (file.sha1?.toLowerCase() !== sha1Hex) return { kind: 'gone', reason };
    this.unconfirmedCommits.delete(session.remoteSessionId!);
    return { kind: 'completed', item: toRemoteItem(file) };
  }

  private async authorized(url: string, init: HttpRequestInit): Promise<HttpReply> {
    const token = await this.config.accessToken();
    return httpRequest(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
  }
}

/** Reads the part into one buffer of exactly its size; a file that grew or shrank is caught here. */
async function readPart(part: PartBody): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(part.sizeBytes);
  let filled = 0;
  for await (const chunk of part.data) {
    if (filled + chunk.length > part.sizeBytes) throw new UploadFailure({ kind: 'retry', reason: 'the file grew while a part was being read' });
    buffer.set(chunk, filled);
    filled += chunk.length;
  }
  if (filled !== part.sizeBytes) throw new UploadFailure({ kind: 'retry', reason: 'the file shrank while a part was being read' });
  return buffer;
}

function describeGone(reply: HttpReply): string {
  const code = boxErrorOf(reply).code;
  if (code === 'session_expired') return 'the Box upload session expired';
  if (code === 'upload_failed') return 'Box put the upload session in an unrecoverable state';
  return `the Box upload session is gone (HTTP ${reply.status})`;
}
