import * as z from 'zod';
import { UploadFailure } from '../domain/failure.js';
import { parseJson, type HttpReply } from './http.js';
import type { RemoteItem, SessionHandle } from './upload-protocol.js';

/**
 * Shapes of Box replies we rely on (protocols.md §1.2); anything else is a malformed reply. Every call carries the
 * bearer token, so URLs the server hands back must not downgrade to plain http (loopback emulators excepted).
 */
const tokenSafeUrl = z.string().refine(isTokenSafeUrl, { message: 'endpoint must be an https URL' });

const endpointsSchema = z.object({
  upload_part: tokenSafeUrl,
  commit: tokenSafeUrl,
  abort: tokenSafeUrl,
  list_parts: tokenSafeUrl,
  status: tokenSafeUrl,
  log_event: tokenSafeUrl.optional(),
});
export type BoxEndpoints = z.infer<typeof endpointsSchema>;

export const uploadSessionSchema = z.object({
  id: z.string().min(1),
  type: z.literal('upload_session').optional(),
  session_expires_at: z.string().optional(),
  part_size: z.number().int().positive(),
  total_parts: z.number().int().nonnegative(),
  num_parts_processed: z.number().int().nonnegative().optional(),
  session_endpoints: endpointsSchema,
});
export type BoxUploadSession = z.infer<typeof uploadSessionSchema>;

/** UploadPart: `sha1` is lower-case hex (the request Digest is base64). */
export const partSchema = z.object({
  part_id: z.string().min(1),
  offset: z.number().int().nonnegative(),
  size: z.number().int().positive(),
  sha1: z.string().regex(/^[0-9a-fA-F]{40}$/).optional(),
});
export type BoxPart = z.infer<typeof partSchema>;

/** The PUT reply wraps the part in `part` (the guide shows it bare; the API and every SDK read `.part`). */
export const uploadedPartSchema = z.object({ part: partSchema });

export const partsPageSchema = z.object({
  total_count: z.number().int().nonnegative(),
  entries: z.array(partSchema),
});

export const fileSchema = z.looseObject({
  type: z.literal('file').optional(),
  id: z.string().min(1),
  name: z.string(),
  size: z.number().int().nonnegative(),
  sha1: z.string().optional(),
});
export type BoxFile = z.infer<typeof fileSchema>;

/** Commit and plain upload answer `Files`; rclone rejects anything but exactly one entry, and so do we. */
export const filesSchema = z.object({ entries: z.array(fileSchema).length(1) });

export const itemsPageSchema = z.object({
  total_count: z.number().int().nonnegative(),
  entries: z.array(z.looseObject({ type: z.string(), id: z.string().min(1), name: z.string().optional() })),
});

export const folderSchema = z.looseObject({ type: z.literal('folder').optional(), id: z.string().min(1) });

/** What the adapter keeps in `SessionHandle.extra`: the only URLs it may use, and where the file will land. */
const sessionExtraSchema = z.object({
  endpoints: endpointsSchema,
  totalParts: z.number().int().nonnegative(),
  fileName: z.string(),
  folderId: z.string(),
  fileId: z.string().optional(),
});
export type BoxSessionExtra = z.infer<typeof sessionExtraSchema>;

export function toSessionHandle(session: BoxUploadSession, facts: { fileName: string; folderId: string; fileId?: string }): SessionHandle {
  const extra: BoxSessionExtra = { endpoints: session.session_endpoints, totalParts: session.total_parts, ...facts };
  return {
    sessionUrl: session.session_endpoints.upload_part,
    remoteSessionId: session.id,
    partSizeBytes: session.part_size,
    expiresAtMs: parseExpiry(session.session_expires_at),
    extra,
  };
}

/** The stored facts of a session; a handle without them cannot be continued, only replaced. */
export function sessionExtra(session: SessionHandle): BoxSessionExtra {
  const parsed = sessionExtraSchema.safeParse(session.extra);
  if (!parsed.success) throw new UploadFailure({ kind: 'session-expired', reason: 'the stored Box session has no usable session_endpoints' });
  return parsed.data;
}

export function toRemoteItem(file: BoxFile): RemoteItem {
  return { id: file.id, name: file.name, sizeBytes: file.size, hashes: { sha1Hex: file.sha1?.toLowerCase() }, raw: file };
}

/** Parses a reply body against a schema; anything unexpected is a transient `retry` (re-ask the server). */
export function parseReply<T extends z.ZodTypeAny>(reply: HttpReply, schema: T, what: string): z.infer<T> {
  const parsed = schema.safeParse(parseJson(reply.text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const detail = issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'unexpected shape';
    throw malformed(reply, what, detail);
  }
  return parsed.data as z.infer<T>;
}

export function malformed(reply: HttpReply, what: string, detail: string): UploadFailure {
  return new UploadFailure({ kind: 'malformed', reason: `Box sent a malformed ${what} (HTTP ${reply.status}: ${detail})` });
}

export function parseExpiry(text: string | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Box wants RFC 3339 without fractions, e.g. 2017-04-08T00:58:08Z. */
export function boxTimestamp(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function isTokenSafeUrl(text: string): boolean {
  try {
    const url = new URL(text);
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}
