import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3_TEST_ACCESS_KEY_ID, S3_TEST_REGION, S3_TEST_SECRET_ACCESS_KEY, startS3Server } from '../../emulators/s3-server.js';
import type { SoakProvider } from './soak-target.js';

const PART = 5 * 1024 * 1024;

/** s3rver behind its shim; path-style URLs, XML replies (nothing for the proxy to rewrite). */
export const s3Soak: SoakProvider = {
  name: 's3',
  async start() {
    const server = await startS3Server();
    const credentials = { accessKeyId: S3_TEST_ACCESS_KEY_ID, secretAccessKey: S3_TEST_SECRET_ACCESS_KEY };
    const reader = new S3Client({ endpoint: server.endpoint, region: S3_TEST_REGION, forcePathStyle: true, credentials });
    return {
      upstreamUrl: server.endpoint,
      destAddArgs: (viaProxy) => [
        '--provider', 's3', '--endpoint', viaProxy(server.endpoint), '--region', S3_TEST_REGION, '--bucket', server.bucket, '--force-path-style',
        '--access-key-id', S3_TEST_ACCESS_KEY_ID, '--token', S3_TEST_SECRET_ACCESS_KEY, '--part-size', String(PART),
      ],
      async stored(name) {
        let object;
        try {
          object = await reader.send(new GetObjectCommand({ Bucket: server.bucket, Key: name }));
        } catch {
          return undefined;
        }
        const hash = createHash('sha256');
        let sizeBytes = 0;
        for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
          hash.update(chunk);
          sizeBytes += chunk.length;
        }
        // Objects are overwritten, so count what made one: a completed multipart upload or a PutObject.
        const writes = server.requests.filter((r) => r.key === name && r.status === 200 && (r.op === 's3.complete' || r.op === 's3.put')).length;
        return { sha256: hash.digest('hex'), sizeBytes, writes };
      },
      async storedNames() {
        const listed = await reader.send(new ListObjectsV2Command({ Bucket: server.bucket }));
        return (listed.Contents ?? []).map((o) => o.Key ?? '');
      },
      openSessions: async () => (await server.uploads()).map((u) => ({ name: u.key, ref: u.uploadId })),
      async close() {
        reader.destroy();
        await server.close();
      },
    };
  },
};
