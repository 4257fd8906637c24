import { open, stat, type FileHandle } from 'node:fs/promises';
import { lendChunk } from '../domain/chunk-lease.js';
import { allocateFoldable } from '../domain/quick-xor-hash.js';
import { HoistError } from '../domain/hoist-error.js';
import type { FileIdentity } from '../store/jobs-repo.js';

/** Reads ranges of one local file through one open handle. */
export interface FileReader {
  /** Streams `sizeBytes` from `offsetBytes`; a file that got shorter fails with `file-changed`. */
  read(offsetBytes: number, sizeBytes: number): AsyncIterable<Uint8Array>;
  /**
   * Fills `target` with the bytes from `offsetBytes` on, yielding each filled piece of it in order (the next piece is read
   * meanwhile). Saves the copy out of read buffers for parts held in memory; readers without it are read and copied.
   */
  readInto?(target: Uint8Array, offsetBytes: number): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export interface FileReaderOptions {
  /**
   * Ranges are read one after another in file order (one part in flight): when a range ends, the first chunk of the
   * next one is read ahead, so the next request can start the moment the server acknowledges this one.
   */
  sequentialUpToBytes?: number;
}

/** Port over the local file system: identity checks and streamed range reads (memory never grows with file size). */
export interface FileSource {
  identity(path: string): Promise<FileIdentity>;
  open(path: string, options?: FileReaderOptions): FileReader;
  /** One range through a reader of its own (hashing passes). */
  read(path: string, offsetBytes: number, sizeBytes: number): AsyncIterable<Uint8Array>;
}

const READ_CHUNK_BYTES = 1024 * 1024;
/** A range starts with a smaller chunk: it is read and hashed sooner, so a request's first bytes leave sooner. */
const FIRST_CHUNK_BYTES = 256 * 1024;
/** Free buffers kept for reuse; more than a reader's read-ahead plus what the socket holds gains nothing. */
const POOL_MAX_FREE = 8;

/*
 * Read buffers are reused once the HTTP layer has handed their bytes to the socket (see chunk-lease). A fresh 1 MiB
 * buffer per chunk made V8 run a full mark-compact about every 23 MiB of upload (45 per GiB, 10-20 ms each, measured with
 * --trace-gc), each one a pause with nothing sent.
 */
const freeBuffers: Buffer[] = [];
/**
 * Buffers in the QuickXorHash fold's memory come first (see allocateFoldable): Graph uploads fold every byte they send,
 * and a chunk read there is folded without a copy. There are at most 16 of them and none is ever dropped.
 */
const freeFoldable: Buffer[] = [];
const foldable = new WeakSet<Buffer>();

/*
 * Where a read buffer starts within its allocation. Large allocations start 16 bytes into a page (glibc's mmap'd chunk
 * header), while the file's bytes come from page-aligned page cache: a copy whose destination sits just past its source
 * modulo 4096 stalls on 4K aliasing. Reading 1 GiB cost 0.61-0.65 s of kernel time into such buffers and 0.18-0.20 s
 * into the same buffers shifted by 2 KiB (fs.promises reads of 1 MiB, measured on this machine's AMD EPYC).
 */
const BUFFER_SHIFT_BYTES = 2048;

function takeBuffer(): Buffer {
  const reused = freeFoldable.pop();
  if (reused) return reused;
  const inFold = allocateFoldable(READ_CHUNK_BYTES, BUFFER_SHIFT_BYTES);
  if (inFold) {
    foldable.add(inFold);
    return inFold;
  }
  return freeBuffers.pop() ?? Buffer.allocUnsafeSlow(BUFFER_SHIFT_BYTES + READ_CHUNK_BYTES).subarray(BUFFER_SHIFT_BYTES);
}

function giveBack(buffer: Buffer): void {
  if (foldable.has(buffer)) freeFoldable.push(buffer);
  else if (freeBuffers.length < POOL_MAX_FREE) freeBuffers.push(buffer);
}

interface PendingRead {
  offsetBytes: number;
  wantBytes: number;
  result: Promise<{ buffer: Buffer; got: number }>;
}

class DiskFileReader implements FileReader {
  private handle: Promise<FileHandle> | undefined;
  private ahead: PendingRead | undefined;
  private isClosed = false;

  constructor(
    private readonly path: string,
    private readonly options: FileReaderOptions,
  ) {}

  async *read(offsetBytes: number, sizeBytes: number): AsyncIterable<Uint8Array> {
    if (sizeBytes === 0) return;
    if (this.isClosed) throw new Error('read from a closed FileReader');
    const firstWant = Math.min(FIRST_CHUNK_BYTES, sizeBytes);
    let pending: PendingRead | undefined = this.ahead;
    this.ahead = undefined;
    if (pending && (pending.offsetBytes !== offsetBytes || pending.wantBytes !== firstWant)) {
      discard(pending);
      pending = undefined;
    }
    pending ??= this.start(offsetBytes, firstWant);
    try {
      for (let done = 0; pending; ) {
        const { buffer, got } = await pending.result;
        pending = undefined;
        if (got === 0) {
          giveBack(buffer);
          throw new HoistError('file-changed', `${this.path} became shorter while it was being read.`);
        }
        done += got;
        const end = offsetBytes + done;
        // The next read runs on the thread pool while the consumer hashes and sends this chunk.
        if (done < sizeBytes) pending = this.start(end, Math.min(READ_CHUNK_BYTES, sizeBytes - done));
        else if (this.options.sequentialUpToBytes !== undefined && end < this.options.sequentialUpToBytes) {
          this.ahead = this.start(end, Math.min(FIRST_CHUNK_BYTES, this.options.sequentialUpToBytes - end));
        }
        yield lendChunk(buffer.subarray(0, got), () => giveBack(buffer));
      }
    } finally {
      if (pending) discard(pending);
    }
  }

  async *readInto(target: Uint8Array, offsetBytes: number): AsyncIterable<Uint8Array> {
    const fh = await this.file();
    const readAt = (at: number) =>
      fh.read(target, at, Math.min(READ_CHUNK_BYTES, target.length - at), offsetBytes + at).then(
        ({ bytesRead }) => bytesRead,
        (error: unknown) => {
          throw fileError(error, this.path);
        },
      );
    let pending = target.length > 0 ? readAt(0) : undefined;
    for (let at = 0; pending; ) {
      const got = await pending;
      pending = undefined;
      if (got === 0) throw new HoistError('file-changed', `${this.path} became shorter while it was being read.`);
      const piece = target.subarray(at, at + got);
      at += got;
      if (at < target.length) {
        pending = readAt(at);
        pending.catch(() => undefined); // awaited next round; the consumer may stop first
      }
      yield piece;
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.ahead) discard(this.ahead);
    this.ahead = undefined;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.then((fh) => fh.close()).catch(() => undefined);
  }

  private file(): Promise<FileHandle> {
    if (this.isClosed) return Promise.reject(new Error('read from a closed FileReader'));
    this.handle ??= open(this.path, 'r').catch((error: unknown) => {
      this.handle = undefined;
      throw fileError(error, this.path);
    });
    return this.handle;
  }

  private start(offsetBytes: number, wantBytes: number): PendingRead {
    const buffer = takeBuffer();
    const result = this.file()
      .then((fh) => fh.read(buffer, 0, wantBytes, offsetBytes))
      .then(
        ({ bytesRead }) => ({ buffer, got: bytesRead }),
        (error: unknown) => {
          giveBack(buffer);
          throw fileError(error, this.path);
        },
      );
    // Awaited later (or discarded): never an unhandled rejection while the consumer is busy with the previous chunk.
    result.catch(() => undefined);
    return { offsetBytes, wantBytes, result };
  }
}

/** A read that will not be used: its buffer goes back to the pool once the read lands. */
function discard(pending: PendingRead): void {
  pending.result.then(({ buffer }) => giveBack(buffer), () => undefined);
}

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
  open(path, options = {}) {
    return new DiskFileReader(path, options);
  },
  async *read(path, offsetBytes, sizeBytes) {
    const reader = new DiskFileReader(path, {});
    try {
      yield* reader.read(offsetBytes, sizeBytes);
    } finally {
      await reader.close();
    }
  },
};

/** A read or open failure in words: missing, no permission, or why it cannot be read. */
export function fileError(error: unknown, path: string): unknown {
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
