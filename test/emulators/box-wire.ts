/**
 * Wire-level pieces of the Box emulator: replies, Box's ClientError body, ids and timestamps.
 * Kept apart from routing so every handler builds errors the same way Box does.
 */
import { randomBytes } from 'node:crypto';

/** What a handler answers; the dispatcher serialises it (or swaps it for a fault). `body` undefined = empty body. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Thrown by handlers to answer with a Box error; the dispatcher turns it into the reply. */
export class BoxFailure extends Error {
  constructor(readonly reply: Reply) {
    super(`box error ${reply.status}`);
  }
}

const HELP_URL = 'http://developers.box.com/docs/#errors';

export function newRequestId(): string {
  return randomBytes(8).toString('hex').slice(0, 16);
}

/** Box's ClientError shape (`context_info` only when there is something to say). */
export function errorBody(status: number, code: string, message: string, contextInfo?: unknown): Record<string, unknown> {
  return {
    type: 'error',
    status,
    code,
    message,
    ...(contextInfo === undefined ? {} : { context_info: contextInfo }),
    help_url: HELP_URL,
    request_id: newRequestId(),
  };
}

export function fail(status: number, code: string, message: string, contextInfo?: unknown, headers?: Record<string, string>): never {
  throw new BoxFailure({ status, body: errorBody(status, code, message, contextInfo), ...(headers ? { headers } : {}) });
}

// Codes Box uses for statuses that carry no operation-specific meaning (common-errors guide).
const GENERIC_ERRORS: Record<number, [string, string]> = {
  400: ['bad_request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not Found'],
  405: ['method_not_allowed', 'Method Not Allowed'],
  409: ['conflict', 'Conflict'],
  410: ['session_expired', 'The upload session has expired'],
  412: ['precondition_failed', 'The resource has been modified. Please retrieve the resource again and retry'],
  413: ['request_entity_too_large', 'Request Entity Too Large'],
  416: ['requested_range_not_satisfiable', 'Requested Range Not Satisfiable'],
  429: ['rate_limit_exceeded', 'Request rate limit exceeded, please try again later'],
  500: ['internal_server_error', 'Internal Server Error'],
  502: ['bad_gateway', 'Bad Gateway'],
  503: ['unavailable', 'Unavailable'],
  504: ['gateway_timeout', 'Gateway Timeout'],
};

/** Error body for a bare status (fault injection), with the code Box would use for it. */
export function genericErrorBody(status: number): Record<string, unknown> {
  const [code, message] = GENERIC_ERRORS[status] ?? ['error', `HTTP ${status}`];
  return errorBody(status, code, message);
}

/** Session ids are 32 upper-case hex characters in every Box example; part ids 8. */
export function newSessionId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function newPartId(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}

export const SESSION_ID_PATTERN = /^[0-9A-Fa-f]{32}$/;

/** Box answers in Pacific time with an explicit offset; a fixed -08:00 keeps clients honest about parsing offsets. */
export function boxTimestamp(ms: number): string {
  const shifted = new Date(ms - 8 * 3_600_000).toISOString();
  return `${shifted.slice(0, 19)}-08:00`;
}

/** Box's rules for item names: no slashes, no non-printables, no trailing space, not "." or "..", at most 255 chars. */
export function isValidItemName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    name !== '.' &&
    name !== '..' &&
    !/[/\\\u0000-\u001f\u007f]/.test(name) &&
    !name.endsWith(' ')
  );
}

/** Parses an RFC 3230 `Digest` header (`sha=<b64>, sha-256=<b64>`); unknown or malformed instances are ignored. */
export function parseDigestHeader(header: string | string[] | undefined): { sha1?: Buffer; sha256?: Buffer } {
  const found: { sha1?: Buffer; sha256?: Buffer } = {};
  for (const instance of [header ?? ''].flat().join(',').split(',')) {
    const eq = instance.indexOf('=');
    if (eq < 0) continue;
    const algorithm = instance.slice(0, eq).trim().toLowerCase();
    const value = instance.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) continue;
    const bytes = Buffer.from(value, 'base64');
    if (algorithm === 'sha' && bytes.length === 20) found.sha1 = bytes;
    if (algorithm === 'sha-256' && bytes.length === 32) found.sha256 = bytes;
  }
  return found;
}

/** Reads a non-negative integer query parameter (Box paging); anything else is a 400. */
export function queryInt(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) fail(400, 'bad_request', `Invalid value '${raw}' for query parameter '${name}'`);
  return Number(raw);
}

/** Box rejects list offsets beyond 10,000 and caps limits at 1,000. */
export function pageParams(url: URL, defaultLimit: number): { offset: number; limit: number } {
  const offset = queryInt(url, 'offset', 0);
  if (offset > 10_000) fail(400, 'bad_request', 'Queries with offset parameter value exceeding 10000 are rejected');
  const limit = Math.min(queryInt(url, 'limit', defaultLimit), 1000);
  if (limit < 1) fail(400, 'bad_request', 'limit must be at least 1');
  return { offset, limit };
}
