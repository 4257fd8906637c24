import { BoxEmulator } from '../../emulators/box-emulator.js';
import type { SoakProvider } from './soak-target.js';

/** Box's own rules: 8 MiB parts, files under 20 MB in one plain upload; conflict policy "version". */
export const boxSoak: SoakProvider = {
  name: 'box',
  async start(dir) {
    const em = await BoxEmulator.start({ storageDir: dir });
    return {
      // Upload host, API host and session host are path prefixes of one port: one proxy fronts all three.
      upstreamUrl: em.url,
      destAddArgs: (viaProxy) => ['--provider', 'box', '--endpoint', viaProxy(em.uploadBaseUrl), '--api-endpoint', viaProxy(em.apiBaseUrl), '--token', 'box-test-token'],
      async stored(name) {
        const file = em.files().find((f) => f.name === name && f.folderId === '0');
        return file && { sha256: file.sha256, sizeBytes: file.size, writes: file.versions };
      },
      storedNames: async () => em.files().filter((f) => f.folderId === '0').map((f) => f.name),
      openSessions: async () => em.sessions().filter((s) => s.state === 'open').map((s) => ({ name: s.fileName, ref: s.id })),
      close: () => em.close(),
    };
  },
};
