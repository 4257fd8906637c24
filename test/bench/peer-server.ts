/**
 * Child-process entry for the peer benchmarks (tus, S3, Box, Apideck): runs one server in its own process (own CPU, own
 * event loop) with a small control server beside it, like graph-server.ts does for the Graph emulator.
 *
 *   node dist/test/bench/peer-server.js <tus|s3|box|apideck> <storageDir>
 *
 * Prints one JSON line on stdout: {"kind","pid","controlUrl",...} plus the kind's own addresses:
 *   tus      Hoist's receiver (`startReceiver`: real @tus/server + FileStore) at `receiverUrl`, and a counting proxy in
 *            front of it at `proxyUrl` (same process) that adds up the PATCH body bytes of every upload;
 *            GET /patches → { [uploadId]: { patchBytes, patches, cutShort } }
 *   s3       `startS3Server` (s3rver behind the test proxy + shim) at `endpoint`; its files live under `dataDir`
 *            (the parent sets TMPDIR to storageDir); GET /stats → bytes received, most parts in flight
 *   box      BoxEmulator, plus `sinkUrl` = PUT /sink/<name>: a raw single-request sink that costs the server what a
 *            chunked upload of the same bytes costs it (part write with SHA-1 + SHA-256, then the commit's assembly);
 *            GET /files, GET /sessions
 *   apideck  ApideckEmulator with the Box connector (SHA-1 digests on every part and on finish), plus `sinkUrl` with
 *            the emulator's per-byte path (stage with SHA-1, copy into the data file, hash it at finish);
 *            GET /files, GET /sessions
 * BENCH_PART_BYTES in the environment sets the part size the box and apideck servers ask for (default: theirs, 8 MiB).
 * Exits when stdin closes (the parent died or closed it) or on SIGTERM/SIGINT.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../../main/app/receive/receiver.js';
import { STAGING_DIR_NAME } from '../../main/app/receive/safe-relative-path.js';
import { ApideckEmulator } from '../emulators/apideck-emulator.js';
import { hashFile, stageBody, writeAtOffset } from '../emulators/apideck-storage.js';
import { receiveToFile } from '../emulators/box-body.js';
import { BoxEmulator } from '../emulators/box-emulator.js';
import { BoxStore } from '../emulators/box-store.js';
import { ThroughputCap } from '../emulators/faults.js';
import { startS3Server } from '../emulators/s3-server.js';

type Json = Record<string, unknown>;
type ControlRoute = (method: string, url: URL) => unknown;

interface Started {
  info: Json;
  /** Answers a control request, or undefined for "no such route". */
  control: ControlRoute;
  close(): Promise<void>;
}

const BENCH_BUCKET = 'bucket';

async function main(): Promise<void> {
  const [kind, storageDir] = process.argv.slice(2);
  if (!kind || !storageDir) throw new Error('usage: peer-server.js <tus|s3|box|apideck> <storageDir>');
  mkdirSync(storageDir, { recursive: true });
  const started = await startKind(kind, storageDir);

  const control = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    try {
      const answer = started.control(req.method ?? 'GET', url);
      if (answer === undefined) send(404, { error: `no control route ${req.method} ${url.pathname}` });
      else send(200, answer);
    } catch (error) {
      send(500, { error: String(error) });
    }
  });
  await listen(control);

  let isClosing = false;
  const shutdown = async (): Promise<void> => {
    if (isClosing) return;
    isClosing = true;
    control.closeAllConnections();
    control.close();
    // Bounded: a stuck request must not keep an orphaned server alive.
    const forced = setTimeout(() => process.exit(0), 5_000);
    forced.unref();
    await started.close().catch(() => {});
    process.exit(0);
  };
  process.stdin.on('end', () => void shutdown());
  process.stdin.on('close', () => void shutdown());
  process.stdin.resume();
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());

  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  process.stdout.write(`${JSON.stringify({ kind, pid: process.pid, controlUrl, ...started.info })}\n`);
}

function startKind(kind: string, storageDir: string): Promise<Started> {
  switch (kind) {
    case 'tus':
      return startTus(storageDir);
    case 's3':
      return startS3();
    case 'box':
      return startBox(storageDir);
    case 'apideck':
      return startApideck(storageDir);
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

// ---- tus: Hoist's receiver + a counting proxy ----------------------------------------------------------------------

interface PatchCount {
  patchBytes: number;
  patches: number;
  /** PATCH requests whose client went away before the reply. */
  cutShort: number;
}

async function startTus(storageDir: string): Promise<Started> {
  const receiveDir = join(storageDir, 'received');
  const receiver = await startReceiver({ dir: receiveDir, port: 0 });
  const upstreamPort = Number(new URL(receiver.url).port);
  const counts = new Map<string, PatchCount>();
  const proxy = createServer({ requestTimeout: 0 }, (req, res) => proxyRequest(req, res, upstreamPort, counts));
  await listen(proxy);
  const proxyPort = (proxy.address() as AddressInfo).port;
  return {
    info: {
      receiverUrl: receiver.url,
      proxyUrl: `http://127.0.0.1:${proxyPort}${new URL(receiver.url).pathname}`,
      receiveDir,
      stagingDir: join(receiveDir, STAGING_DIR_NAME),
    },
    control: (method, url) => {
      if (method === 'GET' && url.pathname === '/patches') return Object.fromEntries(counts);
      return undefined;
    },
    close: async () => {
      proxy.closeAllConnections();
      proxy.close();
      await receiver.close();
    },
  };
}

/**
 * Forwards one request to the receiver and counts the PATCH body bytes that reached the proxy. When the client dies
 * mid-body, what already arrived is handed on before the upstream connection is cut as the client's was, so the
 * receiver gets every byte the proxy counted (a plain destroy would drop the proxy's own write buffer).
 */
function proxyRequest(req: IncomingMessage, res: ServerResponse, upstreamPort: number, counts: Map<string, PatchCount>): void {
  const path = req.url ?? '/';
  const id = /^\/files\/([^/?#]+)/.exec(path)?.[1];
  let count: PatchCount | undefined;
  if (req.method === 'PATCH' && id !== undefined) {
    count = counts.get(id) ?? { patchBytes: 0, patches: 0, cutShort: 0 };
    counts.set(id, count);
    count.patches += 1;
  }
  const upstream = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path, headers: req.headers, agent: false }, (reply) => {
    res.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  if (count) {
    const c = count;
    req.on('data', (chunk: Buffer) => {
      c.patchBytes += chunk.length;
    });
  }
  req.pipe(upstream);
  res.on('close', () => {
    if (res.writableFinished) return;
    if (count) count.cutShort += 1;
    req.unpipe(upstream);
    const cut = (): void => {
      upstream.destroy();
    };
    if (upstream.writableLength > 0) {
      upstream.once('drain', cut);
      setTimeout(cut, 2_000).unref();
    } else {
      setImmediate(cut);
    }
  });
}

// ---- S3: s3rver behind the test proxy + shim -----------------------------------------------------------------------

async function startS3(): Promise<Started> {
  const before = new Set(readdirSync(tmpdir()));
  const server = await startS3Server({ bucket: BENCH_BUCKET });
  const dirs = readdirSync(tmpdir()).filter((n) => n.startsWith('hoist-s3rver-') && !before.has(n));
  if (dirs.length !== 1) throw new Error(`cannot tell which directory under ${tmpdir()} s3rver uses (${dirs.join(', ') || 'none'})`);
  return {
    info: { endpoint: server.endpoint, bucket: server.bucket, dataDir: join(tmpdir(), dirs[0]!) },
    control: (method, url) => {
      if (method === 'GET' && url.pathname === '/stats') {
        const stats = { bytesReceivedTotal: server.bytesReceivedTotal(), maxConcurrentParts: server.maxConcurrent('s3.part'), requests: server.requests.length };
        // The request log keeps every request's headers: drop it once read so a long bench stays flat.
        server.requests.length = 0;
        return stats;
      }
      return undefined;
    },
    close: () => server.close(),
  };
}

// ---- Box: emulator + raw sink --------------------------------------------------------------------------------------

async function startBox(storageDir: string): Promise<Started> {
  const partBytes = benchPartBytes();
  const emulator = await BoxEmulator.start({ storageDir: join(storageDir, 'box'), ...(partBytes ? { partSizeBytes: () => partBytes } : {}) });
  const sinkStore = new BoxStore(join(storageDir, 'box-sink'));
  const cap = new ThroughputCap(undefined);
  const sink = await startSink(async (req, name) => {
    // A part upload: body to disk with SHA-1 + SHA-256 (receiveToFile), then a commit: assemble (read, both hashes, write).
    const partPath = join(sinkStore.storageDir, 'parts', `${name}.part`);
    const got = await receiveToFile(req, partPath, cap, { bytes: 0 }, () => {});
    const assembled = await sinkStore.assemble([{ partId: 'sink', offset: 0, size: got.bytes, sha1Hex: got.sha1.toString('hex'), path: partPath, storedAtMs: Date.now() }]);
    const storagePath = join(sinkStore.storageDir, 'files', name);
    await rename(assembled.path, storagePath);
    await rm(partPath, { force: true });
    return { size: got.bytes, sha1: assembled.sha1.toString('hex'), sha256: assembled.sha256.toString('hex'), storagePath };
  });
  return {
    info: { url: emulator.url, uploadBaseUrl: emulator.uploadBaseUrl, apiBaseUrl: emulator.apiBaseUrl, sinkUrl: sink.url },
    control: (method, url) => {
      if (method === 'GET' && url.pathname === '/files') return emulator.files();
      if (method === 'GET' && url.pathname === '/sessions') return emulator.sessions();
      return undefined;
    },
    close: async () => {
      await sink.close();
      await emulator.close();
    },
  };
}

/** The part size asked for by BENCH_PART_BYTES, or undefined for the emulator's own. */
function benchPartBytes(): number | undefined {
  const bytes = Number(process.env.BENCH_PART_BYTES ?? 0);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

// ---- Apideck: emulator (Box connector) + raw sink ------------------------------------------------------------------

async function startApideck(storageDir: string): Promise<Started> {
  const emulator = await ApideckEmulator.start({ storageDir: join(storageDir, 'apideck'), connector: 'box', partSizeBytes: benchPartBytes() });
  const sinkDir = join(storageDir, 'apideck-sink');
  mkdirSync(sinkDir, { recursive: true });
  const cap = new ThroughputCap(undefined);
  const sink = await startSink(async (req, name) => {
    // The emulator's path for every byte: staged with SHA-1, copied into the session's data file, hashed at finish.
    const tmpPath = join(sinkDir, `${name}.part.tmp`);
    const dataPath = join(sinkDir, `${name}.data`);
    await writeFile(dataPath, '');
    await stageBody(req, cap, tmpPath, () => {});
    await writeAtOffset(tmpPath, dataPath, 0);
    await rm(tmpPath, { force: true });
    const digests = await hashFile(dataPath);
    const storagePath = join(sinkDir, name);
    await rename(dataPath, storagePath);
    return { size: digests.sizeBytes, sha1: digests.sha1Hex, sha256: digests.sha256Hex, storagePath };
  });
  return {
    info: { url: emulator.url, sinkUrl: sink.url },
    control: (method, url) => {
      if (method === 'GET' && url.pathname === '/files') return emulator.files();
      if (method === 'GET' && url.pathname === '/sessions') return emulator.sessions();
      return undefined;
    },
    close: async () => {
      await sink.close();
      await emulator.close();
    },
  };
}

// ---- shared --------------------------------------------------------------------------------------------------------

/** `PUT /sink/<name>` → 201 with the handler's JSON. One request = one whole file; names are plain file names. */
async function startSink(store: (req: IncomingMessage, name: string) => Promise<Json>): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    const name = /^\/sink\/([A-Za-z0-9._-]+)$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'PUT' || !name || name === '.' || name === '..') {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"PUT /sink/<name>"}');
      return;
    }
    store(req, name).then(
      (body) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (error: unknown) => {
        if (req.destroyed || res.destroyed) return;
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      },
    );
  });
  await listen(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sink`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`peer-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
