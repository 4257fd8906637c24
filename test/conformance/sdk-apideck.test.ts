/**
 * Apideck's official TypeScript SDK (@apideck/unify) against the Apideck emulator with the Box connector, which needs a
 * digest on every part and on finish (protocols.md §3.2, §3.4): create, get, upload, finish, delete, and resume from
 * `uploaded_byte_range` after a dropped connection (§3.5 step 4).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Apideck } from '@apideck/unify';
import { ApideckEmulator } from '../emulators/apideck-emulator.js';
import { removeDir, tempDir } from '../support/cli.js';
import { MiB, randomFile, readSlice, refusals, type LocalFile } from './sdk-files.js';

// Three parts at the Box connector's 8 MiB part size, the last one short.
const FILE_BYTES = 17 * MiB + 4321;


const sha1Digest = (bytes: Buffer): string => `sha=${createHash('sha1').update(bytes).digest('base64')}`;

describe('@apideck/unify uploadSessions against the Apideck emulator (Box connector)', () => {
  let work: string;
  let emulator: ApideckEmulator;
  let file: LocalFile;
  let sdk: Apideck;
  // create, get, upload and finish are pinned to upload.apideck.com unless the call names a server (§3.1); delete
  // follows the client's serverURL. One emulator host serves both.
  let onUploadHost: { serverURL: string; retries: { strategy: 'none' } };

  beforeEach(async () => {
    work = tempDir('sdk-apideck');
    emulator = await ApideckEmulator.start({ storageDir: `${work}/server`, connector: 'box' });
    file = await randomFile(work, 'big.bin', FILE_BYTES);
    sdk = new Apideck({ apiKey: 'apideck-test-key', appId: 'test-app', consumerId: 'test-consumer', serverURL: emulator.url });
    // No automatic retries: a dropped connection must surface so the test resumes the way the guide describes.
    onUploadHost = { serverURL: emulator.url, retries: { strategy: 'none' } };
  });
  afterEach(async () => {
    await emulator.close();
    removeDir(work);
  });

  async function startSession(): Promise<{ id: string; partSizeBytes: number }> {
    const created = await sdk.fileStorage.uploadSessions.create(
      { serviceId: 'box', createUploadSessionRequest: { name: 'big.bin', parentFolderId: 'root', size: file.sizeBytes } },
      onUploadHost,
    );
    const id = created.createUploadSessionResponse?.data.id ?? '';
    // Create answers only the id; part_size comes from GET (§3.4).
    const got = await sdk.fileStorage.uploadSessions.get({ id, serviceId: 'box' }, onUploadHost);
    expect(got.getUploadSessionResponse?.data).toMatchObject({ id, success: false, parallelUploadSupported: true });
    return { id, partSizeBytes: got.getUploadSessionResponse?.data.partSize ?? 0 };
  }

  async function uploadPart(id: string, partSizeBytes: number, partNumber: number): Promise<void> {
    const offset = partNumber * partSizeBytes;
    const bytes = await readSlice(file.path, offset, Math.min(partSizeBytes, file.sizeBytes - offset));
    await sdk.fileStorage.uploadSessions.upload({ id, serviceId: 'box', partNumber, digest: sha1Digest(bytes), requestBody: bytes }, onUploadHost);
  }

  async function finish(id: string): Promise<void> {
    const digest = `sha=${Buffer.from(file.sha1Hex, 'hex').toString('base64')}`;
    const finished = await sdk.fileStorage.uploadSessions.finish({ id, serviceId: 'box', digest, requestBody: {} }, onUploadHost);
    expect(finished.getFileResponse?.data).toMatchObject({ name: 'big.bin', size: file.sizeBytes });
  }

  function expectStored(): void {
    expect(emulator.files()).toEqual([expect.objectContaining({ name: 'big.bin', size: file.sizeBytes, sha1: file.sha1Hex, sha256: file.sha256Hex })]);
    // The Box connector's digests were sent by the SDK on every part and on finish, not supplied by the emulator.
    const digested = emulator.requests.filter((r) => r.op === 'apideck.part' || r.op === 'apideck.finish');
    expect(digested.filter((r) => r.headers.digest === undefined)).toEqual([]);
  }

  it('create, get, upload with digests, finish: the stored file is the local file, and no request was refused', async () => {
    const { id, partSizeBytes } = await startSession();
    for (let partNumber = 0; partNumber * partSizeBytes < file.sizeBytes; partNumber += 1) await uploadPart(id, partSizeBytes, partNumber);
    await finish(id);

    expectStored();
    expect(emulator.requests.map((r) => r.op)).toEqual(['apideck.create', 'apideck.get', 'apideck.part', 'apideck.part', 'apideck.part', 'apideck.finish']);
    expect(refusals(emulator.requests)).toEqual([]);
  });

  it('delete aborts a session: later calls answer 404', async () => {
    const { id, partSizeBytes } = await startSession();
    await uploadPart(id, partSizeBytes, 0);
    const deleted = await sdk.fileStorage.uploadSessions.delete({ id, serviceId: 'box' });

    expect(deleted.deleteUploadSessionResponse?.data.id).toBe(id);
    expect(emulator.sessions()[0]?.state).toBe('aborted');
    await expect(sdk.fileStorage.uploadSessions.get({ id, serviceId: 'box' }, onUploadHost)).rejects.toMatchObject({ statusCode: 404 });
    expect(refusals(emulator.requests, [{ op: 'apideck.get', status: 404 }])).toEqual([]);
  });

  it('resumes from uploaded_byte_range after the connection drops mid-part', async () => {
    const { id, partSizeBytes } = await startSession();
    emulator.faults.add({ op: 'apideck.part', nth: 2, action: { type: 'reset-mid-body', afterBytes: MiB } });
    await uploadPart(id, partSizeBytes, 0);
    await expect(uploadPart(id, partSizeBytes, 1)).rejects.toThrow();

    // §3.5 step 4: the next part is the one after the inclusive end of the stored prefix.
    const status = await sdk.fileStorage.uploadSessions.get({ id, serviceId: 'box' }, onUploadHost);
    const range = status.getUploadSessionResponse?.data.uploadedByteRange ?? '';
    expect(range).toBe(`0-${partSizeBytes - 1}`);
    const nextPart = (Number(range.split('-')[1]) + 1) / partSizeBytes;
    for (let partNumber = nextPart; partNumber * partSizeBytes < file.sizeBytes; partNumber += 1) await uploadPart(id, partSizeBytes, partNumber);
    await finish(id);

    expectStored();
    expect(emulator.faults.fired).toEqual([{ op: 'apideck.part', action: 'reset-mid-body' }]);
    expect(refusals(emulator.requests, [{ op: 'apideck.part', status: 0 }])).toEqual([]);
  });
});
