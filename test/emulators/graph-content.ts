/**
 * Single-request uploads of the Graph emulator: the simple `PUT …:/content` (≤ 4 MiB, what clients use for empty files)
 * and the benchmark sink, which shares the fragment write+hash path so `curl -T` and the client cost the server the same.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { QuickXorFold } from '../../main/domain/quick-xor-hash.js';
import type { ThroughputCap } from './faults.js';
import { writeBody } from './graph-body.js';
import type { ConflictBehavior, GraphDrive } from './graph-drive.js';
import { GraphFailure, invalidRequest } from './graph-odata.js';
import type { Outcome, RequestContext } from './graph-session-model.js';

/** Graph's simple-upload limit. */
export const SIMPLE_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;

export interface SimpleUploadRequest {
  drive: GraphDrive;
  segments: string[];
  conflictBehavior: ConflictBehavior;
  tmpDir: string;
}

export async function simpleUpload(ctx: RequestContext, cap: ThroughputCap, upload: SimpleUploadRequest): Promise<Outcome> {
  if (upload.segments.length === 0) throw new GraphFailure(invalidRequest('Cannot upload content to the root folder.'));
  if (Number(ctx.req.headers['content-length'] ?? 0) > SIMPLE_UPLOAD_MAX_BYTES) throw requestTooLarge();
  const tmpPath = join(upload.tmpDir, randomBytes(16).toString('hex'));
  const sha256 = createHash('sha256');
  const fold = new QuickXorFold();
  ctx.isBodyConsumed = true;
  try {
    const target = { filePath: tmpPath, mode: 'w' as const, offsetBytes: 0, sha256, fold };
    // A chunked body has no declared length, so the limit can only be enforced once it has arrived.
    const sizeBytes = await writeBody(ctx.req, cap, target, (n) => ctx.countBody(n));
    if (sizeBytes > SIMPLE_UPLOAD_MAX_BYTES) throw requestTooLarge();
    const { status, file } = upload.drive.commit({
      segments: upload.segments,
      conflictBehavior: upload.conflictBehavior,
      sourcePath: tmpPath,
      sizeBytes,
      sha256Hex: sha256.digest('hex'),
      quickXorHash: fold.digest(sizeBytes),
      nowMs: Date.now(),
    });
    return { status, body: upload.drive.itemJson(file) };
  } finally {
    await rm(tmpPath, { force: true });
  }
}

export async function benchSink(ctx: RequestContext, cap: ThroughputCap, benchDir: string, name: string): Promise<Outcome> {
  if (name === '.' || name === '..') throw new GraphFailure(invalidRequest('Invalid sink name.'));
  const sha256 = createHash('sha256');
  const fold = new QuickXorFold();
  ctx.isBodyConsumed = true;
  const target = { filePath: join(benchDir, name), mode: 'w' as const, offsetBytes: 0, sha256, fold };
  const size = await writeBody(ctx.req, cap, target, (n) => ctx.countBody(n));
  return { status: 201, body: { size, sha256: sha256.digest('hex'), quickXorHash: fold.digest(size) } };
}

const requestTooLarge = (): GraphFailure =>
  new GraphFailure({ status: 413, code: 'requestTooLarge', message: 'The request exceeds the maximum allowed size for a simple upload.' });
