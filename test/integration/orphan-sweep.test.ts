import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { sweepOrphans } from '../../main/engine/orphan-sweep.js';
import { planParts } from '../../main/domain/part-plan.js';
import { S3Protocol } from '../../main/protocols/s3-protocol.js';
import { Store } from '../../main/store/store.js';
import { S3_TEST_ACCESS_KEY_ID, S3_TEST_REGION, S3_TEST_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from '../emulators/s3-server.js';
import { removeDir, tempDir } from '../support/cli.js';

const MiB = 1024 * 1024;
let server: S3TestServer | undefined;
let work: string | undefined;
afterEach(async () => {
  await server?.close();
  if (work) removeDir(work);
  server = undefined;
  work = undefined;
});

describe('orphans on the servers', () => {
  it('aborts a session a newer one replaced, and old S3 uploads no job resumes, keeping the ones Hoist still resumes', async () => {
    server = await startS3Server();
    work = tempDir('orphans');
    const store = Store.open(join(work, 'hoist.db'));
    const config = { endpoint: server.endpoint, region: S3_TEST_REGION, bucket: server.bucket, forcePathStyle: true, accessKeyId: S3_TEST_ACCESS_KEY_ID, secretAccessKey: async () => S3_TEST_SECRET_ACCESS_KEY, prefix: 'hoist/' };
    const protocol = new S3Protocol(config);
    try {
      const dest = store.destinations.add('s3', 's3', {}, Date.now());
      const job = store.jobs.create({ destinationId: dest.id, localPath: '/data/a.bin', remotePath: '/a.bin', sizeBytes: 20 * MiB, mtimeMs: 1, inode: null }, Date.now());
      const signal = AbortSignal.timeout(20_000);
      const target = { remotePath: '/a.bin', sizeBytes: 20 * MiB, mtimeMs: 1 };
      const first = await protocol.createSession(target, signal);
      const second = await protocol.createSession(target, signal);
      const stray = await protocol.createSession({ ...target, remotePath: '/left-by-a-crash.bin' }, signal);
      const young = await protocol.createSession({ ...target, remotePath: '/started-today.bin' }, signal);
      const parts = planParts(0, 20 * MiB, 5 * MiB);
      const replaced = store.sessions.open({ jobId: job.id, provider: 's3', ...first }, parts, Date.now());
      const current = store.sessions.open({ jobId: job.id, provider: 's3', ...second }, parts, Date.now());
      expect(store.sessions.get(replaced.id)?.state).toBe('abandoned');
      for (const s of [second, stray]) await server.backdateUpload(s.remoteSessionId!, 8 * 24 * 3_600_000);

      const lines: string[] = [];
      const result = await sweepOrphans({ store, protocolFor: async () => protocol, log: (l) => lines.push(l) }, signal);

      expect(result).toEqual({ sessions: 1, uploads: 1 });
      expect(store.sessions.get(replaced.id)?.state).toBe('aborted');
      expect(store.sessions.get(current.id)?.state).toBe('open');
      const left = (await server.uploads()).map((u) => u.uploadId).sort();
      expect(left).toEqual([second.remoteSessionId, young.remoteSessionId].sort());
      expect(lines).toEqual(['discarded 1 replaced session(s) and 1 abandoned upload(s) on the servers']);
      // Nothing left to do the second time.
      expect(await sweepOrphans({ store, protocolFor: async () => protocol, log: () => undefined }, signal)).toEqual({ sessions: 0, uploads: 0 });
    } finally {
      protocol.destroy();
      store.close();
    }
  });
});
