import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultInjector, ThroughputCap, replyDelayMs, requestDelayMs, sendEarlyFault, type FaultAction } from './faults.js';
import type { RandomFaults } from './random-faults.js';

export interface ProxiedRequest {
  op: string;
  method: string;
  path: string;
  status: number;
  bodyBytes: number;
  headers: Record<string, string | string[] | undefined>;
  /** When the request arrived, and when its first body byte did (ms since epoch). */
  atMs: number;
  firstByteAtMs?: number;
  /** When the whole reply was handed to the client's connection; unset when it never was (reset, outage, stall). */
  answeredAtMs?: number;
  /** The fault this request got, if any. */
  fault?: FaultAction['type'];
}

/**
 * Puts fault injection, a throughput cap and outages in front of any server (the emulators, the @tus/server receiver),
 * so the same faults can be aimed at every protocol. `opOf` names each request for fault rules. Absolute URLs the
 * server hands out (Location headers, Graph's `uploadUrl` and Box's `session_endpoints` in JSON bodies) are rewritten
 * to the proxy, so clients keep coming back through it.
 */
export class FaultProxy {
  readonly faults = new FaultInjector();
  readonly requests: ProxiedRequest[] = [];
  private readonly cap = new ThroughputCap(undefined);
  private readonly server = createServer((req, res) => this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  private random: RandomFaults | undefined;
  private upstreamPort = 0;
  private listenPort = 0;

  private constructor(private readonly opOf: (req: IncomingMessage) => string) {}

  static async start(upstreamUrl: string, opOf: (req: IncomingMessage) => string): Promise<FaultProxy> {
    const proxy = new FaultProxy(opOf);
    proxy.upstreamPort = Number(new URL(upstreamUrl).port);
    proxy.server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.listenPort = (proxy.server.address() as AddressInfo).port;
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /**
   * An outage: connections in flight are reset and new ones refused (the port stops listening) until `networkUp`.
   * Resolves once the listener is closed.
   */
  networkDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.resetAndDestroy();
    return closed;
  }

  /** The outage ends: the same port listens again. */
  networkUp(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.listenPort, '127.0.0.1', () => resolve()));
  }

  setThroughput(bytesPerSec: number | undefined): void {
    this.cap.bytesPerSec = bytesPerSec;
  }

  /** Random faults on requests no rule of `faults` fired for (undefined: none). */
  useRandomFaults(random: RandomFaults | undefined): void {
    this.random = random;
  }

  /** Request body bytes that reached the proxy so far, faulted requests included. */
  bodyBytesTotal(): number {
    return this.requests.reduce((sum, r) => sum + r.bodyBytes, 0);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const op = this.opOf(req);
    const record: ProxiedRequest = { op, method: req.method ?? '', path: req.url ?? '', status: 0, bodyBytes: 0, headers: {}, atMs: Date.now() };
    this.requests.push(record);
    res.on('finish', () => (record.answeredAtMs = Date.now()));
    const action = this.faults.take(op) ?? this.random?.take(op, req);
    record.fault = action?.type;
    if (sendEarlyFault(action, req, res, (status) => ({ error: `injected ${status}` }))) {
      req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
      res.on('finish', () => (record.status = res.statusCode));
      return;
    }
    let isClientGone = false;
    res.on('close', () => (isClientGone = !res.writableFinished));
    const start = () => {
      // The client gave up while a delay held the request: nothing reaches the server.
      if (isClientGone || req.socket.destroyed) return;
      // Host stays 127.0.0.1 so the receiver's loopback check passes; the port is the proxy's own business.
      const upstream = httpRequest(
        { host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${this.upstreamPort}` } },
        (reply) => (replyDelayMs(action) > 0 ? setTimeout(() => answer(reply), replyDelayMs(action)) : answer(reply)),
      );
      const answer = (reply: IncomingMessage): void => {
        // What the server did is recorded even when the client gave up meanwhile (its own timeout, a kill): such a
        // reply is lost, and a session it created is one no client can know of.
        record.status = reply.statusCode ?? 0;
        // The client gave up while the request was carried out or the reply held: nothing to answer.
        if (isClientGone || req.socket.destroyed) return void reply.resume();
        record.headers = reply.headers;
        if (action?.type === 'apply-then-fail' || action?.type === 'malformed-json') {
          reply.resume();
          const status = action.type === 'apply-then-fail' ? action.status : reply.statusCode ?? 200;
          res.writeHead(status, { 'content-type': 'text/plain' }).end(action.type === 'malformed-json' ? '<html>oops' : 'injected');
          return;
        }
        const headers = { ...reply.headers };
        // Location headers name the upstream; clients must come back through the proxy.
        if (typeof headers.location === 'string') headers.location = headers.location.replace(`:${this.upstreamPort}`, `:${this.port}`);
        if (!String(headers['content-type'] ?? '').includes('json')) {
          res.writeHead(reply.statusCode ?? 502, headers);
          reply.pipe(res);
          return;
        }
        // Small JSON replies: URLs in them (uploadUrl, session_endpoints) must lead back through the proxy too.
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('end', () => {
          const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replaceAll(`127.0.0.1:${this.upstreamPort}`, `127.0.0.1:${this.port}`));
          delete headers['transfer-encoding'];
          res.writeHead(reply.statusCode ?? 502, { ...headers, 'content-length': String(body.length) }).end(body);
        });
      };
      upstream.on('error', () => res.destroy());
      req.on('data', (chunk: Buffer) => {
        record.firstByteAtMs ??= Date.now();
        record.bodyBytes += chunk.length;
        const waitMs = this.cap.reserve(chunk.length, Date.now());
        if (waitMs > 0) {
          req.pause();
          setTimeout(() => req.resume(), waitMs);
        }
        upstream.write(chunk);
      });
      req.on('end', () => upstream.end());
      req.on('aborted', () => upstream.destroy());
      req.on('close', () => {
        if (!req.complete) upstream.destroy();
      });
    };
    if (requestDelayMs(action) > 0) setTimeout(start, requestDelayMs(action));
    else start();
  }
}
