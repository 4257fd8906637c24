/**
 * Shared bits of the SDK conformance suite (test/conformance/sdk-*.test.ts): random local files with their digests,
 * and the check that an emulator answered every request a client made without an error.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomFile } from '../support/cli.js';

export const MiB = 1024 * 1024;

export interface LocalFile {
  path: string;
  sizeBytes: number;
  sha1Hex: string;
  sha256Hex: string;
}

/** Writes `sizeBytes` random bytes to `dir/name` and hashes them back from disk. */
export async function randomFile(dir: string, name: string, sizeBytes: number): Promise<LocalFile> {
  const path = join(dir, name);
  writeRandomFile(path, sizeBytes);
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    sha1.update(chunk);
    sha256.update(chunk);
  }
  return { path, sizeBytes, sha1Hex: sha1.digest('hex'), sha256Hex: sha256.digest('hex') };
}

/** Reads `length` bytes at `offset` of a local file: one part, sliced the way the SDKs' own upload loops slice it. */
export async function readSlice(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The slice of a request log every emulator keeps. Status 0 means the connection was dropped without a reply. */
export interface LoggedRequest {
  op: string;
  method: string;
  path: string;
  status: number;
}

/**
 * Requests the emulator refused (4xx/5xx) or dropped (status 0). `expected` lists the ones a test provoked on purpose
 * (injected faults) by op and status, each matched once, so an unexpected refusal can never hide behind them.
 */
export function refusals(log: readonly LoggedRequest[], expected: Array<{ op: string; status: number }> = []): string[] {
  const pending = [...expected];
  const refused: string[] = [];
  for (const entry of log) {
    if (entry.status >= 200 && entry.status < 400) continue;
    const index = pending.findIndex((e) => e.op === entry.op && e.status === entry.status);
    if (index >= 0) pending.splice(index, 1);
    else refused.push(`${entry.method} ${entry.path} -> ${entry.status} (${entry.op})`);
  }
  return [...refused, ...pending.map((e) => `expected ${e.op} -> ${e.status} never happened`)];
}
