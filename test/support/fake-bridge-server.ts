/**
 * A development fake of `hoist serve` for the renderer: serves dist/renderer under the real CSP and speaks the wire
 * protocol of preload/contract/wire.ts with canned data and ticking progress. Not shipped, not used by tests.
 *
 *   npm run build:renderer
 *   npx esbuild test/support/fake-bridge-server.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=test-results/renderer-dev/fake-bridge-server.mjs
 *   node test-results/renderer-dev/fake-bridge-server.mjs [--port 7421] [--token dev] [--many 10000] [--empty]
 *   open http://127.0.0.1:7421/#token=dev
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import { WebSocketServer } from 'ws';
import { BridgeError, INTAKE_PATH, WS_PATH, type CallMessage, type ResultMessage } from '../../preload/contract/index.js';
import { FakeHoist, type FakeClient } from './fake-hoist.js';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : (process.argv[at + 1] ?? '');
};
const port = Number(arg('port') ?? 7421);
const token = arg('token') ?? 'dev';
const many = process.argv.includes('--many') ? Number(arg('many') || 10_000) : 0;
const isEmpty = process.argv.includes('--empty');
const root = resolve(arg('root') ?? 'dist/renderer');

const hoist = new FakeHoist({ many, isEmpty });

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

function csp(host: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const file = normalize(join(root, path === '/' ? 'index.html' : decodeURIComponent(path)));
  if (!file.startsWith(root)) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': csp(req.headers.host ?? ''), 'Cache-Control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found. Run npm run build:renderer first.\n');
  }
}

const intakeDir = await mkdtemp(join(tmpdir(), 'hoist-fake-intake-'));
const tus = new TusServer({
  path: INTAKE_PATH.slice(0, -1),
  datastore: new FileStore({ directory: intakeDir }),
  onUploadFinish: async (_req, upload) => {
    const meta = upload.metadata ?? {};
    hoist.receiveFile(meta.filename ?? 'file', upload.size ?? 0, meta.destination || undefined);
    return {};
  },
});

const server = createServer((req, res) => {
  if ((req.url ?? '').startsWith(INTAKE_PATH.slice(0, -1))) {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('The access token is missing or wrong.\n');
      return;
    }
    void tus.handle(req, res);
    return;
  }
  void serveStatic(req, res);
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== WS_PATH || url.searchParams.get('token') !== token) {
    socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const client: FakeClient = { parts: new Set(), sentParts: new Map(), queue: [], send: (message) => ws.send(JSON.stringify(message)) };
    hoist.connect(client);
    ws.on('close', () => hoist.disconnect(client));
    ws.on('message', (data) => {
      const call = JSON.parse(String(data)) as CallMessage;
      void hoist
        .call(client, call.command, call.args)
        .then((value): ResultMessage => ({ t: 'result', id: call.id, ok: true, value: value ?? null }))
        .catch((error: unknown): ResultMessage => {
          const bridgeError = error instanceof BridgeError ? error : new BridgeError('internal', String(error));
          return { t: 'result', id: call.id, ok: false, error: { code: bridgeError.code, message: bridgeError.message } };
        })
        .then((result) => ws.send(JSON.stringify(result)));
    });
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`fake hoist serve: http://127.0.0.1:${port}/#token=${token}`);
});
