/**
 * Microsoft's Graph JavaScript SDK (@microsoft/microsoft-graph-client) LargeFileUploadTask against the Graph emulator
 * (protocols.md §2): fragments through the session's uploadUrl, status GET and resume after a dropped connection.
 *
 * The SDK calls the global `fetch`. Its README tells Node users to install a fetch polyfill (isomorphic-fetch, i.e.
 * node-fetch 2) and to keep Node's experimental fetch out of the way, so the suite runs once with node-fetch 2 as the
 * global fetch and once with Node's built-in fetch, which Node 20 users get by default.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { Client, LargeFileUploadTask, StreamUpload, type LargeFileUploadSession } from '@microsoft/microsoft-graph-client';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { removeDir, tempDir } from '../support/cli.js';
import { MiB, randomFile, refusals, type LocalFile } from './sdk-files.js';

const TOKEN = 'graph-sdk-token';
// node-fetch 2 ships no types; the SDK only ever calls it as a fetch.
const nodeFetch = createRequire(import.meta.url)('node-fetch') as typeof fetch;
const FETCHES: Array<{ name: string; fetch: typeof fetch }> = [
  { name: 'node-fetch 2 (the polyfill the SDK documents for Node)', fetch: nodeFetch },
  { name: "Node's built-in fetch", fetch: globalThis.fetch },
];
// Three fragments at the SDK's default 5 MiB range size (16 x 320 KiB, so aligned as Graph asks), the last one short.
const FILE_BYTES = 12 * MiB + 777;

/** The driveItem fields this suite reads from the SDK's UploadResult. */
interface DriveItemJson {
  id: string;
  name: string;
  size: number;
  file?: { hashes?: { sha256Hash?: string } };
}

describe.each(FETCHES)('microsoft-graph-client LargeFileUploadTask against the Graph emulator, $name', ({ fetch: sdkFetch }) => {
  const builtInFetch = globalThis.fetch;
  // Counted, so each test can prove that every request the emulator saw went through the fetch under test.
  let fetchCalls = 0;
  beforeAll(() => {
    globalThis.fetch = (input, init) => {
      fetchCalls += 1;
      return sdkFetch(input, init);
    };
  });
  afterAll(() => {
    globalThis.fetch = builtInFetch;
  });

  let work: string;
  let graph: GraphEmulator;
  let file: LocalFile;

  beforeEach(async () => {
    fetchCalls = 0;
    work = tempDir('sdk-graph');
    graph = await GraphEmulator.start({ storageDir: `${work}/server`, accessToken: TOKEN });
    file = await randomFile(work, 'big.bin', FILE_BYTES);
  });
  afterEach(async () => {
    await graph.close();
    removeDir(work);
  });

  /**
   * The SDK takes only `https://` URLs as absolute, so the emulator (plain http on 127.0.0.1) is its base URL with an
   * empty version: `v1.0/me/...` for the Graph API and `up/<token>` for the uploadUrl are both relative to it.
   */
  function client(): Client {
    return Client.init({ baseUrl: graph.url, defaultVersion: '', authProvider: (done) => done(null, TOKEN) });
  }

  /**
   * Creates the session with the SDK. Its AuthenticationHandler signs only https Graph hosts and strips an
   * `Authorization` header from every other URL (which is what keeps it off the uploadUrl); on plain http the Graph
   * call would go unsigned, so the token the service needs there rides in the lower-case header, which it leaves alone.
   */
  async function createSession(sdk: Client): Promise<LargeFileUploadSession> {
    const session = await LargeFileUploadTask.createUploadSession(
      sdk,
      'v1.0/me/drive/root:/docs/big.bin:/createUploadSession',
      { item: { '@microsoft.graph.conflictBehavior': 'fail', name: 'big.bin' } },
      { authorization: `Bearer ${TOKEN}` },
    );
    return { ...session, url: new URL(session.url).pathname };
  }

  function expectStored(item: DriveItemJson): void {
    expect(item).toMatchObject({ name: 'big.bin', size: file.sizeBytes });
    expect(item.file?.hashes?.sha256Hash).toBe(file.sha256Hex.toUpperCase());
    expect(graph.items()).toEqual([expect.objectContaining({ path: '/docs/big.bin', size: file.sizeBytes, sha256: file.sha256Hex })]);
  }

  /**
   * Every request the emulator saw went through the fetch under test, and none on the pre-authorised uploadUrl carried
   * Authorization (§2.1: the emulator would have answered 401, and Hoist must not send it either).
   */
  function expectSdkTraffic(): void {
    expect(fetchCalls).toBe(graph.requests.length);
    const onUploadUrl = graph.requests.filter((r) => r.path.startsWith('/up/'));
    expect(onUploadUrl.length).toBeGreaterThan(0);
    expect(onUploadUrl.filter((r) => r.hadAuthorization)).toEqual([]);
  }

  it('uploads through the uploadUrl: the stored file is the local file, and no request was refused', async () => {
    const sdk = client();
    const task = new LargeFileUploadTask(sdk, new StreamUpload(createReadStream(file.path), 'big.bin', file.sizeBytes), await createSession(sdk));
    const result = await task.upload();

    expectStored(result.responseBody as DriveItemJson);
    expect(graph.requests.filter((r) => r.op === 'graph.put').map((r) => r.status)).toEqual([202, 202, 201]);
    expectSdkTraffic();
    expect(refusals(graph.requests)).toEqual([]);
  });

  it('resumes from the session status after the connection drops mid-fragment', async () => {
    const sdk = client();
    const task = new LargeFileUploadTask(sdk, new StreamUpload(createReadStream(file.path), 'big.bin', file.sizeBytes), await createSession(sdk));
    graph.faults.add({ op: 'graph.put', nth: 2, action: { type: 'reset-mid-body', afterBytes: MiB } });
    await expect(task.upload()).rejects.toThrow();
    expect(graph.sessions()[0]?.receivedBytes).toBe(5 * MiB);

    // resume() asks GET uploadUrl for nextExpectedRanges, then continues from there.
    const result = await task.resume();

    expectStored((result as { responseBody: DriveItemJson }).responseBody);
    expect(graph.requests.filter((r) => r.op === 'graph.put' || r.op === 'graph.status').map((r) => [r.op, r.status])).toEqual([
      ['graph.put', 202],
      ['graph.put', 0],
      ['graph.status', 200],
      ['graph.put', 202],
      ['graph.put', 201],
    ]);
    expectSdkTraffic();
    expect(refusals(graph.requests, [{ op: 'graph.put', status: 0 }])).toEqual([]);
  });

  it('cancel deletes the session: DELETE uploadUrl answers 204, after which its status is 404', async () => {
    const sdk = client();
    const task = new LargeFileUploadTask(sdk, new StreamUpload(createReadStream(file.path), 'big.bin', file.sizeBytes), await createSession(sdk));
    const cancelled = (await task.cancel()) as { status: number };

    expect(cancelled.status).toBe(204);
    expect(graph.sessions()[0]?.state).toBe('cancelled');
    await expect(task.getStatus()).rejects.toMatchObject({ statusCode: 404 });
    expectSdkTraffic();
    expect(refusals(graph.requests, [{ op: 'graph.status', status: 404 }])).toEqual([]);
  });
});
