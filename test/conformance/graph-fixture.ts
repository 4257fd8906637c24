import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { GraphProtocol } from '../../main/protocols/graph-protocol.js';
import type { ConformanceFixture, GenericFault } from './fixture.js';
import { faultAction } from './fault-actions.js';

const FRAGMENT = 327_680 * 3;

export const graphFixture: ConformanceFixture = {
  name: 'graph',
  async start(dir) {
    const em = await GraphEmulator.start({ storageDir: dir });
    return {
      partBytes: FRAGMENT,
      inFlightParts: 1,
      resendableParts: 1,
      protocol: () =>
        new GraphProtocol({ endpoint: em.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: FRAGMENT, accessToken: async () => 'graph-test-token' }),
      destAddArgs: () => ['--provider', 'graph', '--endpoint', em.graphBaseUrl, '--token', 'graph-test-token', '--fragment-size', String(FRAGMENT)],
      async committedSha256(remotePath) {
        const item = em.items().find((i) => i.path === remotePath);
        return item ? sha256Of(item.storagePath) : undefined;
      },
      bytesReceived: () => em.sessions().reduce((sum, s) => sum + s.bytesReceivedTotal, 0),
      storedBytes: () => em.sessions().filter((s) => s.state === 'open').at(-1)?.receivedBytes ?? 0,
      sessionsCreated: () => em.sessions().length,
      setThroughput: (bps) => em.setThroughput(bps),
      inject: (fault: GenericFault, nth, times) => em.faults.add({ op: fault === 'malformed-reply' ? 'graph.put' : 'graph.put', nth, times, action: faultAction(fault) }),
      clearFaults: () => em.faults.clear(),
      expireSessions: () => em.expireAllSessions(),
      // One writer, sequential bytes: the server can only lose its tail, never a middle fragment.
      losePart: () => false,
      close: () => em.close(),
    };
  },
};

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
