/**
 * Test files of real (non-sparse) random bytes, written in bounded steps so the bench's own memory stays flat. The
 * sha256 is computed from the very bytes written, in the same pass, so each file is hashed once.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, statfs } from 'node:fs/promises';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export interface TestFile {
  path: string;
  sizeBytes: number;
  sha256: string;
}

/** `sizeBytes` of fresh random bytes, 1 MiB per write. */
export async function writeRandomFile(path: string, sizeBytes: number): Promise<TestFile> {
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    const block = Buffer.allocUnsafe(MiB);
    for (let written = 0; written < sizeBytes; ) {
      const n = Math.min(MiB, sizeBytes - written);
      const chunk = block.subarray(0, n);
      randomFillSync(chunk);
      hash.update(chunk);
      await writeFully(fh, chunk);
      written += n;
    }
  } finally {
    await fh.close();
  }
  return { path, sizeBytes, sha256: hash.digest('hex') };
}

/** `times` copies of one random block of `blockBytes` (e.g. 64 × 64 MiB = 4 GiB): real bytes on disk, cheap to make. */
export async function writeRepeatedRandomFile(path: string, blockBytes: number, times: number): Promise<TestFile> {
  const block = randomBytes(blockBytes);
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    for (let i = 0; i < times; i++) {
      hash.update(block);
      await writeFully(fh, block);
    }
  } finally {
    await fh.close();
  }
  return { path, sizeBytes: blockBytes * times, sha256: hash.digest('hex') };
}

async function writeFully(fh: Awaited<ReturnType<typeof open>>, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; ) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

/** Streamed sha256 of a file (for files the bench did not write itself). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Bytes available to an unprivileged writer on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}
