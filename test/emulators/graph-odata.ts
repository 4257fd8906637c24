/**
 * OData reply helpers for the Graph emulator: every error goes out in the shape Graph uses, so clients exercise the same
 * error parsing they need against the real service.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export interface GraphError {
  status: number;
  code: string;
  message: string;
  innerCode?: string;
  retryAfterSec?: number;
}

export function odataErrorBody(err: Pick<GraphError, 'code' | 'message' | 'innerCode'>): unknown {
  const innerError: Record<string, string> = {};
  if (err.innerCode) innerError.code = err.innerCode;
  innerError.date = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  innerError['request-id'] = randomUUID();
  innerError['client-request-id'] = innerError['request-id'];
  return { error: { code: err.code, message: err.message, innerError } };
}

/** What Graph answers for a bare status (used by injected faults that only name a status). */
export function errorForStatus(status: number): GraphError {
  switch (status) {
    case 400:
      return { status, code: 'invalidRequest', message: 'The request is malformed or incorrect.' };
    case 401:
      return { status, code: 'unauthenticated', message: 'The caller is not authenticated.' };
    case 404:
      return { status, code: 'itemNotFound', message: 'The resource could not be found.' };
    case 409:
      return { status, code: 'conflict', message: 'The current state conflicts with what the request expects.' };
    case 416:
      return { status, code: 'invalidRange', message: 'The specified byte range is invalid or unavailable.' };
    case 429:
      return { status, code: 'activityLimitReached', message: 'The app or user has been throttled.', innerCode: 'throttledRequest' };
    case 500:
      return { status, code: 'generalException', message: 'An unspecified error has occurred.' };
    case 502:
      return { status, code: 'badGateway', message: 'Bad gateway.' };
    case 503:
      return { status, code: 'serviceNotAvailable', message: 'The service is temporarily unavailable.' };
    case 504:
      return { status, code: 'gatewayTimeout', message: 'The server did not respond in time.' };
    case 507:
      return { status, code: 'quotaLimitReached', message: 'The user has reached their quota limit.' };
    default:
      return { status, code: status >= 500 ? 'generalException' : 'invalidRequest', message: `Error ${status}.` };
  }
}

export const sessionNotFound = (): GraphError => ({
  status: 404,
  code: 'itemNotFound',
  message: 'The upload session was not found.',
  innerCode: 'uploadSessionNotFound',
});

export const itemNotFound = (what = 'The resource could not be found.'): GraphError => ({
  status: 404,
  code: 'itemNotFound',
  message: what,
});

export const invalidRequest = (message: string, innerCode?: string): GraphError => ({
  status: 400,
  code: 'invalidRequest',
  message,
  ...(innerCode ? { innerCode } : {}),
});

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; odata.metadata=minimal; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: GraphError): void {
  const headers: Record<string, string> = {};
  if (err.retryAfterSec !== undefined) headers['retry-after'] = String(err.retryAfterSec);
  if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"';
  sendJson(res, err.status, odataErrorBody(err), headers);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status).end();
}

/** Graph's timestamps: ISO-8601 UTC with a fraction and 'Z'. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** Thrown by validation deep inside a handler; the dispatcher turns it into the OData reply. */
export class GraphFailure extends Error {
  constructor(readonly error: GraphError) {
    super(`${error.status} ${error.code}${error.innerCode ? `/${error.innerCode}` : ''}: ${error.message}`);
  }
}
