import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { returnChunk } from '../../main/domain/chunk-lease.js';
import { HoistError } from '../../main/domain/hoist-error.js';
import { QuickXorFold, isInFoldMemory, quickXorHash } from '../../main/domain/quick-xor-hash.js';
import { diskFileSource, type FileReader } from '../../main/engine/file-source.js';

const MiB = 1024 * 1024;

/** Reads a range the way the HTTP layer consumes it: copy the bytes out, then hand the chunk back for reuse. */
async function readReturning(reader: FileReader, offset: number, size: number): Promise<Buffer> {
  const copies: Buffer[] = [];
  for await (const chunk of reader.read(offset, size)) {
    copies.push(Buffer.from(chunk));
    returnChunk(chunk);
  }
  return Buffer.concat(copies);
}

describe('disk file source', () => {
  let dir: string;
  let path: string;
  let content: Buffer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-fs-'));
    path = join(dir, 'data.bin');
    content = randomBytes(5 * MiB + 12_345);
    writeFileSync(path, content);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads consecutive parts with read-ahead byte for byte, whatever the part size', async () => {
    for (const partSize of [1, 4096, 256 * 1024, 327_680 * 3, 2 * MiB + 7]) {
      const reader = diskFileSource.open(path, { sequentialUpToBytes: content.length });
      const parts: Buffer[] = [];
      for (let offset = 0; offset < content.length; offset += partSize) {
        if (partSize === 1 && offset > 3000) break; // 1-byte parts: a prefix is enough
        parts.push(await readReturning(reader, offset, Math.min(partSize, content.length - offset)));
      }
      await reader.close();
      const got = Buffer.concat(parts);
      expect(got.equals(content.subarray(0, got.length)), `part size ${partSize}`).toBe(true);
    }
  });

  it("reads a range straight into a caller's buffer, piece by piece in order; a file too short fails as changed", async () => {
    const reader = diskFileSource.open(path);
    const target = Buffer.alloc(3 * MiB + 17);
    let filled = 0;
    for await (const piece of reader.readInto!(target, 12_345)) {
      expect(piece.buffer).toBe(target.buffer);
      expect(piece.byteOffset - target.byteOffset).toBe(filled);
      filled += piece.length;
    }
    expect(filled).toBe(target.length);
    expect(target.equals(content.subarray(12_345, 12_345 + target.length))).toBe(true);
    const beyond = Buffer.alloc(2 * MiB);
    await expect(async () => {
      for await (const _piece of reader.readInto!(beyond, content.length - MiB)) void _piece;
    }).rejects.toMatchObject({ code: 'file-changed' });
    await reader.close();
  });

  it('a read somewhere else than the read-ahead guessed still returns the right bytes', async () => {
    const reader = diskFileSource.open(path, { sequentialUpToBytes: content.length });
    await readReturning(reader, 0, MiB); // reads ahead at 1 MiB
    const elsewhere = await readReturning(reader, 3 * MiB + 5, 700_000);
    expect(elsewhere.equals(content.subarray(3 * MiB + 5, 3 * MiB + 5 + 700_000))).toBe(true);
    const back = await readReturning(reader, MiB, 10); // shorter than the chunk that was read ahead
    expect(back.equals(content.subarray(MiB, MiB + 10))).toBe(true);
    await reader.close();
  });

  it('never reuses a buffer that was not handed back: held chunks keep their bytes', async () => {
    const reader = diskFileSource.open(path, { sequentialUpToBytes: content.length });
    const held: Uint8Array[] = [];
    for (let offset = 0; offset < content.length; offset += 2 * MiB) {
      for await (const chunk of reader.read(offset, Math.min(2 * MiB, content.length - offset))) held.push(chunk);
    }
    // Hand some back afterwards and read again, so the pool is exercised while the rest are still held.
    for (const chunk of held.slice(0, 3)) returnChunk(chunk);
    const again = await readReturning(reader, 0, content.length);
    await reader.close();
    expect(again.equals(content)).toBe(true);
    const kept = Buffer.concat(held.slice(3).map((c) => Buffer.from(c)));
    const keptStart = held.slice(0, 3).reduce((n, c) => n + c.length, 0);
    expect(kept.equals(content.subarray(keptStart))).toBe(true);
  });

  it('chunks start 2 KiB into their allocation, away from the page offset the kernel copies from (4K aliasing)', async () => {
    const reader = diskFileSource.open(path, { sequentialUpToBytes: content.length });
    const offsets: number[] = [];
    for await (const chunk of reader.read(0, 3 * MiB)) {
      offsets.push(chunk.byteOffset % 4096);
      returnChunk(chunk);
    }
    await reader.close();
    expect(new Set(offsets)).toEqual(new Set([2048]));
  });

  it('chunks are read into the QuickXorHash fold memory, so a Graph upload folds them without copying', async () => {
    const reader = diskFileSource.open(path, { sequentialUpToBytes: content.length });
    const fold = new QuickXorFold();
    let position = 0;
    let inFoldMemory = 0;
    for await (const chunk of reader.read(0, content.length)) {
      if (isInFoldMemory(chunk)) inFoldMemory += 1;
      fold.update(chunk, position);
      position += chunk.length;
      returnChunk(chunk);
    }
    await reader.close();
    expect(inFoldMemory, 'chunks in the fold memory (WebAssembly SIMD is expected on Node 20)').toBeGreaterThan(0);
    expect(fold.digest(content.length)).toBe(quickXorHash(content));
  });

  it('a file that got shorter while it was read fails as a changed file', async () => {
    const reader = diskFileSource.open(path);
    const chunks = reader.read(0, content.length)[Symbol.asyncIterator]();
    await chunks.next();
    truncateSync(path, 100_000);
    let error: unknown;
    try {
      for (let r = await chunks.next(); !r.done; r = await chunks.next());
    } catch (caught) {
      error = caught;
    }
    await reader.close();
    expect(error).toBeInstanceOf(HoistError);
    expect((error as HoistError).code).toBe('file-changed');
  });

  it('a missing file is a clear error; reading a closed reader is refused', async () => {
    const missing = diskFileSource.open(join(dir, 'nope.bin'));
    await expect(readReturning(missing, 0, 10)).rejects.toMatchObject({ code: 'file-missing' });
    await missing.close();

    const reader = diskFileSource.open(path, { sequentialUpToBytes: content.length });
    await readReturning(reader, 0, 1000); // leaves a read-ahead in flight
    await reader.close();
    await expect(readReturning(reader, 1000, 10)).rejects.toThrow(/closed/);
  });

  it('a consumer that stops early leaves no read behind that breaks the next read', async () => {
    const reader = diskFileSource.open(path, { sequentialUpToBytes: content.length });
    for await (const chunk of reader.read(0, 4 * MiB)) {
      returnChunk(chunk);
      break;
    }
    const next = await readReturning(reader, 0, 4 * MiB);
    await reader.close();
    expect(next.equals(content.subarray(0, 4 * MiB))).toBe(true);
  });
});
