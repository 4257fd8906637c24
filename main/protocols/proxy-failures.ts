import { STATUS_CODES } from 'node:http';
import { UploadFailure, type Failure } from '../domain/failure.js';

/** The proxy could not be reached or dropped us before answering: a network failure like any other, retried. */
export function proxyUnreachable(proxyHost: string, code: string): UploadFailure {
  return new UploadFailure({ kind: 'retry', reason: `network error talking to the proxy ${proxyHost}: ${code}` });
}

/**
 * The proxy answered CONNECT (or a forwarded request) with a refusal. 407: its credentials are missing or wrong, which
 * no retry mends; 5xx: the proxy is in trouble or cannot reach the server, retried; other refusals are its policy.
 * `proxyHost` is host:port only: a proxy URL may carry a user and password, which no message shows.
 */
export function proxyRefused(proxyHost: string, status: number): UploadFailure {
  const reason = `the proxy ${proxyHost} refused the connection (${status} ${STATUS_CODES[status] ?? 'unknown status'})`;
  const failure: Failure =
    status === 407
      ? { kind: 'fatal', code: 'proxy-auth', reason }
      : status >= 500
        ? { kind: 'retry', reason }
        : { kind: 'fatal', code: 'proxy-refused', reason };
  return new UploadFailure(failure);
}
