import { request as httpRequestRaw, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import type { Socket } from 'node:net';
import { UploadFailure, parseRetryAfterMs, type NetworkTarget } from '../domain/failure.js';
import { proxyRefused } from './proxy-failures.js';
import { defaultProxyRoutes, type ProxyRoutes, type Route } from './proxy-routes.js';
import { writeBody } from './body-writer.js';
import { defaultTransferSettings, type TransferSettings } from './transfer-settings.js';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  retryAfterMs: number | undefined;
}

export interface HttpRequestInit {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD' | 'PATCH' | 'OPTIONS';
  headers?: Record<string, string>;
  body?: string | AsyncIterable<Uint8Array> | Buffer;
  signal: AbortSignal;
  /** Which proxy, if any, the request goes through. Default: the environment the app was started with. */
  proxies?: ProxyRoutes;
  /** Bandwidth limit and stall timeout. Default: the process's (`useTransferSettings`). */
  transfer?: TransferSettings;
}

// Replies we parse are small JSON documents; anything larger is not a reply we understand.
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

// Node's own HTTP client; the keep-alive agents (direct, or one pair per proxy) live in proxy-agents.ts.

/** Errors raised by the body's source (the local file), passed through unchanged rather than called network errors. */
const bodyErrors = new WeakSet<object>();

/** No byte moved either way for the stall timeout (connecting, sending, waiting for or reading the reply). */
class StallTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly stallMs: number) {
    super(`no data moved for ${stallMs / 1000} s`);
  }
}

/**
 * One HTTP exchange. Network failures become a classified `retry` failure; an abort (pause, cancel) is rethrown as the
 * signal's reason so callers can tell a pause from an error. A reply that arrives before the whole body was sent (a
 * server refusing early) is still returned.
 */
export async function httpRequest(url: string, init: HttpRequestInit): Promise<HttpReply> {
  let route: Route | undefined;
  try {
    if (init.signal.aborted) throw init.signal.reason;
    const parsed = new URL(url);
    route = await (init.proxies ?? defaultProxyRoutes()).routeFor(parsed);
    const reply = await exchange(parsed, route, init);
    // A forwarding proxy answers a plain-http request itself when it wants credentials (a tunnel's refusal is an error).
    if (reply.status === 407 && route.proxyHost !== undefined) throw proxyRefused(route.proxyHost, 407);
    return reply;
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    if (error instanceof UploadFailure || bodyErrors.has(error as object)) throw error;
    const code = (error as { code?: string }).code;
    const host = safeHost(url);
    const via = route?.proxyHost === undefined ? '' : ` through the proxy ${route.proxyHost}`;
    if (error instanceof StallTimeout) {
      throw new UploadFailure({ kind: 'retry', reason: `no data moved for ${error.stallMs / 1000} s (stalled) talking to ${host}${via}`, network: networkTarget(url, route) });
    }
    throw new UploadFailure({ kind: 'retry', reason: `network error talking to ${host}${via}: ${code ?? (error as Error).message}`, network: networkTarget(url, route) });
  }
}

function exchange(parsed: URL, route: Route, init: HttpRequestInit): Promise<HttpReply> {
  const isHttps = parsed.protocol === 'https:';
  if (!isHttps && parsed.protocol !== 'http:') return Promise.reject(new Error(`unsupported URL scheme ${parsed.protocol}`));
  const headers: Record<string, string> = { ...init.headers };
  const body = init.body;
  const isFixedBody = typeof body === 'string' || Buffer.isBuffer(body);
  if (isFixedBody && !hasHeader(headers, 'content-length')) headers['content-length'] = String(Buffer.byteLength(body));
  const transfer = init.transfer ?? defaultTransferSettings();
  const stallMs = transfer.stallTimeoutMs;
  // Parts read into memory (Box, Apideck) go out in paced slices under a limit, in one write without (the fast path).
  // String bodies are small control messages (JSON, forms) and never wait behind the limit.
  const isPacedBuffer = Buffer.isBuffer(body) && transfer.pacer.sliceBytes() > 0;

  return new Promise<HttpReply>((resolve, reject) => {
    let isSettled = false;
    let hasResponse = false;
    let isBodySent = body === undefined || (isFixedBody && !isPacedBuffer);
    let stalled: StallTimeout | undefined;
    const settle = (error: unknown, reply?: HttpReply): void => {
      if (isSettled) return;
      isSettled = true;
      init.signal.removeEventListener('abort', onAbort);
      // A stall shows as whatever destroying the socket caused (a reset reply, a failed write): say it was a stall.
      if (error) reject(stalled ?? error);
      else resolve(reply!);
    };
    const request: ClientRequest = (isHttps ? httpsRequestRaw : httpRequestRaw)(parsed, {
      method: init.method,
      headers,
      agent: route.agent,
    });
    const onAbort = (): void => {
      // A pause must stop the bytes at the server too: a plain close would still deliver what the kernel buffered for
      // this socket (megabytes on a fast link). A reset discards it.
      if (!isBodySent && request.socket && !request.socket.destroyed) resetSocket(request.socket);
      request.destroy(init.signal.reason instanceof Error ? init.signal.reason : new Error('aborted'));
      settle(init.signal.reason);
    };
    request.once('socket', guardSocket);
    init.signal.addEventListener('abort', onAbort, { once: true });
    request.on('timeout', () => {
      stalled = new StallTimeout(stallMs);
      request.destroy(stalled);
    });
    request.setTimeout(stallMs);
    // Once the reply has begun, a failing upload side (a server that stopped reading) no longer matters: its reply does.
    request.on('error', (error) => {
      if (!hasResponse) settle(error);
    });
    request.on('response', (res: IncomingMessage) => {
      hasResponse = true;
      readReply(res).then(
        (reply) => {
          // The server answered before taking the whole body (an early refusal): this socket must not be reused.
          if (!isBodySent) request.destroy();
          settle(undefined, reply);
        },
        (error: unknown) => settle(error),
      );
    });
    if (body === undefined) request.end();
    else if (isFixedBody && !isPacedBuffer) request.end(body);
    else {
      const pacing = {
        pacer: transfer.pacer,
        signal: init.signal,
        // The socket's inactivity timer is the stall timer: off while we wait for the limiter, rearmed after.
        onWait: (isWaiting: boolean) => {
          if (!request.destroyed) request.setTimeout(isWaiting ? 0 : stallMs);
        },
      };
      writeBody(request, isPacedBuffer ? [body as Buffer] : (body as AsyncIterable<Uint8Array>), () => isSettled, pacing).then(
        () => {
          isBodySent = true;
        },
        (error: unknown) => {
          // The body's source failed (the local file vanished or changed): end the exchange with that error.
          if (typeof error === 'object' && error !== null) bodyErrors.add(error);
          request.destroy();
          settle(error);
        },
      );
    }
  });
}

/**
 * resetAndDestroy needs the socket's own TCP handle. A TLS socket (any https server, and every tunnel through a proxy)
 * has none and throws, which inside an abort listener would crash the process; it is closed instead.
 */
function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

const guardedSockets = new WeakSet<object>();

/**
 * A kept-alive socket can fail between exchanges, or after its exchange has settled (a peer resetting the connection
 * while the end of a refused body is still being written). The request in flight, if any, still hears of it through
 * Node's own listener; this one only keeps such an error from crashing the process.
 */
function guardSocket(socket: Socket): void {
  if (guardedSockets.has(socket)) return;
  guardedSockets.add(socket);
  socket.on('error', () => undefined);
}

/** Collects a (small) reply with plain stream events: an async iterator cost 0.3-0.4 ms per reply, measured. */
function readReply(res: IncomingMessage): Promise<HttpReply> {
  return new Promise<HttpReply>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let isDone = false;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REPLY_BYTES) chunks.push(chunk);
    });
    res.once('end', () => {
      isDone = true;
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
        retryAfterMs: parseRetryAfterMs(res.headers['retry-after'], Date.now()),
      });
    });
    res.once('error', (error) => {
      isDone = true;
      reject(error);
    });
    // The connection closed before the reply was complete.
    res.once('close', () => {
      if (!isDone) reject(Object.assign(new Error('the connection closed mid-reply'), { code: 'ECONNRESET' }));
    });
  });
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** The first hop of a request that failed: the proxy when there is one, else the server. */
function networkTarget(url: string, route: Route | undefined): NetworkTarget | undefined {
  try {
    const first = new URL(route?.proxyHost !== undefined ? `http://${route.proxyHost}` : url);
    const port = Number(first.port) || (first.protocol === 'https:' ? 443 : 80);
    return { host: first.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

/** Host only: upload URLs carry credentials in their query, so they are never printed whole. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
