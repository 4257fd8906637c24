import { createHash } from 'node:crypto';
import { UploadFailure } from '../domain/failure.js';

/** Apideck caps one upload-part request at 100 MB (§3.4); a part is only ever held in memory below that. */
export const MAX_BUFFERED_PART_BYTES = 100 * 1000 * 1000;

/**
 * Reads a part into memory so its SHA-1 can go in the `digest` header before the body (Box connector). Parts are
 * `part_size` bytes (Box: 8 MiB), so memory is bounded by part size times parts in flight.
 */
export async function bufferPart(data: AsyncIterable<Uint8Array>, sizeBytes: number): Promise<Buffer> {
  if (sizeBytes > MAX_BUFFERED_PART_BYTES) {
    throw new UploadFailure({
      kind: 'fatal',
      code: 'server-rejected',
      reason: `the server asked for ${sizeBytes}-byte parts, more than the 100 MB Apideck accepts per request`,
    });
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of data) {
    chunks.push(chunk);
    total += chunk.length;
  }
  return Buffer.concat(chunks, total);
}

export async function sha1Base64Of(data: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of data) hash.update(chunk);
  return hash.digest('base64');
}

export function sha1Base64(buffer: Uint8Array): string {
  return createHash('sha1').update(buffer).digest('base64');
}
