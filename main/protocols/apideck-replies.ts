import * as z from 'zod';
import { classifyStatus, type Failure } from '../domain/failure.js';
import type { ByteRange } from '../domain/reconcile.js';
import type { RemoteItem } from './upload-protocol.js';

/**
 * Shapes of Apideck File Storage replies we rely on (protocols.md §3.3). Every success is an envelope whose `data` holds
 * the payload; envelope `status_code`/`operation` are not checked because the spec's own examples contradict the HTTP status.
 */
const envelope = <T extends z.ZodTypeAny>(data: T) => z.object({ data });

export const sessionCreatedSchema = envelope(z.object({ id: z.string().min(1) }));

export const uploadSessionSchema = envelope(
  z.object({
    id: z.string().min(1),
    success: z.boolean().nullish(),
    // The Java SDK types it as a double; anything but a positive whole number cannot be planned.
    part_size: z.number().int().positive(),
    parallel_upload_supported: z.boolean().nullish(),
    uploaded_byte_range: z.string().nullish(),
    expires_at: z.string().nullish(),
  }),
);

export const partStoredSchema = envelope(z.object({ id: z.string().optional() }).passthrough());

export const unifiedFileSchema = envelope(
  z
    .object({
      id: z.string().min(1),
      name: z.string(),
      type: z.string().optional(),
      // Optional in the spec; when a connector leaves it out the session's declared size stands (see toRemoteItem).
      size: z.number().int().nonnegative().nullish(),
    })
    .passthrough(),
);

export type UploadSessionData = z.infer<typeof uploadSessionSchema>['data'];
export type UnifiedFileData = z.infer<typeof unifiedFileSchema>['data'];

export function toRemoteItem(file: UnifiedFileData, declaredSizeBytes: number): RemoteItem {
  // Apideck reports no content hash, so the engine can only check the size (verifyHash 'none').
  return { id: file.id, name: file.name, sizeBytes: file.size ?? declaredSizeBytes, hashes: {}, raw: file };
}

/**
 * The item for a session the server reports finished (`success: true`) whose finish reply we never read: Apideck only
 * accepts finish once every part is stored and their sizes add up to the size declared at create (and, for Box, once the
 * whole-file SHA-1 matched), so the declared size is what the server holds. The file id came only in the lost reply, so
 * `id` is empty rather than invented.
 */
export function finishedSessionItem(session: UploadSessionData, name: string, declaredSizeBytes: number): RemoteItem {
  return {
    id: '',
    name,
    sizeBytes: declaredSizeBytes,
    hashes: {},
    raw: { uploadSession: session, note: 'finished earlier; the finish reply (with the file id) was lost' },
  };
}

/**
 * `uploaded_byte_range`: inclusive "a-b" (several comma-separated tolerated); null or empty means nothing is held.
 * Returns [start, end) ranges, or undefined when the text is not understood or reaches past the file.
 */
export function parseUploadedRange(text: string | null | undefined, totalBytes: number): ByteRange[] | undefined {
  if (text === null || text === undefined || text.trim() === '') return [];
  const out: ByteRange[] = [];
  for (const piece of text.split(',')) {
    const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(piece);
    if (!m) return undefined;
    const start = Number(m[1]);
    const end = Number(m[2]) + 1;
    if (end <= start || end > totalBytes) return undefined;
    out.push({ startBytes: start, endBytes: end });
  }
  return out;
}

export function parseExpiry(text: string | null | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

const errorSchema = z.object({
  status_code: z.number().optional(),
  error: z.string().optional(),
  type_name: z.string().optional(),
  message: z.string().optional(),
  detail: z.unknown().optional(),
  downstream_errors: z
    .array(z.object({ message: z.string().optional(), detail: z.unknown().optional(), code: z.string().optional() }).passthrough())
    .nullish(),
});

export interface ApideckError {
  typeName: string;
  /** "message: detail" as far as the body has them. */
  text: string;
  downstreamCodes: string[];
  /** Downstream messages (what the connector's own service said). */
  downstreamText: string;
}

/** Reads the error shape `{status_code, error, type_name, message, detail, downstream_errors}`; tolerant of anything else. */
export function apideckError(body: unknown): ApideckError {
  const parsed = errorSchema.safeParse(body);
  if (!parsed.success) return { typeName: '', text: '', downstreamCodes: [], downstreamText: '' };
  const e = parsed.data;
  const detail = describeDetail(e.detail);
  const text = [e.message, detail].filter((s): s is string => !!s && s !== '').join(': ');
  const downstream = e.downstream_errors ?? [];
  const downstreamText = downstream
    .map((d) => [d.message, describeDetail(d.detail), d.code ? `[${d.code}]` : undefined].filter(Boolean).join(' '))
    .filter((s) => s !== '')
    .join('; ');
  return {
    typeName: e.type_name ?? '',
    text,
    downstreamCodes: downstream.map((d) => d.code).filter((c): c is string => typeof c === 'string'),
    downstreamText,
  };
}

function describeDetail(detail: unknown): string | undefined {
  if (detail === undefined || detail === null || detail === '') return undefined;
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** What the request was about: 404 means "session gone" only when a session was addressed. */
export type ApideckOp = 'create' | 'session' | 'part' | 'finish';

/**
 * Apideck's error types to the scheduler's failure kinds. Finish's own 422 is resolved by the adapter before this (it
 * asks the server whether the session finished already).
 */
export function classifyApideck(status: number, err: ApideckError, retryAfterMs: number | undefined, reason: string, op: ApideckOp): Failure {
  const isDownstream = err.typeName === 'ConnectorExecutionError';
  if (status === 401) return { kind: 'auth', reason };
  if (status === 402) return { kind: 'fatal', code: 'plan-limit', reason: `${reason} (the Apideck plan's limit was reached)` };
  if (status === 429) return { kind: 'rate-limited', retryAfterMs: retryAfterMs ?? 5_000, reason };
  if (status === 404 && op !== 'create') return { kind: 'session-expired', reason };
  if (status === 408 || status === 409) return { kind: 'retry', reason };
  if (status === 501 || err.typeName === 'MappingError' || err.typeName === 'ConnectorOperationUnsupportedError') {
    return { kind: 'fatal', code: 'connector-unsupported', reason: `${reason} (this connector does not support upload sessions)` };
  }
  if (isDownstream && err.downstreamCodes.includes('digest_mismatch')) {
    // A part's bytes are hashed from the very buffer we send: a mismatch is damage in transit, so send it again. On finish
    // the server's assembled file differs from ours: that session can never finish, start a new one.
    return op === 'finish' ? { kind: 'session-expired', reason: `${reason}; the server's copy differs from the local file` } : { kind: 'retry', reason };
  }
  if (status === 400 && !isDownstream) return { kind: 'fatal', code: 'server-rejected', reason };
  if (status === 422) return { kind: 'fatal', code: 'server-rejected', reason };
  if (isDownstream && status < 500 && status !== 403) return { kind: 'retry', reason };
  return classifyStatus(status, retryAfterMs, reason);
}
