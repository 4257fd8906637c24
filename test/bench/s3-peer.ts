/**
 * The S3 reference client for the benchmark, run as its own measured process: `@aws-sdk/lib-storage` `Upload` with the
 * SDK's defaults (checksums, signing), 16 MiB parts and 4 in flight, the same shape as Hoist's S3 uploads.
 *
 *   node dist/test/bench/s3-peer.js <endpoint> <bucket> <key> <file> <accessKeyId> <secretAccessKey> <region>
 *
 * Prints {"key","eTag"} on success; exit 1 on error.
 */
import { createReadStream } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const PEER_PART_BYTES = 16 * 1024 * 1024;
const PEER_QUEUE_SIZE = 4;

async function main(): Promise<void> {
  const [endpoint, bucket, key, path, accessKeyId, secretAccessKey, region] = process.argv.slice(2);
  if (!endpoint || !bucket || !key || !path || !accessKeyId || !secretAccessKey || !region) {
    throw new Error('usage: s3-peer.js <endpoint> <bucket> <key> <file> <accessKeyId> <secretAccessKey> <region>');
  }
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
    partSize: PEER_PART_BYTES,
    queueSize: PEER_QUEUE_SIZE,
  });
  const done = await upload.done();
  client.destroy();
  process.stdout.write(`${JSON.stringify({ key, eTag: 'ETag' in done ? done.ETag : undefined })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`lib-storage: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
