import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startReceiver } from '../../../main/app/receive/receiver.js';
import { STAGING_DIR_NAME, targetNameOf } from '../../../main/app/receive/safe-relative-path.js';
import { sha256File } from '../../support/cli.js';
import type { SoakProvider } from './soak-target.js';

const CHUNK = 2 * 1024 * 1024;

interface TusInfo {
  id: string;
  metadata?: Record<string, string | null>;
  hoist_delivered_path?: string;
}

/** Hoist's own receiver (@tus/server): finished files land in the folder, each upload's info file stays in staging. */
export const tusSoak: SoakProvider = {
  name: 'tus',
  async start(dir) {
    const receiver = await startReceiver({ dir, port: 0 });
    const staging = join(dir, STAGING_DIR_NAME);
    const infos = async (): Promise<TusInfo[]> => {
      const names = (await readdir(staging)).filter((n) => n.endsWith('.json'));
      return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(staging, n), 'utf8')) as TusInfo));
    };
    return {
      upstreamUrl: receiver.url,
      destAddArgs: (viaProxy) => ['--provider', 'tus', '--endpoint', viaProxy(receiver.url), '--part-size', String(CHUNK)],
      async stored(name) {
        const path = join(dir, name);
        if (!existsSync(path)) return undefined;
        const writes = (await infos()).filter((i) => i.hoist_delivered_path !== undefined && targetNameOf(i.metadata, i.id) === name).length;
        return { sha256: await sha256File(path), sizeBytes: (await stat(path)).size, writes };
      },
      storedNames: async () => (await readdir(dir)).filter((n) => n !== STAGING_DIR_NAME),
      openSessions: async () => (await infos()).filter((i) => i.hoist_delivered_path === undefined).map((i) => ({ name: targetNameOf(i.metadata, i.id), ref: `/${i.id}` })),
      close: () => receiver.close(),
    };
  },
};
