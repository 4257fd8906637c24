import { BoxEmulator } from '../emulators/box-emulator.js';
import { BoxProtocol } from '../../main/protocols/box-protocol.js';
import type { ConformanceFixture } from './fixture.js';
import { faultAction } from './fault-actions.js';
import { sha256Of } from './graph-fixture.js';

// Box's own rules: the server picks 8 MiB parts and files under 20 MB take the plain upload.
const PART = 8 * 1024 * 1024;

export const boxFixture: ConformanceFixture = {
  name: 'box',
  async start(dir) {
    const em = await BoxEmulator.start({ storageDir: dir });
    const open = () => em.sessions().filter((s) => s.state === 'open').at(-1);
    return {
      partBytes: PART,
      inFlightParts: 4,
      resendableParts: 4,
      protocol: () =>
        new BoxProtocol({ uploadEndpoint: em.uploadBaseUrl, apiEndpoint: em.apiBaseUrl, folderId: '0', conflictPolicy: 'version', accessToken: async () => 'box-test-token', sleep: async () => undefined }),
      destAddArgs: () => ['--provider', 'box', '--endpoint', em.uploadBaseUrl, '--api-endpoint', em.apiBaseUrl, '--token', 'box-test-token'],
      async committedSha256(remotePath) {
        const name = remotePath.split('/').pop();
        const file = em.files().find((f) => f.name === name);
        return file ? sha256Of(file.storagePath) : undefined;
      },
      bytesReceived: () => em.sessions().reduce((sum, s) => sum + s.bytesReceivedTotal, 0),
      storedBytes: () => (open()?.partsStored ?? 0) * PART,
      sessionsCreated: () => em.sessions().length,
      setThroughput: (bps) => em.setThroughput(bps),
      inject: (fault, nth, times) => em.faults.add({ op: 'box.part', nth, times, action: faultAction(fault) }),
      clearFaults: () => em.faults.clear(),
      expireSessions: () => em.sessions().filter((s) => s.state === 'open').forEach((s) => em.expireSession(s.id)),
      losePart: () => {
        const session = open();
        if (!session || session.partsStored < 2) return false;
        // Parts arrive in parallel, so drop whichever stored part comes first after the first one.
        for (let index = 1; index * PART < session.fileSizeBytes; index++) {
          try {
            em.dropPart(session.id, index * PART);
            return true;
          } catch {
            // not stored yet: try the next part
          }
        }
        return false;
      },
      close: () => em.close(),
    };
  },
};
