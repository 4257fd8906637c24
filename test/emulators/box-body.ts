/**
 * Request-body consumption for the Box emulator: every byte passes the shared throughput cap, part bodies stream to
 * disk (multi-GiB uploads must not sit in memory), and small bodies (JSON, multipart plain uploads) are buffered
 * up to a limit.
 */
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { ThroughputCap } from './faults.js';
import { fail } from './box-wire.js';

/** Bytes of request body the emulator consumed, for the request log. */
export interface BodyCounter {
  bytes: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Feeds the body chunk by chunk through the throughput cap; rejects if the client aborts mid-body. */
export async function pumpBody(
  req: IncomingMessage,
  cap: ThroughputCap,
  counter: BodyCounter,
  onChunk: (chunk: Buffer) => Promise<void> | void,
): Promise<void> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    const waitMs = cap.reserve(chunk.length, Date.now());
    if (waitMs > 0) await sleep(waitMs);
    counter.bytes += chunk.length;
    await onChunk(chunk);
  }
}

/** Buffers a small body; answers 413 when it exceeds `maxBytes` (declared or actual). */
export async function readSmallBody(req: IncomingMessage, cap: ThroughputCap, counter: BodyCounter, maxBytes: number): Promise<Buffer> {
  const tooLarge = (): never => fail(413, 'request_entity_too_large', `Request body exceeds ${maxBytes} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) tooLarge();
  const chunks: Buffer[] = [];
  let totalBytes = 0;
  // Keep draining past the limit instead of throwing mid-stream: breaking the iteration would destroy the socket
  // and the client would never see the 413.
  await pumpBody(req, cap, counter, (chunk) => {
    totalBytes += chunk.length;
    if (totalBytes <= maxBytes) chunks.push(chunk);
  });
  if (totalBytes > maxBytes) tooLarge();
  return Buffer.concat(chunks);
}

/** Reads a JSON object body; Box answers 400 for anything that is not one. */
export async function readJsonObject(req: IncomingMessage, cap: ThroughputCap, counter: BodyCounter, maxBytes: number): Promise<Record<string, unknown>> {
  const raw = await readSmallBody(req, cap, counter, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    fail(400, 'bad_request', 'Could not parse JSON request body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(400, 'bad_request', 'Request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export interface ReceivedFile {
  bytes: number;
  sha1: Buffer;
  sha256: Buffer;
}

/** Streams the body into `path`, hashing on the way; `onBytes` sees every arriving byte (accepted or not). */
export async function receiveToFile(
  req: IncomingMessage,
  path: string,
  cap: ThroughputCap,
  counter: BodyCounter,
  onBytes: (n: number) => void,
): Promise<ReceivedFile> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  const handle = await open(path, 'w');
  let bytes = 0;
  try {
    await pumpBody(req, cap, counter, async (chunk) => {
      onBytes(chunk.length);
      bytes += chunk.length;
      sha1.update(chunk);
      sha256.update(chunk);
      await handle.write(chunk);
    });
  } finally {
    await handle.close();
  }
  return { bytes, sha1: sha1.digest(), sha256: sha256.digest() };
}

/** Writes a buffer to disk and hashes it, for plain uploads. */
export async function writeHashed(path: string, data: Buffer): Promise<ReceivedFile> {
  const handle = await open(path, 'w');
  try {
    await handle.write(data);
  } finally {
    await handle.close();
  }
  return {
    bytes: data.length,
    sha1: createHash('sha1').update(data).digest(),
    sha256: createHash('sha256').update(data).digest(),
  };
}

export interface FormPart {
  name: string;
  fileName?: string;
  data: Buffer;
}

/** Minimal multipart/form-data parser (RFC 7578): enough for Box's `attributes` + `file` plain upload. */
export function parseMultipart(body: Buffer, contentType: string | undefined): FormPart[] | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2];
  if (!/^multipart\/form-data/i.test(contentType ?? '') || !boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let cursor = body.indexOf(delimiter);
  if (cursor < 0) return undefined;
  for (;;) {
    cursor += delimiter.length;
    if (body.subarray(cursor, cursor + 2).toString() === '--') return parts;
    const headerEnd = body.indexOf('\r\n\r\n', cursor);
    if (headerEnd < 0) return undefined;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) return undefined;
    const headers = body.subarray(cursor, headerEnd).toString('utf8');
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    const fileName = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    parts.push({ name, ...(fileName === undefined ? {} : { fileName }), data: body.subarray(headerEnd + 4, next) });
    cursor = next + 2;
  }
}
