/**
 * A small HTTP proxy for tests, on 127.0.0.1: absolute-URI requests for http targets (forwarded over keep-alive
 * connections) and CONNECT tunnels for https targets. It records what passed through it, can require Basic
 * credentials (407 otherwise) and can refuse everything with a fixed status.
 */
import { Agent, createServer, request, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxyRecord {
  kind: 'forward' | 'connect';
  method: string;
  /** host:port of the target. */
  target: string;
  /** Path of a forwarded request ('' for CONNECT). */
  path: string;
  /** The Proxy-Authorization header as received. */
  proxyAuthorization: string | undefined;
  /** What the proxy answered: 200 for a tunnel opened, the target's status for a forwarded request, or a refusal. */
  status: number;
  /** Request body bytes forwarded (tunnels: bytes from the client through the tunnel). */
  bodyBytes: number;
}

export interface HttpProxyOptions {
  /** 'user:password': without matching Basic credentials every request gets 407. */
  credentials?: string;
  /** Answer every request and CONNECT with this status (e.g. 407, 502). */
  refuseWith?: number;
}

const HOP_BY_HOP = ['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive', 'expect'];

export class HttpProxy {
  readonly url: string;
  readonly host: string;
  readonly records: ProxyRecord[] = [];
  /** TCP connections clients opened to the proxy (fewer than records when connections are kept alive). */
  connections = 0;

  private readonly sockets = new Set<Duplex>();
  private readonly upstream = new Agent({ keepAlive: true });

  private constructor(private readonly server: Server, private readonly options: HttpProxyOptions) {
    const { port } = server.address() as AddressInfo;
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
  }

  static async start(options: HttpProxyOptions = {}): Promise<HttpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new HttpProxy(server, options);
    server.on('connection', (socket: Socket) => {
      proxy.connections++;
      proxy.track(socket);
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.forward(req, res));
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => proxy.tunnel(req, socket, head));
    return proxy;
  }

  /** The proxy URL with credentials in it, as a user would put it in HTTPS_PROXY. */
  urlWith(user: string, password: string): string {
    return `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.host}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.upstream.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private refusal(req: IncomingMessage): number | undefined {
    if (this.options.refuseWith !== undefined) return this.options.refuseWith;
    const expected = this.options.credentials && `Basic ${Buffer.from(this.options.credentials).toString('base64')}`;
    return expected && req.headers['proxy-authorization'] !== expected ? 407 : undefined;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const record: ProxyRecord = { kind: 'forward', method: req.method ?? 'GET', target: '', path: '', proxyAuthorization: req.headers['proxy-authorization'], status: 0, bodyBytes: 0 };
    this.records.push(record);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      record.status = 400;
      res.writeHead(400).end('absolute URI required');
      return;
    }
    record.target = target.host;
    record.path = `${target.pathname}${target.search}`;
    const refused = this.refusal(req);
    if (refused !== undefined) {
      record.status = refused;
      req.resume();
      res.writeHead(refused, refused === 407 ? { 'proxy-authenticate': 'Basic realm="test"' } : {}).end(STATUS_CODES[refused]);
      return;
    }
    const headers: IncomingHttpHeaders = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    const out = request({ host: target.hostname, port: target.port || 80, method: req.method, path: record.path, headers, agent: this.upstream }, (reply) => {
      record.status = reply.statusCode ?? 0;
      const replyHeaders: IncomingHttpHeaders = { ...reply.headers };
      for (const name of HOP_BY_HOP) delete replyHeaders[name];
      res.writeHead(reply.statusCode ?? 502, replyHeaders);
      reply.pipe(res);
    });
    out.on('error', () => {
      record.status = record.status || 502;
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => !res.writableFinished && out.destroy());
    req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
    req.pipe(out);
  }

  private tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const record: ProxyRecord = { kind: 'connect', method: 'CONNECT', target: req.url ?? '', path: '', proxyAuthorization: req.headers['proxy-authorization'], status: 0, bodyBytes: head.length };
    this.records.push(record);
    this.track(client);
    const refused = this.refusal(req);
    if (refused !== undefined) {
      record.status = refused;
      const challenge = refused === 407 ? 'Proxy-Authenticate: Basic realm="test"\r\n' : '';
      client.end(`HTTP/1.1 ${refused} ${STATUS_CODES[refused]}\r\n${challenge}Content-Length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = splitHostPort(record.target);
    const server = connect(port, host, () => {
      record.status = 200;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) server.write(head);
      client.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
      client.pipe(server);
      server.pipe(client);
    });
    this.track(server);
    server.on('error', () => {
      if (record.status === 0) {
        record.status = 502;
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      } else client.destroy();
    });
    client.on('error', () => server.destroy());
    client.on('close', () => server.destroy());
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }
}

function splitHostPort(target: string): [string, number] {
  const at = target.lastIndexOf(':');
  return [target.slice(0, at).replace(/^\[|\]$/g, ''), Number(target.slice(at + 1))];
}
