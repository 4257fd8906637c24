import { ApideckEmulator } from '../../emulators/apideck-emulator.js';
import type { SoakProvider } from './soak-target.js';

const PART = 1024 * 1024;

export const apideckSoak: SoakProvider = {
  name: 'apideck',
  async start(dir) {
    const em = await ApideckEmulator.start({ storageDir: dir, connector: 'box', partSizeBytes: PART });
    return {
      upstreamUrl: em.url,
      destAddArgs: (viaProxy) => [
        '--provider', 'apideck', '--endpoint', viaProxy(em.url), '--token', 'apideck-test-key',
        '--app-id', 'test-app', '--consumer-id', 'test-consumer', '--service-id', 'box',
      ],
      async stored(name) {
        // Every finished session adds a file, so a second upload shows as a second file of the same name.
        const files = em.files().filter((f) => f.name === name);
        const last = files.at(-1);
        return last && { sha256: last.sha256, sizeBytes: last.size, writes: files.length };
      },
      storedNames: async () => em.files().map((f) => f.name),
      openSessions: async () => em.sessions().filter((s) => s.state === 'open').map((s) => ({ name: s.name, ref: s.id })),
      close: () => em.close(),
    };
  },
};
