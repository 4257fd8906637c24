import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startReceiver } from '../../main/app/receive/receiver.js';
import { TusProtocol } from '../../main/protocols/tus-protocol.js';
import { FaultProxy } from '../emulators/fault-proxy.js';
import type { ConformanceFixture } from './fixture.js';
import { faultAction } from './fault-actions.js';
import { sha256Of } from './graph-fixture.js';

const CHUNK = 1024 * 1024;

/** The real @tus/server (Hoist's own receiver) behind a fault proxy. */
export const tusFixture: ConformanceFixture = {
  name: 'tus',
  async start(dir) {
    const receiver = await startReceiver({ dir, port: 0 });
    const proxy = await FaultProxy.start(receiver.url, (req) => {
      const method = req.method === 'POST' && req.headers['x-http-method-override'] ? String(req.headers['x-http-method-override']) : req.method;
      return `tus.${(method ?? 'GET').toLowerCase()}`;
    });
    const endpoint = `http://127.0.0.1:${proxy.port}/files/`;
    const patches = () => proxy.requests.filter((r) => r.op === 'tus.patch' && r.status === 204);
    return {
      partBytes: CHUNK,
      inFlightParts: 1,
      resendableParts: 1,
      protocol: () => new TusProtocol({ endpoint, chunkSizeBytes: CHUNK }),
      destAddArgs: () => ['--provider', 'tus', '--endpoint', endpoint, '--part-size', String(CHUNK)],
      async committedSha256(remotePath) {
        const path = join(dir, remotePath);
        return existsSync(path) ? sha256Of(path) : undefined;
      },
      bytesReceived: () => proxy.requests.filter((r) => r.op === 'tus.patch').reduce((sum, r) => sum + r.bodyBytes, 0),
      storedBytes: () => Number(patches().at(-1)?.headers['upload-offset'] ?? 0),
      sessionsCreated: () => proxy.requests.filter((r) => r.op === 'tus.post' && r.status === 201).length,
      setThroughput: (bps) => proxy.setThroughput(bps),
      inject: (fault, nth, times) => proxy.faults.add({ op: 'tus.patch', nth, times, action: faultAction(fault) }),
      clearFaults: () => proxy.faults.clear(),
      expireSessions: () => {
        // The receiver forgets every unfinished upload (expired and swept): the next HEAD gets 404.
        const staging = join(dir, '.hoist-receive');
        for (const name of readdirSync(staging)) rmSync(join(staging, name), { recursive: true, force: true });
      },
      losePart: () => false,
      close: async () => {
        await proxy.close();
        await receiver.close();
      },
    };
  },
};
