/**
 * Child-process entry for benchmarks: runs the Graph emulator in its own process (own CPU, own event loop) and a small
 * control server beside it, so the measuring process can read the emulator's state without sharing its event loop.
 *
 *   node dist/test/bench/graph-server.js <storageDir> [throughputBytesPerSec]
 *
 * Prints one JSON line on stdout: {"url","graphBaseUrl","controlUrl","pid"}. Control routes (127.0.0.1 only):
 *   GET  /sessions              → GraphEmulator.sessions()
 *   GET  /items                 → GraphEmulator.items()
 *   POST /throughput?bps=N      → setThroughput(N); without bps (or bps=0) removes the cap
 *   GET  /activity              → first request and last reply times since the last reset
 *   POST /activity/reset        → starts a new activity window
 *   POST /reply-delay?ms=N      → every fragment PUT's reply is held N ms after its body was read (0 or none: prompt)
 *   GET  /puts                  → every fragment PUT so far: { contentRange, status, bodyBytes } in arrival order
 * Exits when stdin closes (the parent died or closed it) or on SIGTERM/SIGINT.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphEmulator } from '../emulators/graph-emulator.js';

async function main(): Promise<void> {
  const storageDir = process.argv[2];
  if (!storageDir) throw new Error('usage: graph-server.js <storageDir> [throughputBytesPerSec]');
  const initialCap = process.argv[3] ? Number(process.argv[3]) : undefined;
  const emulator = await GraphEmulator.start({ storageDir, throughputBytesPerSec: initialCap || undefined });

  const control = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    try {
      if (req.method === 'GET' && url.pathname === '/sessions') return send(200, emulator.sessions());
      if (req.method === 'GET' && url.pathname === '/items') return send(200, emulator.items());
      if (req.method === 'GET' && url.pathname === '/activity') return send(200, emulator.activity());
      if (req.method === 'POST' && url.pathname === '/activity/reset') return send(200, emulator.resetActivity() ?? {});
      if (req.method === 'GET' && url.pathname === '/puts') {
        const puts = emulator.requests.filter((r) => r.op === 'graph.put');
        return send(200, puts.map((r) => ({ contentRange: r.contentRange ?? null, status: r.status, bodyBytes: r.bodyBytes })));
      }
      if (req.method === 'POST' && url.pathname === '/reply-delay') {
        const ms = Number(url.searchParams.get('ms') ?? 0);
        if (!Number.isFinite(ms) || ms < 0) return send(400, { error: 'ms must be a non-negative number' });
        emulator.faults.clear();
        if (ms > 0) emulator.faults.add({ op: 'graph.put', times: Infinity, action: { type: 'delay', ms, phase: 'after-body' } });
        return send(200, { replyDelayMs: ms });
      }
      if (req.method === 'POST' && url.pathname === '/throughput') {
        const bps = Number(url.searchParams.get('bps') ?? 0);
        if (!Number.isFinite(bps) || bps < 0) return send(400, { error: 'bps must be a non-negative number' });
        emulator.setThroughput(bps > 0 ? bps : undefined);
        return send(200, { bytesPerSec: bps > 0 ? bps : null });
      }
      send(404, { error: `no control route ${req.method} ${url.pathname}` });
    } catch (error) {
      send(500, { error: String(error) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = control.address() as AddressInfo;

  let isClosing = false;
  const shutdown = async (): Promise<void> => {
    if (isClosing) return;
    isClosing = true;
    control.closeAllConnections();
    control.close();
    // Bounded: a stuck request must not keep an orphaned emulator alive.
    const forced = setTimeout(() => process.exit(0), 5_000);
    forced.unref();
    await emulator.close().catch(() => {});
    process.exit(0);
  };
  process.stdin.on('end', () => void shutdown());
  process.stdin.on('close', () => void shutdown());
  process.stdin.resume();
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());

  process.stdout.write(
    `${JSON.stringify({ url: emulator.url, graphBaseUrl: emulator.graphBaseUrl, controlUrl: `http://127.0.0.1:${port}`, pid: process.pid })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`graph-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
