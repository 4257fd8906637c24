import { createHash } from 'node:crypto';
import { HoistError } from '../domain/hoist-error.js';

/** A part read into memory once, with its SHA-1 for `Upload-Checksum`. */
export interface ChecksummedPart {
  sha1Base64: string;
  /** Replays the buffered chunks (the chunks themselves, no concatenated copy). */
  body(): AsyncIterable<Uint8Array>;
}

/**
 * The checksum header must precede the body, so a part is hashed before it is sent. Only used when the server announced
 * the checksum extension; memory is one part, which is why checksummed sessions keep parts modest.
 */
export async function bufferWithSha1(data: AsyncIterable<Uint8Array>, sizeBytes: number): Promise<ChecksummedPart> {
  const hash = createHash('sha1');
  const chunks: Uint8Array[] = [];
  let seen = 0;
  for await (const chunk of data) {
    hash.update(chunk);
    chunks.push(chunk);
    seen += chunk.length;
  }
  if (seen !== sizeBytes) throw new HoistError('file-changed', `read ${seen} bytes of a ${sizeBytes}-byte part; the file changed while it was read`);
  return {
    sha1Base64: hash.digest('base64'),
    async *body() {
      yield* chunks;
    },
  };
}
