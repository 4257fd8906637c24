/**
 * Request-body consumption for the Graph emulator. Every byte passes the shared throughput cap; fragment bytes are written
 * straight to disk at their file offset (never held whole in memory) while the hashes are updated, so a 1 GiB upload costs
 * the same memory as a 1 MiB one.
 */
import type { Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { QuickXorFold } from '../../main/domain/quick-xor-hash.js';
import type { ThroughputCap } from './faults.js';
import { GraphFailure } from './graph-odata.js';

/** Batching writes bounds syscalls per GiB without letting per-request memory grow beyond this. */
const WRITE_BATCH_BYTES = 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads the body chunk by chunk, waiting out the throughput cap before consuming each one; the async iterator does not
 * pull more from the socket while we wait, so TCP backpressure reaches the client. Rejects when the body is cut short.
 */
export async function consumeBody(
  req: IncomingMessage,
  cap: ThroughputCap,
  onChunk: (chunk: Buffer) => void | Promise<void>,
): Promise<number> {
  let totalBytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    const waitMs = cap.reserve(chunk.length, Date.now());
    if (waitMs > 0) await sleep(waitMs);
    totalBytes += chunk.length;
    await onChunk(chunk);
  }
  return totalBytes;
}

/** Reads and discards a body the request was rejected for, still counting it (a rejected fragment costs bandwidth too). */
export async function drainBody(req: IncomingMessage, cap: ThroughputCap, onBytes: (n: number) => void): Promise<void> {
  try {
    await consumeBody(req, cap, (chunk) => onBytes(chunk.length));
  } catch {
    // The client gave up on a request that was already answered: nothing to undo.
  }
}

export interface BodyTarget {
  filePath: string;
  /** 'r+' writes into an existing session file, 'w' creates a fresh one. */
  mode: 'r+' | 'w';
  offsetBytes: number;
  sha256: Hash;
  fold: QuickXorFold;
}

/** Streams the body into `target.filePath` at `target.offsetBytes`, hashing on the way. Returns the body length. */
export async function writeBody(
  req: IncomingMessage,
  cap: ThroughputCap,
  target: BodyTarget,
  onBytes: (n: number) => void,
): Promise<number> {
  const fh = await open(target.filePath, target.mode);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let writeAtBytes = target.offsetBytes;
  let hashAtBytes = target.offsetBytes;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const batch = pending;
    const batchBytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    await fh.writev(batch, writeAtBytes);
    writeAtBytes += batchBytes;
  };
  try {
    const totalBytes = await consumeBody(req, cap, async (chunk) => {
      onBytes(chunk.length);
      target.sha256.update(chunk);
      target.fold.update(chunk, hashAtBytes);
      hashAtBytes += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
    });
    await flush();
    return totalBytes;
  } finally {
    await fh.close();
  }
}

/** Parses an optional small JSON body; an empty body is `undefined`, anything unparsable is Graph's 400 BadRequest. */
export async function readJsonBody(
  req: IncomingMessage,
  cap: ThroughputCap,
  limitBytes: number,
  onBytes: (n: number) => void,
): Promise<unknown> {
  const chunks: Buffer[] = [];
  let totalBytes = 0;
  await consumeBody(req, cap, (chunk) => {
    onBytes(chunk.length);
    totalBytes += chunk.length;
    if (totalBytes <= limitBytes) chunks.push(chunk);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (totalBytes > limitBytes) throw badRequest('The request body is too large.');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  }
}

const badRequest = (message: string): GraphFailure => new GraphFailure({ status: 400, code: 'BadRequest', message });
