import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { INTAKE_PATH, WS_PATH } from '../../../preload/contract/wire.js';
import { HoistError } from '../../domain/hoist-error.js';
import type { BridgeService } from '../bridge-service.js';
import { allowedHosts, bearerOf, contentSecurityPolicy, originAllowed, tokenMatches } from './request-checks.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';
import { serveBridgeSocket } from './ws-transport.js';

export interface UiServerOptions {
  service: BridgeService;
  /** Default 127.0.0.1. */
  host: string;
  /** 0 takes any free port. */
  port: number;
  /** Required on every data request (WebSocket, intake), on loopback too. */
  token: string;
  /** The built window (dist/renderer). */
  staticDir: string;
  /** Receives files dropped into the page (a tus server's handler), behind the token check. */
  intake?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export interface UiServer {
  /** The address to open, with the access token in the fragment (never sent to the server). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const NOT_BUILT = '<!doctype html><title>Hoist</title><p>The window is not built. Run <code>npm run build</code>.</p>';

/**
 * `hoist serve`'s window over HTTP: the static shell for anyone who can reach it (it holds no data), and the bridge
 * (WebSocket) and file intake only for requests that carry the access token, come from our own origin and name this
 * server in their Host header (DNS rebinding gets nothing).
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const files = loadStaticFiles(options.staticDir);
  let hosts = new Set<string>();
  const server = createServer((req, res) => void handle(req, res));
  // A dropped file of many GiB streams through one request: Node's 5-minute request limit would cut it.
  server.requestTimeout = 0;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hosts.has(req.headers.host ?? '')) return refuse(res, 403, 'Address this server as 127.0.0.1 or localhost.');
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === INTAKE_PATH.slice(0, -1) || path.startsWith(INTAKE_PATH)) {
      if (!options.intake) return refuse(res, 404, 'Not found.');
      if (!originAllowed(req.headers.origin, hosts)) return refuse(res, 403, 'Foreign origin.');
      if (!tokenMatches(bearerOf(req.headers.authorization), options.token)) return refuse(res, 401, 'The access token is missing or wrong.');
      try {
        await options.intake(req, res);
      } catch {
        if (!res.headersSent) refuse(res, 500, 'The file could not be received.');
        else res.destroy();
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.');
    const file = files.get(path === '/' ? '/index.html' : path);
    if (!file && path !== '/' && path !== '/index.html') return refuse(res, 404, 'Not found.');
    sendFile(res, req.headers.host!, file ?? { body: Buffer.from(NOT_BUILT), type: 'text/html; charset=utf-8', isImmutable: false }, req.method === 'HEAD');
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const deny = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== WS_PATH) return deny(404, 'Not Found');
    if (!hosts.has(req.headers.host ?? '') || !originAllowed(req.headers.origin, hosts)) return deny(403, 'Forbidden');
    if (!tokenMatches(url.searchParams.get('token'), options.token)) return deny(401, 'Unauthorized');
    sockets.handleUpgrade(req, socket, head, (ws) => serveBridgeSocket(ws, options.service));
  });

  await listen(server, options.host, options.port);
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(options.host, port);
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/#token=${options.token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets.clients) ws.terminate();
        sockets.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendFile(res: ServerResponse, hostHeader: string, file: StaticFile, isHead: boolean): void {
  res.writeHead(200, {
    'Content-Type': file.type,
    'Content-Length': file.body.length,
    'Cache-Control': file.isImmutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'Content-Security-Policy': contentSecurityPolicy(hostHeader),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  res.end(isHead ? undefined : file.body);
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new HoistError('invalid-argument', `Port ${port} is already in use; choose another with --port (0 takes any free port).`));
      else if (error.code === 'EACCES') reject(new HoistError('invalid-argument', `Not allowed to listen on port ${port}; choose a port above 1023 with --port.`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new HoistError('invalid-argument', `${host} is not an address of this machine (--host).`));
      else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
}

