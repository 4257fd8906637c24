import { posix } from 'node:path';
import * as z from 'zod';
import { UploadFailure, classifyStatus, type Failure } from '../domain/failure.js';
import { parseJson, type HttpReply } from './http.js';

/** Where a Box call was made: the same status means different things on different endpoints. */
export type BoxCallSite = 'create' | 'part' | 'session' | 'commit' | 'upload' | 'api';

export interface BoxErrorInfo {
  code: string | undefined;
  message: string;
  contextInfo: unknown;
}

const errorBodySchema = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
  context_info: z.unknown().optional(),
});

const conflictSchema = z.looseObject({ type: z.string(), id: z.string().min(1), name: z.string().optional() });
const conflictsSchema = z.object({ conflicts: z.union([conflictSchema, z.array(conflictSchema)]) });
export type BoxConflict = z.infer<typeof conflictSchema>;

/** Box's ClientError body; 401 comes with an empty body and only a WWW-Authenticate header. */
export function boxErrorOf(reply: HttpReply): BoxErrorInfo {
  const parsed = errorBodySchema.safeParse(parseJson(reply.text));
  if (!parsed.success) return { code: undefined, message: '', contextInfo: undefined };
  return { code: parsed.data.code, message: parsed.data.message ?? '', contextInfo: parsed.data.context_info };
}

export function isNameInUse(reply: HttpReply): boolean {
  return reply.status === 409 && boxErrorOf(reply).code === 'item_name_in_use';
}

/** `context_info.conflicts` is one object at upload time and an array for folders (ruby-box#93): accept both. */
export function conflictsOf(reply: HttpReply): BoxConflict[] {
  const parsed = conflictsSchema.safeParse(boxErrorOf(reply).contextInfo);
  if (!parsed.success) return [];
  return Array.isArray(parsed.data.conflicts) ? parsed.data.conflicts : [parsed.data.conflicts];
}

/** The item of a 409 item_name_in_use of the wanted type, preferring the one with the exact name. */
export function conflictOfType(reply: HttpReply, type: 'file' | 'folder', name: string): BoxConflict | undefined {
  const candidates = conflictsOf(reply).filter((c) => c.type === type);
  return candidates.find((c) => c.name === name) ?? candidates[0];
}

export function boxFailure(reply: HttpReply, doing: string, site: BoxCallSite): UploadFailure {
  const { code, message } = boxErrorOf(reply);
  const reason = `${doing}: HTTP ${reply.status}${code ? ` ${code}` : ''}${message ? ` – ${message}` : ''}`;
  return new UploadFailure(classifyBox(reply, code, reason, site));
}

/** One mapping of every Box error of protocols.md §1.4 to what the scheduler should do. */
export function classifyBox(reply: HttpReply, code: string | undefined, reason: string, site: BoxCallSite): Failure {
  const { status } = reply;
  const onSession = site === 'part' || site === 'session' || site === 'commit';
  if (status === 401) {
    const challenge = String(reply.headers['www-authenticate'] ?? '');
    const why = challenge.includes('expired_token') ? 'the Box access token expired' : 'Box refused the access token';
    return { kind: 'auth', reason: `${reason} (${why})` };
  }
  if (status === 410) return { kind: 'session-expired', reason };
  if (onSession && status === 404) return { kind: 'session-expired', reason: `${reason} (the upload session is gone)` };
  if (status === 400 && code === 'invalid_upload_session_id') return { kind: 'session-expired', reason };
  if (status === 400 && code === 'digest_mismatch') {
    return { kind: 'session-expired', reason: `${reason} (the parts Box holds do not add up to the local file; starting again)` };
  }
  if (status === 400 && (code === 'parts_mismatch' || code === 'request_size_mismatch')) return { kind: 'retry', reason };
  if (status === 400 && code === 'file_size_too_small') {
    return { kind: 'fatal', code: 'file-too-small', reason: `${reason} (the file is below Box's minimum for chunked uploads)` };
  }
  if (status === 403 && code === 'storage_limit_exceeded') {
    return { kind: 'fatal', code: 'quota', reason: `${reason} (the Box account has no storage space left for this file)` };
  }
  if (status === 403 && code === 'file_size_limit_exceeded') {
    return { kind: 'fatal', code: 'file-too-large', reason: `${reason} (the file is bigger than this Box account allows per file)` };
  }
  if (status === 403) {
    // access_denied_insufficient_permissions, item locked, policy: a fresh token would be refused the same way.
    return { kind: 'fatal', code: 'forbidden', reason: `${reason} (this Box account may not upload there)` };
  }
  if (status === 416 && code === 'range_overlaps_existing_part') {
    // Box already holds this range: the engine asks for the part list and adopts what is there.
    return { kind: 'retry', reason: `${reason} (Box already holds this range)` };
  }
  if (status === 416) return { kind: 'session-expired', reason: `${reason} (Box disagrees with the part layout; starting a new session)` };
  if (status === 409 && code === 'item_name_in_use') {
    return { kind: 'fatal', code: 'name-conflict', reason: `${reason} (an item with this name already exists)` };
  }
  // 409 name_temporarily_reserved / "conflicts with another chunk", 412 Digest: transient, ask the server again.
  if (status === 409 || status === 412) return { kind: 'retry', reason };
  if (status === 413) return { kind: 'fatal', code: 'too-large', reason };
  return classifyStatus(status, reply.retryAfterMs, reason);
}

export function skippedFailure(remotePath: string): UploadFailure {
  return new UploadFailure({
    kind: 'fatal',
    code: 'skipped',
    reason: `Skipped: "${remotePath}" already exists at the destination and the conflict policy is "skip".`,
  });
}

/** "report.pdf" → "report (2).pdf"; names without an extension (or dot files) get the suffix at the end. */
export function numberedName(name: string, n: number): string {
  const ext = posix.extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  return `${stem} (${n})${ext}`;
}
