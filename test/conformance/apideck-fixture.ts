import { ApideckEmulator } from '../emulators/apideck-emulator.js';
import { ApideckProtocol } from '../../main/protocols/apideck-protocol.js';
import type { ConformanceFixture } from './fixture.js';
import { faultAction } from './fault-actions.js';
import { sha256Of } from './graph-fixture.js';

const PART = 1024 * 1024;

export const apideckFixture: ConformanceFixture = {
  name: 'apideck',
  async start(dir) {
    const em = await ApideckEmulator.start({ storageDir: dir, connector: 'box', partSizeBytes: PART });
    const config = { endpoint: em.url, appId: 'test-app', consumerId: 'test-consumer', serviceId: 'box', folderId: 'root', accessToken: async () => 'apideck-test-key' };
    return {
      partBytes: PART,
      inFlightParts: 4,
      // uploaded_byte_range covers only the contiguous prefix: parts stored after a gap (up to 3 with 4 in flight) go again.
      resendableParts: 7,
      protocol: () => new ApideckProtocol(config),
      destAddArgs: () => ['--provider', 'apideck', '--endpoint', em.url, '--token', 'apideck-test-key', '--app-id', 'test-app', '--consumer-id', 'test-consumer', '--service-id', 'box'],
      async committedSha256(remotePath) {
        const name = remotePath.split('/').pop();
        const file = em.files().filter((f) => f.name === name).at(-1);
        return file ? sha256Of(file.storagePath) : undefined;
      },
      bytesReceived: () => em.sessions().reduce((sum, s) => sum + s.bytesReceivedTotal, 0),
      storedBytes: () => (em.sessions().filter((s) => s.state === 'open').at(-1)?.partsStored.length ?? 0) * PART,
      sessionsCreated: () => em.sessions().length,
      setThroughput: (bps) => em.setThroughput(bps),
      inject: (fault, nth, times) => em.faults.add({ op: 'apideck.part', nth, times, action: faultAction(fault) }),
      clearFaults: () => em.faults.clear(),
      expireSessions: () => em.sessions().filter((s) => s.state === 'open').forEach((s) => em.expireSession(s.id)),
      losePart: () => {
        const session = em.sessions().filter((s) => s.state === 'open').at(-1);
        const part = session?.partsStored[1];
        if (!session || part === undefined) return false;
        em.dropPart(session.id, part);
        return true;
      },
      close: () => em.close(),
    };
  },
};
