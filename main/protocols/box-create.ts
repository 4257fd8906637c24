import { posix } from 'node:path';
import { UploadFailure } from '../domain/failure.js';
import type { HttpReply } from './http.js';
import { boxErrorOf, boxFailure, conflictOfType, isNameInUse, numberedName, skippedFailure } from './box-errors.js';
import type { BoxFolders, BoxSend } from './box-folders.js';
import { malformed, parseReply, toSessionHandle, uploadSessionSchema } from './box-replies.js';
import type { SessionHandle, UploadTarget } from './upload-protocol.js';

export type BoxConflictPolicy = 'version' | 'rename' | 'skip';

export const MAX_RENAMES = 50;

export interface BoxCreateDeps {
  send: BoxSend;
  uploadBase: string;
  folders: BoxFolders;
  policy: BoxConflictPolicy;
  rootFolderId: string;
}

/**
 * Opens an upload session for the target (new file), resolving a taken name by the destination's policy: a session
 * for a new version of the existing file, the first free "name (n).ext", or a skip.
 */
export async function createBoxSession(deps: BoxCreateDeps, target: UploadTarget, signal: AbortSignal): Promise<SessionHandle> {
  const { folderPath, name } = splitRemotePath(target.remotePath);
  const folderId = await deps.folders.ensure(folderPath, signal);
  const create = (fileName: string) =>
    postJson(deps, `${deps.uploadBase}/files/upload_sessions`, { folder_id: folderId, file_size: target.sizeBytes, file_name: fileName }, signal);
  const first = await create(name);
  const opened = openedSession(first, { fileName: name, folderId });
  if (opened) return opened;
  if (!isNameInUse(first)) throw createFailure(deps, first, folderPath, 'create');
  switch (deps.policy) {
    case 'skip':
      throw skippedFailure(target.remotePath);
    case 'version': {
      const fileId = conflictingFileId(first, target.remotePath, name);
      const url = `${deps.uploadBase}/files/${encodeURIComponent(fileId)}/upload_sessions`;
      const reply = await postJson(deps, url, { file_size: target.sizeBytes }, signal);
      const versioned = openedSession(reply, { fileName: name, folderId, fileId });
      if (versioned) return versioned;
      if (reply.status === 404) throw new UploadFailure({ kind: 'retry', reason: `the existing "${target.remotePath}" disappeared while a new version was started` });
      throw createFailure(deps, reply, folderPath, 'create');
    }
    case 'rename':
      for (let n = 1; n <= MAX_RENAMES; n++) {
        const candidate = numberedName(name, n);
        const reply = await create(candidate);
        const renamed = openedSession(reply, { fileName: candidate, folderId });
        if (renamed) return renamed;
        if (!isNameInUse(reply)) throw createFailure(deps, reply, folderPath, 'create');
      }
      throw noFreeName(target.remotePath);
  }
}

/** 201 (or an adopted 409 session_conflict, as box-ui-elements does) → the session handle; otherwise undefined. */
function openedSession(reply: HttpReply, facts: { fileName: string; folderId: string; fileId?: string }): SessionHandle | undefined {
  if (reply.status === 201 || reply.status === 200) return toSessionHandle(parseReply(reply, uploadSessionSchema, 'upload session'), facts);
  const error = boxErrorOf(reply);
  if (reply.status !== 409 || error.code !== 'session_conflict') return undefined;
  const adopted = uploadSessionSchema.safeParse((error.contextInfo as { session?: unknown } | undefined)?.session);
  if (!adopted.success) throw malformed(reply, 'session_conflict reply', 'context_info.session is not an upload session');
  return toSessionHandle(adopted.data, facts);
}

/** The id of the file that holds the name (a folder cannot get a new version). */
export function conflictingFileId(reply: HttpReply, remotePath: string, name: string): string {
  const file = conflictOfType(reply, 'file', name);
  if (file) return file.id;
  const holder = conflictOfType(reply, 'folder', name) ? 'a folder' : 'an item Box did not describe';
  throw new UploadFailure({ kind: 'fatal', code: 'name-conflict', reason: `"${remotePath}" is taken at the destination by ${holder}, so no new version can be uploaded.` });
}

/** Create and plain upload: a 404 means the parent folder vanished (walk again) unless it is the configured root. */
export function createFailure(deps: Pick<BoxCreateDeps, 'folders' | 'rootFolderId'>, reply: HttpReply, folderPath: string, site: 'create' | 'upload'): UploadFailure {
  if (reply.status === 404 && !deps.folders.isRoot(folderPath)) {
    deps.folders.forget(folderPath);
    return new UploadFailure({ kind: 'retry', reason: `the Box folder "${folderPath}" no longer exists; it will be created again` });
  }
  if (reply.status === 404) {
    const reason = `The Box folder ${deps.rootFolderId} (the destination's root) does not exist or this account cannot see it.`;
    return new UploadFailure({ kind: 'fatal', code: 'not-found', reason });
  }
  return boxFailure(reply, site === 'create' ? 'creating the upload session' : 'uploading the file', site);
}

export function noFreeName(remotePath: string): UploadFailure {
  return new UploadFailure({ kind: 'fatal', code: 'name-conflict', reason: `No free name for "${remotePath}" after ${MAX_RENAMES} numbered tries.` });
}

export function splitRemotePath(remotePath: string): { folderPath: string; name: string } {
  const normalized = posix.normalize(`/${remotePath.replaceAll('\\', '/')}`);
  return { folderPath: posix.dirname(normalized), name: posix.basename(normalized) };
}

function postJson(deps: { send: BoxSend }, url: string, body: unknown, signal: AbortSignal): Promise<HttpReply> {
  return deps.send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}
