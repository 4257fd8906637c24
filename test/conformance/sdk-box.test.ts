/**
 * Box's official Node SDK (box-node-sdk) against the Box emulator: if the SDK fails here, the emulator is wrong or
 * stricter than the service (protocols.md §1). The SDK sends every part as a stream, i.e. with chunked transfer
 * encoding and no Content-Length (§1.3, §1.4).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { BoxClient, BoxDeveloperTokenAuth } from 'box-node-sdk';
import { BaseUrls, BoxRetryStrategy, NetworkSession } from 'box-node-sdk/networking';
import { BoxEmulator } from '../emulators/box-emulator.js';
import { removeDir, tempDir } from '../support/cli.js';
import { MiB, randomFile, readSlice, refusals, type LocalFile } from './sdk-files.js';

const TOKEN = 'box-sdk-token';
// Three parts at the emulator's default 8 MiB part size, the last one short; above Box's 20,000,000-byte minimum.
const FILE_BYTES = 20 * MiB + 12_345;

describe('box-node-sdk against the Box emulator', () => {
  let work: string;
  let box: BoxEmulator;
  let file: LocalFile;

  /** An SDK client aimed at the emulator; `retryOnDrop` false surfaces a dropped connection instead of re-sending. */
  function client(retryOnDrop: boolean): BoxClient {
    // The SDK appends `/2.0/...` to both bases; the emulator serves the API host at /2.0 and the upload host at /api/2.0.
    const networkSession = new NetworkSession({
      baseUrls: new BaseUrls({ baseUrl: box.url, uploadUrl: `${box.url}/api`, oauth2Url: `${box.url}/oauth2` }),
      // No jitter and a zero base interval: a retry, when allowed, goes out at once instead of after 1-3 s.
      retryStrategy: new BoxRetryStrategy({ retryBaseInterval: 0, maxRetriesOnException: retryOnDrop ? 2 : 0 }),
    });
    return new BoxClient({ auth: new BoxDeveloperTokenAuth({ token: TOKEN }), networkSession });
  }

  beforeEach(async () => {
    work = tempDir('sdk-box');
    box = await BoxEmulator.start({ storageDir: `${work}/server`, accessToken: TOKEN });
    file = await randomFile(work, 'big.bin', FILE_BYTES);
  });
  afterEach(async () => {
    await box.close();
    removeDir(work);
  });

  it('uploadBigFile: the stored file is the local file, and no request was refused', async () => {
    const uploaded = await client(true).chunkedUploads.uploadBigFile(createReadStream(file.path), 'big.bin', file.sizeBytes, '0');

    expect(uploaded.sha1).toBe(file.sha1Hex);
    const [stored] = box.files();
    expect(stored).toMatchObject({ id: uploaded.id, name: 'big.bin', size: file.sizeBytes, sha1: file.sha1Hex, sha256: file.sha256Hex });
    expect(refusals(box.requests)).toEqual([]);
    // The relaxation under test: all three parts came chunked, without Content-Length, and were stored.
    const parts = box.requests.filter((r) => r.op === 'box.part');
    expect(parts.map((r) => ({ status: r.status, hasContentLength: r.hasContentLength }))).toEqual(
      Array.from({ length: 3 }, () => ({ status: 200, hasContentLength: false })),
    );
  });

  it('own calls: resumes from list parts after a dropped part, and commits through a 202 + Retry-After', async () => {
    const sdk = client(false).chunkedUploads;
    const session = await sdk.createFileUploadSession({ folderId: '0', fileName: 'big.bin', fileSize: file.sizeBytes });
    const endpoints = session.sessionEndpoints!;
    const partSizeBytes = session.partSize!;
    expect(session.totalParts).toBe(Math.ceil(file.sizeBytes / partSizeBytes));

    const putPart = async (index: number) => {
      const offset = index * partSizeBytes;
      const bytes = await readSlice(file.path, offset, Math.min(partSizeBytes, file.sizeBytes - offset));
      const digest = `sha=${createHash('sha1').update(bytes).digest('base64')}`;
      const contentRange = `bytes ${offset}-${offset + bytes.length - 1}/${file.sizeBytes}`;
      return sdk.uploadFilePartByUrl(endpoints.uploadPart!, Readable.from([bytes]), { digest, contentRange });
    };

    // Part 1's connection drops after 1 MiB of its body: the emulator keeps nothing of it.
    box.faults.add({ op: 'box.part', nth: 2, action: { type: 'reset-mid-body', afterBytes: MiB } });
    await putPart(0);
    await expect(putPart(1)).rejects.toThrow();

    // Resume as Box documents it (§1.5 step 7): session status, then the parts the server holds; upload only the others.
    const status = await sdk.getFileUploadSessionByUrl(endpoints.status!);
    expect(status).toMatchObject({ id: session.id, totalParts: session.totalParts, numPartsProcessed: 1 });
    const listed = await sdk.getFileUploadSessionPartsByUrl(endpoints.listParts!);
    expect(listed.entries?.map((p) => p.offset)).toEqual([0]);
    const parts = [...(listed.entries ?? [])];
    for (let index = parts.length; index < session.totalParts!; index += 1) parts.push((await putPart(index)).part!);

    // Box answers 202 + Retry-After (empty body) while parts are still processing; the SDK then returns undefined.
    box.faults.add({ op: 'box.commit', action: { type: 'status', status: 202, retryAfterSec: 1, isBodyless: true } });
    const digest = `sha=${Buffer.from(file.sha1Hex, 'hex').toString('base64')}`;
    const commit = () => sdk.createFileUploadSessionCommitByUrl(endpoints.commit!, { parts }, { digest });
    expect(await commit()).toBeUndefined();
    const committed = await commit();

    expect(committed?.entries?.[0]?.sha1).toBe(file.sha1Hex);
    expect(box.files()[0]).toMatchObject({ size: file.sizeBytes, sha1: file.sha1Hex, sha256: file.sha256Hex });
    expect(box.sessions()[0]?.state).toBe('committed');
    expect(box.faults.fired).toEqual([
      { op: 'box.part', action: 'reset-mid-body' },
      { op: 'box.commit', action: 'status' },
    ]);
    expect(refusals(box.requests, [{ op: 'box.part', status: 0 }])).toEqual([]);
  });

  it('own calls: abort discards the session, after which its status is 404', async () => {
    const sdk = client(false).chunkedUploads;
    const session = await sdk.createFileUploadSession({ folderId: '0', fileName: 'big.bin', fileSize: file.sizeBytes });
    await sdk.deleteFileUploadSessionByUrl(session.sessionEndpoints!.abort!);

    expect(box.sessions()[0]?.state).toBe('aborted');
    await expect(sdk.getFileUploadSessionByUrl(session.sessionEndpoints!.status!)).rejects.toMatchObject({ responseInfo: { statusCode: 404 } });
    expect(box.files()).toEqual([]);
    expect(refusals(box.requests, [{ op: 'box.status', status: 404 }])).toEqual([]);
  });
});
