/** `startReceiver` (what `hoist receive` runs) driven by tus-js-client, a real third-party tus client. */
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Upload, type DetailedError } from 'tus-js-client';
import { openReceiver } from '../../main/app/cli/receive-command.js';
import { startReceiver, type Receiver, type ReceiverOptions } from '../../main/app/receive/receiver.js';
import { HoistError } from '../../main/domain/hoist-error.js';
import { removeDir, sha256File, tempDir, writeRandomFile } from '../support/cli.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Rig {
  work: string;
  inbox: string;
  receiver: Receiver;
}

async function rig(options: Partial<ReceiverOptions> = {}): Promise<Rig> {
  const work = tempDir('receive');
  cleanups.push(() => removeDir(work));
  const inbox = join(work, 'inbox');
  const receiver = await startReceiver({ dir: inbox, port: 0, ...options });
  cleanups.push(() => receiver.close());
  return { work, inbox, receiver };
}

/** Uploads with tus-js-client (its defaults: one PATCH for the whole file); resolves with the upload URL. */
function tusJsUpload(endpoint: string, path: string, metadata: Record<string, string>, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(createReadStream(path) as unknown as Buffer, {
      endpoint,
      metadata,
      headers,
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve(upload.url!),
    });
    upload.start();
  });
}

async function statusOfRejected(promise: Promise<unknown>): Promise<number | undefined> {
  const error = (await promise.then(
    () => {
      throw new Error('expected the upload to be refused');
    },
    (e: unknown) => e,
  )) as DetailedError;
  return error.originalResponse?.getStatus();
}

/** A raw request, for headers fetch() will not send (Host, Origin). */
function raw(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hoist receive (startReceiver) with tus-js-client', () => {
  it('files an upload at DIR/<relativePath>; HEAD still answers "complete" afterwards, also after a restart', async () => {
    const { work, inbox, receiver } = await rig();
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/$/);
    const file = join(work, 'c.bin');
    writeRandomFile(file, 3_000_001);
    const url = await tusJsUpload(receiver.url, file, { filename: 'c.bin', relativePath: 'a/b/c.bin', filetype: 'application/octet-stream' });
    const landed = join(inbox, 'a', 'b', 'c.bin');
    expect(await sha256File(landed)).toBe(await sha256File(file));
    // The staging folder keeps only the info file, so a client whose last reply was lost still learns it is complete.
    const id = url.split('/').pop()!;
    expect(readdirSync(join(inbox, '.hoist-receive'))).toEqual([`${id}.json`]);
    const head = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect([head.status, head.headers.get('upload-offset'), head.headers.get('upload-length')]).toEqual([200, '3000001', '3000001']);
    expect((await fetch(url)).status).toBe(404); // no downloads
    expect((await fetch(url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' } })).status).toBe(400); // nor deletes
    expect(existsSync(landed)).toBe(true);

    await receiver.close();
    const again = await startReceiver({ dir: inbox, port: 0 });
    cleanups.push(() => again.close());
    const headAgain = await fetch(`${again.url}${id}`, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
    expect([headAgain.status, headAgain.headers.get('upload-offset')]).toEqual([200, '3000001']);
  });

  it('announces creation, termination and expiration (7 days), but not checksum (@tus/server has none)', async () => {
    const { receiver } = await rig();
    const options = await fetch(receiver.url, { method: 'OPTIONS' });
    const extensions = options.headers.get('tus-extension')!.split(',');
    expect(extensions).toEqual(expect.arrayContaining(['creation', 'termination', 'expiration']));
    expect(extensions).not.toContain('checksum');
    const created = await fetch(receiver.url, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': `filename ${Buffer.from('x.bin').toString('base64')}` } });
    expect(created.status).toBe(201);
    const expiresMs = Date.parse(created.headers.get('upload-expires')!);
    expect(Math.abs(expiresMs - (Date.now() + 7 * 24 * 3600 * 1000))).toBeLessThan(60_000);
  });

  it('never overwrites: a second file with the same name becomes "c (1).bin"', async () => {
    const { work, inbox, receiver } = await rig();
    const first = join(work, 'one.bin');
    const second = join(work, 'two.bin');
    writeRandomFile(first, 1000);
    writeRandomFile(second, 2000);
    await tusJsUpload(receiver.url, first, { filename: 'c.bin', relativePath: 'a/c.bin' });
    await tusJsUpload(receiver.url, second, { filename: 'c.bin', relativePath: 'a/c.bin' });
    expect(readdirSync(join(inbox, 'a')).sort()).toEqual(['c (1).bin', 'c.bin']);
    expect(await sha256File(join(inbox, 'a', 'c.bin'))).toBe(await sha256File(first));
    expect(await sha256File(join(inbox, 'a', 'c (1).bin'))).toBe(await sha256File(second));
  });

  it('refuses path traversal, absolute paths, NUL and the staging folder in the metadata (400 at creation)', async () => {
    const { work, inbox, receiver } = await rig();
    const file = join(work, 'x.bin');
    writeRandomFile(file, 100);
    const bad = ['../evil.bin', 'a/../../evil.bin', '..\\evil.bin', '/tmp/evil.bin', 'C:\\evil.bin', 'a//b.bin', 'nul\0.bin', '.hoist-receive/evil'];
    for (const relativePath of bad) {
      expect(await statusOfRejected(tusJsUpload(receiver.url, file, { filename: 'evil.bin', relativePath })), relativePath).toBe(400);
    }
    expect(await statusOfRejected(tusJsUpload(receiver.url, file, { filename: '../evil.bin' }))).toBe(400);
    expect(existsSync(join(dirname(inbox), 'evil.bin'))).toBe(false);
    expect(readdirSync(inbox)).toEqual(['.hoist-receive']);
    expect(readdirSync(join(inbox, '.hoist-receive'))).toEqual([]);
    // Without any name the upload is still kept, under its id.
    const url = await tusJsUpload(receiver.url, file, {});
    expect(statSync(join(inbox, `upload-${url.split('/').pop()}`)).size).toBe(100);
  });

  it('a symbolic link inside DIR cannot lead a delivery outside it (500, nothing written outside)', async () => {
    const { work, inbox, receiver } = await rig();
    const outside = join(work, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(inbox, 'link'));
    const file = join(work, 'x.bin');
    writeRandomFile(file, 100);
    expect(await statusOfRejected(tusJsUpload(receiver.url, file, { relativePath: 'link/sub/x.bin' }))).toBe(500);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('with a token: requests without or with a wrong bearer token get 401; the right one uploads', async () => {
    const { work, inbox, receiver } = await rig({ token: 'Zm9vYmFy-token' });
    const file = join(work, 'x.bin');
    writeRandomFile(file, 5000);
    expect(await statusOfRejected(tusJsUpload(receiver.url, file, { filename: 'x.bin' }))).toBe(401);
    expect(await statusOfRejected(tusJsUpload(receiver.url, file, { filename: 'x.bin' }, { Authorization: 'Bearer Zm9vYmFy-tokeN' }))).toBe(401);
    await tusJsUpload(receiver.url, file, { filename: 'x.bin' }, { Authorization: 'Bearer Zm9vYmFy-token' });
    expect(await sha256File(join(inbox, 'x.bin'))).toBe(await sha256File(file));
  });

  it('without a token only loopback Host names are served (DNS rebinding), and there is no CORS for web pages', async () => {
    const { receiver } = await rig();
    const rebound = await raw(receiver.url, 'POST', { Host: 'evil.example', 'Tus-Resumable': '1.0.0', 'Upload-Length': '1' });
    expect(rebound.status).toBe(403);
    const local = await raw(receiver.url, 'POST', { Host: `localhost:${new URL(receiver.url).port}`, 'Tus-Resumable': '1.0.0', 'Upload-Length': '1' });
    expect(local.status).toBe(201);
    const preflight = await raw(receiver.url, 'OPTIONS', { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const work = tempDir('receive');
    cleanups.push(() => removeDir(work));
    await expect(startReceiver({ dir: work, port: 0, host: '0.0.0.0' })).rejects.toThrow(HoistError);
    await expect(openReceiver({ dir: work, port: 0, host: '0.0.0.0' }, {}, () => undefined, () => undefined)).rejects.toThrow(/--token-env/);
    await expect(openReceiver({ dir: work, port: 0, host: '127.0.0.1', tokenEnv: 'HOIST_TEST_UNSET' }, {}, () => undefined, () => undefined)).rejects.toThrow(/HOIST_TEST_UNSET/);
  });

  it('the CLI wrapper prints the endpoint to use', async () => {
    const work = tempDir('receive');
    cleanups.push(() => removeDir(work));
    const lines: string[] = [];
    const receiver = await openReceiver({ dir: join(work, 'in'), port: 0, host: '127.0.0.1', tokenEnv: 'T' }, { T: 'abc' }, (l) => lines.push(l), (l) => lines.push(l));
    cleanups.push(() => receiver.close());
    expect(lines).toContain(`tus endpoint: ${receiver.url}`);
    expect(lines.join('\n')).not.toContain('abc');
  });
});
