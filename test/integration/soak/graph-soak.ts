import { GraphEmulator } from '../../emulators/graph-emulator.js';
import type { SoakProvider } from './soak-target.js';

// 1.25 MiB fragments: many requests per file, so about one in ten faulted still hits most files.
const FRAGMENT = 327_680 * 4;

export const graphSoak: SoakProvider = {
  name: 'graph',
  async start(dir) {
    const em = await GraphEmulator.start({ storageDir: dir });
    return {
      upstreamUrl: em.url,
      destAddArgs: (viaProxy) => ['--provider', 'graph', '--endpoint', viaProxy(em.graphBaseUrl), '--token', 'graph-test-token', '--fragment-size', String(FRAGMENT)],
      async stored(name) {
        const item = em.items().find((i) => i.path === `/${name}`);
        if (!item) return undefined;
        // Conflict behaviour "replace": a second upload leaves one item, but a second completed session or simple upload.
        const sessions = em.sessions().filter((s) => s.path === `/${name}` && s.state === 'completed').length;
        const simple = em.requests.filter((r) => r.op === 'graph.simple' && (r.status === 200 || r.status === 201) && decodeURIComponent(r.path).includes(`:/${name}:/content`));
        return { sha256: item.sha256, sizeBytes: item.size, writes: sessions + simple.length };
      },
      storedNames: async () => em.items().map((i) => i.path.slice(1)),
      openSessions: async () => em.sessions().filter((s) => s.state === 'open').map((s) => ({ name: s.path.slice(1), ref: new URL(s.uploadUrl).pathname })),
      close: () => em.close(),
    };
  },
};
