import { createHash } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Server } from '../emulators/s3-server.js';
import { S3Protocol } from '../../main/protocols/s3-protocol.js';
import type { ConformanceFixture } from './fixture.js';
import { faultAction } from './fault-actions.js';

const PART = 5 * 1024 * 1024;
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export const s3Fixture: ConformanceFixture = {
  name: 's3',
  async start() {
    const server = await startS3Server();
    const reader = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
    const acked = () => server.requests.filter((r) => r.op === 's3.part' && r.status === 200 && r.isFinished);
    const newestUpload = () => server.requests.filter((r) => r.op === 's3.part').at(-1)?.query.get('uploadId');
    return {
      partBytes: PART,
      inFlightParts: 4,
      resendableParts: 4,
      protocol: () =>
        new S3Protocol({
          endpoint: server.endpoint,
          region: 'us-east-1',
          bucket: server.bucket,
          forcePathStyle: true,
          accessKeyId: CREDENTIALS.accessKeyId,
          secretAccessKey: async () => CREDENTIALS.secretAccessKey,
          partSizeBytes: PART,
        }),
      destAddArgs: () => ['--provider', 's3', '--endpoint', server.endpoint, '--region', 'us-east-1', '--bucket', server.bucket, '--force-path-style', '--access-key-id', CREDENTIALS.accessKeyId, '--token', CREDENTIALS.secretAccessKey, '--part-size', String(PART)],
      async committedSha256(remotePath) {
        try {
          const object = await reader.send(new GetObjectCommand({ Bucket: server.bucket, Key: remotePath.replace(/^\//, '') }));
          const hash = createHash('sha256');
          for await (const chunk of object.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
          return hash.digest('hex');
        } catch {
          return undefined;
        }
      },
      bytesReceived: () => server.bytesReceivedTotal(),
      storedBytes: () => {
        const id = newestUpload();
        return new Set(acked().filter((r) => r.query.get('uploadId') === id).map((r) => r.query.get('partNumber'))).size * PART;
      },
      sessionsCreated: () => server.requests.filter((r) => r.op === 's3.create' && r.status === 200).length,
      setThroughput: (bps) => server.setThroughput(bps),
      inject: (fault, nth, times) => server.faults.add({ op: 's3.part', nth, times, action: faultAction(fault) }),
      clearFaults: () => server.faults.clear(),
      expireSessions: async () => {
        // S3 uploads never expire; the equivalent is an upload aborted behind our back (lifecycle rule, another tool).
        await server.dropUpload();
      },
      losePart: async () => {
        const id = newestUpload();
        if (!id) return false;
        await server.dropPart(id, 2);
        return true;
      },
      close: async () => {
        reader.destroy();
        await server.close();
      },
    };
  },
};
