/**
 * Wire shapes of the Apideck File Storage upload-session emulator (protocols.md §3.3): success envelope, error body,
 * create-body validation, lenient part_number parsing, Box-style digest header parsing and the UnifiedFile returned by finish.
 * Pure functions only, so the emulator file stays about routing and state.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';

export type ApideckConnector = 'box' | 'onedrive' | 'google-drive';

/** What a handler wants sent; the dispatcher writes it (or swaps it for an injected fault). */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface DownstreamError {
  message: string;
  detail?: string;
  code?: string;
}

/** Spec bounds of the part_number query parameter (`0 ≤ part_number ≤ 10000`). */
export const MAX_PART_NUMBER = 10_000;

export function envelope(status: number, service: ApideckConnector, operation: string, data: unknown): Reply {
  return {
    status,
    body: { status_code: status, status: STATUS_CODES[status] ?? 'OK', service, resource: 'UploadSessions', operation, data },
  };
}

/** Error body exactly as §3.3: `downstream_errors` only appears for connector (downstream) failures. */
export function errorReply(
  status: number,
  typeName: string,
  message: string,
  detail: string | Record<string, unknown>,
  downstreamErrors?: DownstreamError[],
): Reply {
  const body: Record<string, unknown> = {
    status_code: status,
    error: STATUS_CODES[status] ?? 'Error',
    type_name: typeName,
    message,
    detail,
    ref: `https://developers.apideck.com/errors#${typeName.toLowerCase()}`,
  };
  if (downstreamErrors) body.downstream_errors = downstreamErrors;
  return { status, body };
}

export const apideckErrors = {
  validation: (detail: string) => errorReply(400, 'RequestValidationError', 'Invalid Params', detail),
  missingHeader: (name: string) =>
    errorReply(400, 'RequestHeadersValidationError', 'Invalid Params', `Missing Header: ${name}`),
  unauthorized: (detail: string) => errorReply(401, 'UnauthorizedError', 'Unauthorized Request', detail),
  notFound: (detail: string) => errorReply(404, 'EntityNotFoundError', 'Unknown Entity', detail),
  /** 422 is the spec's mapping for wrong state; 409 is used for the emulator's overlapping-PUT rule. */
  invalidState: (detail: string, status = 422) => errorReply(status, 'InvalidStateError', 'Invalid State', detail),
  /** Box rejections are proxied: Apideck reports them as a connector failure carrying Box's own error. */
  boxRejected: (status: number, detail: string, downstream: DownstreamError) =>
    errorReply(status, 'ConnectorExecutionError', 'Unexpected error from downstream', detail, [downstream]),
};

/** Body for an injected `status` fault, shaped like what Apideck sends for that status. */
export function errorBodyForStatus(status: number): unknown {
  if (status === 429) {
    return errorReply(429, 'ConnectorRateLimitError', 'Connector Rate Limit Error', {
      context: 'downstream',
      error: { message: 'Too many requests, retry after the delay in Retry-After' },
    }).body;
  }
  if (status >= 500) {
    return errorReply(status, 'ConnectorExecutionError', 'Unexpected error from downstream', 'Downstream service failed', [
      { message: STATUS_CODES[status] ?? 'Server error', code: String(status) },
    ]).body;
  }
  const typeByStatus: Record<number, string> = {
    400: 'RequestValidationError',
    401: 'UnauthorizedError',
    402: 'RequestLimitError',
    404: 'EntityNotFoundError',
    409: 'InvalidStateError',
    422: 'InvalidStateError',
  };
  const typeName = typeByStatus[status] ?? 'UnexpectedError';
  return errorReply(status, typeName, STATUS_CODES[status] ?? 'Error', 'Injected fault').body;
}

/**
 * Lenient part_number: the Java SDK sends a double (`0.0`, and `1.0E4` for large values), so any decimal or exponent
 * spelling of an integer is accepted; signs, hex, blanks and fractions are not.
 */
export function parsePartNumber(raw: string | null): number | string {
  if (raw === null || raw === '') return 'Missing query parameter: part_number';
  if (!/^[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/.test(raw)) return `part_number must be an integer, got '${raw}'`;
  const value = Number(raw);
  if (!Number.isInteger(value)) return `part_number must be an integer, got '${raw}'`;
  if (value > MAX_PART_NUMBER) return `part_number must be between 0 and ${MAX_PART_NUMBER}, got ${raw}`;
  return value;
}

export interface CreateSessionBody {
  name: string;
  parentFolderId: string;
  driveId?: string;
  sizeBytes: number;
}

const CREATE_PROPERTIES = new Set(['name', 'parent_folder_id', 'drive_id', 'size', 'pass_through']);

/** CreateUploadSessionRequest has `additionalProperties: false`; returns the parsed body or a validation detail. */
export function validateCreateBody(json: unknown): CreateSessionBody | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'Request body must be a JSON object';
  const body = json as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!CREATE_PROPERTIES.has(key)) return `Unrecognized property: ${key}`;
  }
  for (const key of ['name', 'parent_folder_id', 'size']) {
    if (!(key in body)) return `Missing property ${key}`;
  }
  const { name, parent_folder_id: parentFolderId, drive_id: driveId, size, pass_through: passThrough } = body;
  if (typeof name !== 'string' || name.length === 0) return 'name must be a non-empty string';
  if (typeof parentFolderId !== 'string' || parentFolderId.length === 0) return 'parent_folder_id must be a non-empty string';
  if (driveId !== undefined && typeof driveId !== 'string') return 'drive_id must be a string';
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return 'size must be an integer >= 0';
  if (passThrough !== undefined && !Array.isArray(passThrough)) return 'pass_through must be an array';
  return { name, parentFolderId, sizeBytes: size, ...(driveId === undefined ? {} : { driveId }) };
}

/** `digest: sha=<base64>` (several comma-separated digests allowed, as in RFC 3230); returns the base64 SHA-1 or undefined. */
export function parseShaDigest(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const entry of header.split(',')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && entry.slice(0, eq).trim().toLowerCase() === 'sha') return entry.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Box connector digest rule (part: SHA-1 of the part; finish: SHA-1 of the whole file). The Box codes mirror Box's
 * commit error (`digest_mismatch`, "File digest was incorrect. Actual: … Expected: …"); for parts the code is [UNVERIFIED]
 * and the status is kept at 400 as §3.6 suggests.
 */
export function boxDigestProblem(header: string | string[] | undefined, actualBase64: string, what: 'part' | 'file'): Reply | undefined {
  const sent = parseShaDigest(Array.isArray(header) ? header.join(',') : header);
  if (sent === undefined) {
    return apideckErrors.boxRejected(400, `Box requires a digest header for the ${what}`, {
      message: 'Missing Digest header',
      detail: `The Digest header is required, e.g. "sha=<base64 SHA-1 of the ${what}>"`,
      code: 'missing_digest',
    });
  }
  if (sent === actualBase64) return undefined;
  const message = what === 'file' ? 'File digest was incorrect.' : 'Part digest was incorrect.';
  return apideckErrors.boxRejected(400, `Box rejected the ${what} digest`, {
    message: `${message} Actual: ${actualBase64} Expected: ${sent}`,
    code: 'digest_mismatch',
  });
}

export interface UnifiedFileInput {
  id: string;
  name: string;
  sizeBytes: number;
  parentFolderId: string;
  createdAtIso: string;
}

export function unifiedFile(f: UnifiedFileInput): Record<string, unknown> {
  return {
    id: f.id,
    downstream_id: f.id,
    name: f.name,
    description: null,
    type: 'file',
    path: null,
    mime_type: 'application/octet-stream',
    downloadable: true,
    size: f.sizeBytes,
    owner: null,
    parent_folders: [{ id: f.parentFolderId }],
    parent_folders_complete: false,
    permissions: { download: true },
    exportable: false,
    export_formats: [],
    custom_mappings: {},
    updated_by: null,
    created_by: null,
    updated_at: f.createdAtIso,
    created_at: f.createdAtIso,
  };
}

// ---- request parsing ----------------------------------------------------------------------------------------------

export type Route = { op: string; kind: 'create' | 'get' | 'part' | 'abort' | 'finish' | 'unknown'; id?: string };

/** Routing is by path only (host ignored, §3.6); ops are the fault-injection names. */
export function route(method: string, pathname: string): Route {
  const m = /^\/file-storage\/upload-sessions(?:\/([^/]+)(\/finish)?)?\/?$/.exec(pathname);
  if (!m) return { op: 'apideck.unknown', kind: 'unknown' };
  let id: string | undefined;
  try { id = m[1] === undefined ? undefined : decodeURIComponent(m[1]); } catch { return { op: 'apideck.unknown', kind: 'unknown' }; }
  if (id === undefined) return method === 'POST' ? { op: 'apideck.create', kind: 'create' } : { op: 'apideck.unknown', kind: 'unknown' };
  if (m[2]) return method === 'POST' ? { op: 'apideck.finish', kind: 'finish', id } : { op: 'apideck.unknown', kind: 'unknown' };
  if (method === 'GET') return { op: 'apideck.get', kind: 'get', id };
  if (method === 'PUT') return { op: 'apideck.part', kind: 'part', id };
  if (method === 'DELETE') return { op: 'apideck.abort', kind: 'abort', id };
  return { op: 'apideck.unknown', kind: 'unknown' };
}

/** Only the headers worth asserting on: x-apideck-* and digest (always present as a key, maybe undefined). */
export function loggedHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { digest: undefined };
  for (const [key, value] of Object.entries(req.headers)) {
    if (key.startsWith('x-apideck-') || key === 'digest') out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
