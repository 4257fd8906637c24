import { open, stat } from 'node:fs/promises';
import { HoistError } from '../domain/hoist-error.js';
import type { FileIdentity } from '../store/jobs-repo.js';

/** Port over the local file system: identity checks and streamed range reads (memory never grows with file size). */
export interface FileSource {
  identity(path: string): Promise<FileIdentity>;
  read(path: string, offsetBytes: number, sizeBytes: number): AsyncIterable<Uint8Array>;
}

const READ_CHUNK_BYTES = 1024 * 1024;

export const diskFileSource: FileSource = {
  async identity(path) {
    try {
      const s = await stat(path, { bigint: true });
      if (!s.isFile()) throw new HoistError('file-unreadable', `${path} is not a regular file.`);
      return { sizeBytes: Number(s.size), mtimeMs: Number(s.mtimeNs / 1000n) / 1000, inode: s.ino > 0n ? s.ino.toString() : null };
    } catch (error) {
      throw fileError(error, path);
    }
  },
  async *read(path, offsetBytes, sizeBytes) {
    if (sizeBytes === 0) return;
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw fileError(error, path);
    }
    try {
      // Positional reads into fresh buffers: the consumer may still hold the previous chunk while the socket drains.
      for (let done = 0; done < sizeBytes; ) {
        const want = Math.min(READ_CHUNK_BYTES, sizeBytes - done);
        const chunk = Buffer.allocUnsafeSlow(want);
        let got: number;
        try {
          ({ bytesRead: got } = await handle.read(chunk, 0, want, offsetBytes + done));
        } catch (error) {
          throw fileError(error, path);
        }
        if (got === 0) throw new HoistError('file-changed', `${path} became shorter while it was being read.`);
        done += got;
        yield got === want ? chunk : chunk.subarray(0, got);
      }
    } finally {
      await handle.close();
    }
  },
};

function fileError(error: unknown, path: string): unknown {
  if (error instanceof HoistError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return new HoistError('file-missing', `The file ${path} does not exist (it was moved or deleted).`);
  if (code === 'EACCES' || code === 'EPERM') return new HoistError('file-unreadable', `Hoist has no permission to read ${path}.`);
  if (code === 'EISDIR') return new HoistError('file-unreadable', `${path} is a folder, not a file.`);
  return new HoistError('file-unreadable', `Cannot read ${path}: ${(error as Error).message}`);
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.sizeBytes === b.sizeBytes && Math.abs(a.mtimeMs - b.mtimeMs) < 0.001 && (a.inode === null || b.inode === null || a.inode === b.inode);
}

/** Why a file no longer matches what an upload started with, in words a user understands. */
export function describeChange(before: FileIdentity, after: FileIdentity): string {
  if (before.inode !== null && after.inode !== null && before.inode !== after.inode) return 'the file was replaced by another file';
  if (before.sizeBytes !== after.sizeBytes) return `the file changed size (${before.sizeBytes} → ${after.sizeBytes} bytes)`;
  return 'the file was modified (its modification time changed)';
}
