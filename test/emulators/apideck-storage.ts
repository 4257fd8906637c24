/**
 * Disk side of the Apideck emulator. Bodies are streamed (never held whole in memory): a part is staged in its own temp
 * file while its SHA-1 is computed, and only copied into the session's single data file (at the part's byte offset) once it
 * has arrived complete and passed validation, so a failed or rejected re-upload never corrupts a part already stored.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream/promises';
import type { ThroughputCap } from './faults.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the whole request body through the shared throughput cap; `onChunk` sees every byte as it arrives. */
export async function consumeBody(
  req: IncomingMessage,
  cap: ThroughputCap,
  onChunk: (chunk: Buffer) => void | Promise<void>,
): Promise<void> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    const waitMs = cap.reserve(chunk.length, Date.now());
    if (waitMs > 0) await sleep(waitMs);
    await onChunk(chunk);
  }
}

/** Reads a small body into memory, keeping at most `limitBytes` (the rest is drained); `undefined` when over the limit. */
export async function readSmallBody(
  req: IncomingMessage,
  cap: ThroughputCap,
  limitBytes: number,
  onBytes: (n: number) => void,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let totalBytes = 0;
  await consumeBody(req, cap, (chunk) => {
    onBytes(chunk.length);
    totalBytes += chunk.length;
    if (totalBytes <= limitBytes) chunks.push(chunk);
  });
  return totalBytes <= limitBytes ? Buffer.concat(chunks) : undefined;
}

export interface StagedPart {
  sizeBytes: number;
  sha1Base64: string;
}

/** Streams the body into `tmpPath`, hashing it on the way. On failure the temp file is removed and the error rethrown. */
export async function stageBody(
  req: IncomingMessage,
  cap: ThroughputCap,
  tmpPath: string,
  onBytes: (n: number) => void,
): Promise<StagedPart> {
  const hash = createHash('sha1');
  const out = createWriteStream(tmpPath);
  // Failures reach us through the awaited drain / finished below; a write still buffered when a cut-off request
  // destroys the stream fails again after the fact (ERR_STREAM_DESTROYED), and must not become an uncaught exception.
  out.on('error', () => undefined);
  let sizeBytes = 0;
  try {
    await consumeBody(req, cap, async (chunk) => {
      onBytes(chunk.length);
      hash.update(chunk);
      sizeBytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
    });
    out.end();
    await finished(out);
  } catch (err) {
    out.destroy();
    await finished(out).catch(() => undefined); // closed, so the file can go
    await rm(tmpPath, { force: true });
    throw err;
  }
  return { sizeBytes, sha1Base64: hash.digest('base64') };
}

/** Copies `srcPath` into `dstPath` starting at `offsetBytes`, chunk by chunk. */
export async function writeAtOffset(srcPath: string, dstPath: string, offsetBytes: number): Promise<void> {
  const dst = await open(dstPath, 'r+');
  try {
    let positionBytes = offsetBytes;
    for await (const chunk of createReadStream(srcPath) as AsyncIterable<Buffer>) {
      await dst.write(chunk, 0, chunk.length, positionBytes);
      positionBytes += chunk.length;
    }
  } finally {
    await dst.close();
  }
}

export interface FileDigests {
  sizeBytes: number;
  sha1Hex: string;
  sha1Base64: string;
  sha256Hex: string;
}

/** Hashes a file by streaming it from disk. */
export async function hashFile(filePath: string): Promise<FileDigests> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(filePath) as AsyncIterable<Buffer>) {
    sha1.update(chunk);
    sha256.update(chunk);
    sizeBytes += chunk.length;
  }
  const sha1Buf = sha1.digest();
  return { sizeBytes, sha1Hex: sha1Buf.toString('hex'), sha1Base64: sha1Buf.toString('base64'), sha256Hex: sha256.digest('hex') };
}
