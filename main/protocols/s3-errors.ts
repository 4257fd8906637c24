import { UploadFailure, classifyStatus, parseRetryAfterMs, type Failure, type NetworkTarget } from '../domain/failure.js';
import { HoistError } from '../domain/hoist-error.js';

/** What the SDK threw, reduced to the facts classification needs (the SDK's exceptions are duck-typed on purpose). */
export interface S3ErrorFacts {
  /** S3's error code (`SlowDown`, `NoSuchUpload`, …), the SDK's error name, or a Node error code for network failures. */
  code: string;
  /** HTTP status when a response arrived. */
  status: number | undefined;
  message: string;
  retryAfterMs: number | undefined;
  /** A 2xx response whose body the SDK could not read (malformed XML). */
  isUnreadableReply: boolean;
}

export interface S3ErrorContext {
  /** What we were doing, for the message: "sending part 3". */
  doing: string;
  bucket: string;
  /** Where the bucket lives, for messages: the custom endpoint or "AWS (region)". */
  where: string;
  /** The server a failed connection went to (what the scheduler probes to tell an outage from a hiccup). */
  target?: NetworkTarget;
  /** Random in [0, 1): the wait after a SlowDown without Retry-After is spread over 1–5 s. */
  rand: () => number;
  nowMs: number;
}

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown; headers?: Record<string, string | undefined> };
}

const AUTH_CODES = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'AllAccessDisabled', 'AccountProblem', 'CredentialsProviderError']);
/** The upload as planned can never complete (a part below 5 MiB, broken numbering): a fresh upload is planned anew. */
const UNCOMPLETABLE_CODES = new Set(['EntityTooSmall', 'InvalidPartOrder']);
/** Transient by nature although some come as 4xx: bytes lost or corrupted on the way, an idle socket, a skewed clock. */
const TRANSIENT_CODES = new Set(['InternalError', 'RequestTimeout', 'IncompleteBody', 'BadDigest', 'InvalidDigest', 'RequestTimeTooSkewed', 'TimeoutError', 'AbortError']);
const RATE_LIMIT_CODES = new Set(['SlowDown', 'ServiceUnavailable', 'TooManyRequests', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded']);

export function s3ErrorFacts(error: unknown, nowMs: number): S3ErrorFacts {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorLike;
  const responseStatus = typeof e.$response?.statusCode === 'number' ? e.$response.statusCode : undefined;
  const metaStatus = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const status = metaStatus ?? responseStatus;
  const code = [e.Code, e.code, e.name].find((c): c is string => typeof c === 'string' && c !== '' && c !== 'Error') ?? 'Error';
  const message = typeof e.message === 'string' ? e.message.split('\n')[0]!.trim() : String(error);
  return {
    code,
    status,
    message,
    retryAfterMs: parseRetryAfterMs(e.$response?.headers?.['retry-after'], nowMs),
    // An error with a 2xx status is a reply the SDK could not read (an error embedded in a 200 arrives as a 503).
    isUnreadableReply: status !== undefined && status >= 200 && status < 300,
  };
}

/**
 * One classification of every S3 failure (habit 8): SlowDown/503/429 wait (Retry-After, else 1–5 s), 5xx and network
 * failures retry, refused credentials are `auth`, a missing bucket is fatal, a missing upload is a new session.
 * `InvalidPart` retries: the part list on the server changed under us, and the next attempt re-lists and re-sends.
 */
export function classifyS3(facts: S3ErrorFacts, ctx: S3ErrorContext): Failure {
  const { code, status } = facts;
  const reason = `${ctx.doing}: ${status !== undefined ? `HTTP ${status} ` : ''}${code}${facts.message && facts.message !== code ? ` – ${facts.message}` : ''}`;
  if (facts.isUnreadableReply) return { kind: 'malformed', reason: `${ctx.doing}: the server sent a malformed reply (HTTP ${status}: ${facts.message})` };
  if (code === 'NoSuchBucket') {
    return { kind: 'fatal', code: 'no-such-bucket', reason: `The bucket "${ctx.bucket}" does not exist at ${ctx.where}: check the destination's bucket name, region and endpoint (${reason}).` };
  }
  if (code === 'NoSuchUpload') return { kind: 'session-expired', reason: `${reason} (the multipart upload was completed or aborted elsewhere)` };
  if (UNCOMPLETABLE_CODES.has(code)) return { kind: 'session-expired', reason };
  if (code === 'InvalidPart') return { kind: 'retry', reason: `${reason} (a part changed or was lost on the server; re-checking)` };
  // Before the status: an InternalError embedded in a 200 reply reaches us as a 503 (the SDK's doing), yet is no throttle.
  if (TRANSIENT_CODES.has(code)) return { kind: 'retry', reason };
  if (RATE_LIMIT_CODES.has(code) || status === 429 || status === 503) {
    return { kind: 'rate-limited', retryAfterMs: facts.retryAfterMs ?? Math.round(1_000 + 4_000 * ctx.rand()), reason };
  }
  if (AUTH_CODES.has(code)) return { kind: 'auth', reason: `${reason} (check the access key and secret of this destination)` };
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || code === 'IllegalLocationConstraintException') {
    return { kind: 'fatal', code: 'wrong-region', reason: `${reason} (the bucket "${ctx.bucket}" is in another region than the destination says)` };
  }
  if (code === 'EntityTooLarge') return { kind: 'fatal', code: 'file-too-large', reason: `${reason} (the file is larger than S3 accepts in one request)` };
  if (status === undefined) {
    return { kind: 'retry', reason: `network error talking to ${ctx.where} while ${ctx.doing}: ${code}${facts.message && facts.message !== code ? ` (${facts.message})` : ''}`, network: ctx.target };
  }
  return classifyStatus(status, facts.retryAfterMs, reason);
}

/**
 * What an adapter call throws for an SDK error: the stop signal's reason after pause/cancel (never a failure), our own
 * errors unchanged, anything else classified.
 */
export function toS3Error(error: unknown, signal: AbortSignal, ctx: Omit<S3ErrorContext, 'nowMs'>, nowMs: number): unknown {
  if (signal.aborted) return signal.reason ?? error;
  if (error instanceof UploadFailure || error instanceof HoistError) return error;
  return new UploadFailure(classifyS3(s3ErrorFacts(error, nowMs), { ...ctx, nowMs }));
}

/** True for the S3 error code `code` (used where one answer is not an error: NoSuchUpload on abort, NotFound on head). */
export function hasS3Code(error: unknown, ...codes: string[]): boolean {
  return codes.includes(s3ErrorFacts(error, 0).code);
}

/** The server an S3 destination's requests go to (its endpoint, or AWS's regional one): what an outage probe connects to. */
export function s3ServerTarget(config: { endpoint?: string; region: string }): NetworkTarget {
  const server = new URL(config.endpoint ?? `https://s3.${config.region}.amazonaws.com`);
  return { host: server.hostname, port: Number(server.port) || (server.protocol === 'https:' ? 443 : 80) };
}
