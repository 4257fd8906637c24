/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY for every provider, through a small proxy on 127.0.0.1 (test/emulators/http-proxy).
 *
 * The emulators listen on 127.0.0.1, which Hoist never sends through a proxy by default (the loopback rule, see
 * main/protocols/proxy-choice.ts). The tests lift the rule the way a user would for a proxy on their own machine:
 * HOIST_PROXY_LOOPBACK=1 in the environment they pass (the CLI's child env, or `ProxyRoutes.fromEnv` in-process), so
 * nothing here changes process.env and the emulators keep their real addresses.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { UploadFailure } from '../../main/domain/failure.js';
import { httpRequest } from '../../main/protocols/http.js';
import { OAuthRefused, postTokenForm } from '../../main/protocols/oauth-client.js';
import { ProxyRoutes, useProxyEnv, type ProxyEnv } from '../../main/protocols/proxy-routes.js';
import { S3Protocol } from '../../main/protocols/s3-protocol.js';
import type { JobView } from '../../preload/contract/views.js';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { HttpProxy, type HttpProxyOptions } from '../emulators/http-proxy.js';
import { S3_TEST_ACCESS_KEY_ID, S3_TEST_REGION, S3_TEST_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from '../emulators/s3-server.js';
import { cliEnv, parseJsonOutput, removeDir, runCli, sha256File, tempDir, writeRandomFile, type CliResult } from '../support/cli.js';
import { makeHarness } from '../support/engine-harness.js';

const MiB = 1024 * 1024;
const FRAGMENT = 327_680 * 4;
const USER = 'hoist-user';
const PASSWORD = 'pr0xy-S3cret!';
const LOOPBACK = { HOIST_PROXY_LOOPBACK: '1' };
const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'no_proxy', 'all_proxy', 'HOIST_PROXY_LOOPBACK'];

type Summary = { ok: boolean; jobs: JobView[] };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function startProxy(options: HttpProxyOptions = {}): Promise<HttpProxy> {
  const proxy = await HttpProxy.start(options);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A Graph emulator, a data folder and a CLI whose environment has exactly the proxy variables a test names. */
async function graphRig() {
  const work = tempDir('proxy');
  const emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
  cleanups.push(async () => {
    await emulator.close();
    removeDir(work);
  });
  const hoist = (env: Record<string, string>, ...args: string[]): Promise<CliResult> => {
    // Only the variables the test names: none inherited from the machine running the tests.
    const childEnv = cliEnv({ HOME: work });
    for (const name of PROXY_VARIABLES) {
      delete childEnv[name.toLowerCase()];
      delete childEnv[name.toUpperCase()];
    }
    Object.assign(childEnv, env);
    return runCli(['--data-dir', join(work, 'data'), ...args], { env: childEnv });
  };
  const file = (name: string, sizeBytes: number): string => {
    const path = join(work, name);
    writeRandomFile(path, sizeBytes);
    return path;
  };
  const addGraph = async (name: string, endpoint = emulator.graphBaseUrl) => {
    const added = await hoist({}, 'dest', 'add', name, '--provider', 'graph', '--endpoint', endpoint, '--token', 'graph-test-token', '--fragment-size', String(FRAGMENT));
    expect(added.code).toBe(0);
  };
  return { work, emulator, hoist, file, addGraph, log: () => readFileSync(join(work, 'data', 'logs', 'hoist.log'), 'utf8') };
}

const noStack = (r: CliResult) => expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('uploads through an HTTP proxy', () => {
  it('Graph: the API and the uploadUrl go through the proxy on kept-alive connections, the file arrives byte-identical', async () => {
    const rig = await graphRig();
    const proxy = await startProxy();
    await rig.addGraph('od');
    const path = rig.file('through.bin', 6 * MiB + 4321);
    const run = await rig.hoist({ HTTP_PROXY: proxy.url, ...LOOPBACK }, 'upload', path, '--dest', 'od', '--remote-dir', '/P', '--json');
    expect(run.code).toBe(0);
    expect(parseJsonOutput<Summary>(run.stdout).jobs[0]!.state).toBe('done');
    expect(rig.emulator.items()[0]!.sha256).toBe(await sha256File(path));
    const paths = proxy.records.map((r) => r.path);
    expect(paths.some((p) => p.endsWith(':/createUploadSession'))).toBe(true);
    expect(proxy.records.filter((r) => r.path.startsWith('/up/') && r.method === 'PUT')).toHaveLength(Math.ceil((6 * MiB + 4321) / FRAGMENT));
    // Everything the emulator saw came through the proxy, and connections were reused.
    expect(proxy.records).toHaveLength(rig.emulator.requests.length);
    expect(proxy.records.every((r) => r.kind === 'forward' && r.target === new URL(rig.emulator.url).host)).toBe(true);
    expect(proxy.connections).toBeLessThan(proxy.records.length);
  });

  it('S3: every request of a multipart upload goes through the proxy, the object is byte-identical', async () => {
    const proxy = await startProxy();
    const work = tempDir('proxy-s3');
    const server = await startS3Server();
    const protocol = s3Protocol(server, { HTTP_PROXY: proxy.url, ...LOOPBACK });
    const h = makeHarness(work, protocol);
    const direct = directS3Client(server);
    cleanups.push(async () => {
      h.store.close();
      protocol.destroy();
      direct.destroy();
      await server.close();
      removeDir(work);
    });
    const path = join(work, 'object.bin');
    writeRandomFile(path, 12 * MiB + 7);
    const [outcome] = await h.scheduler.run([await h.addJob(path, '/dir/object.bin')]);
    if (outcome?.state !== 'done') console.log(outcome, h.events.filter((e) => e.type !== 'bytes-sent'), proxy.records);
    expect(outcome).toMatchObject({ state: 'done' });
    const seen = proxy.records.length;
    expect(seen).toBe(server.requests.length);
    expect(proxy.records.filter((r) => r.method === 'PUT' && r.path.includes('partNumber='))).toHaveLength(3);
    expect(proxy.records.reduce((sum, r) => sum + r.bodyBytes, 0)).toBeGreaterThanOrEqual(12 * MiB + 7);
    expect(proxy.connections).toBeLessThan(seen);
    const object = await direct.send(new GetObjectCommand({ Bucket: server.bucket, Key: 'dir/object.bin' }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(await sha256File(path));
  });

  it('sign-in requests go through the proxy too', async () => {
    const rig = await graphRig();
    const proxy = await startProxy();
    useProxyEnv({ HTTP_PROXY: proxy.url, ...LOOPBACK });
    cleanups.push(() => useProxyEnv(process.env));
    const refused = postTokenForm(`${rig.emulator.authorityUrl}/common/oauth2/v2.0/token`, { grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'graph-test-client' }, AbortSignal.timeout(10_000));
    await expect(refused).rejects.toBeInstanceOf(OAuthRefused);
    expect(proxy.records.map((r) => r.path)).toEqual(['/common/oauth2/v2.0/token']);
  });
});

describe('which requests take the proxy', () => {
  it('NO_PROXY excludes a host; without proxy variables, for loopback by default and for the local destination nothing goes through', async () => {
    const rig = await graphRig();
    const proxy = await startProxy();
    const port = new URL(rig.emulator.url).port;
    // The API by the name localhost (excluded), the uploadUrl the emulator hands out on 127.0.0.1 (proxied).
    await rig.addGraph('lh', `http://localhost:${port}/v1.0`);
    const first = await rig.hoist({ HTTP_PROXY: proxy.url, NO_PROXY: 'localhost', ...LOOPBACK }, 'upload', rig.file('a.bin', 2 * MiB), '--dest', 'lh', '--json');
    expect(first.code).toBe(0);
    expect(proxy.records.length).toBeGreaterThan(0);
    expect(proxy.records.every((r) => r.path.startsWith('/up/'))).toBe(true);
    expect(rig.emulator.requests.some((r) => r.op === 'graph.create')).toBe(true);

    const seen = proxy.records.length;
    const connections = proxy.connections;
    await rig.addGraph('od');
    const runs = [
      await rig.hoist({ http_proxy: proxy.url, no_proxy: `127.0.0.1:${port}`, ...LOOPBACK }, 'upload', rig.file('b.bin', 2 * MiB), '--dest', 'od'),
      await rig.hoist({}, 'upload', rig.file('c.bin', 2 * MiB), '--dest', 'od'),
      await rig.hoist({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }, 'upload', rig.file('d.bin', 2 * MiB), '--dest', 'od'),
      await rig.hoist({ HTTP_PROXY: proxy.url, ...LOOPBACK }, 'upload', rig.file('e.bin', 2 * MiB), '--dest', 'local'),
    ];
    for (const run of runs) expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(proxy.records).toHaveLength(seen);
    expect(proxy.connections).toBe(connections);
    expect(readFileSync(join(rig.work, 'Hoist Uploads', 'e.bin')).length).toBe(2 * MiB);
  });
});

describe('a proxy that refuses', () => {
  it('407 (plain http, and a refused CONNECT): the job fails at once with a plain message naming only the proxy host', async () => {
    const rig = await graphRig();
    const proxy = await startProxy({ credentials: `${USER}:${PASSWORD}` });
    await rig.addGraph('od');
    const tusAdded = await rig.hoist({}, 'dest', 'add', 'nas', '--provider', 'tus', '--endpoint', `https://127.0.0.1:${new URL(rig.emulator.url).port}/files/`);
    expect(tusAdded.code).toBe(0);
    const message = `the proxy ${proxy.host} refused the connection (407 Proxy Authentication Required)`;

    const graph = await rig.hoist({ HTTP_PROXY: proxy.url, ...LOOPBACK }, 'upload', rig.file('a.bin', 2 * MiB), '--dest', 'od');
    expect(graph.code).toBe(1);
    expect(graph.stdout).toContain(`failed – ${message}`);
    noStack(graph);
    expect(proxy.records).toHaveLength(1); // fatal: not retried
    expect(rig.emulator.requests).toEqual([]);

    const tus = await rig.hoist({ HTTPS_PROXY: proxy.url, ...LOOPBACK }, 'upload', rig.file('b.bin', 1000), '--dest', 'nas', '--json');
    expect(tus.code).toBe(1);
    const job = parseJsonOutput<Summary>(tus.stdout).jobs[0]!;
    expect(job.state).toBe('failed');
    expect(JSON.stringify(job)).toContain(message);
    noStack(tus);
    expect(proxy.records.slice(1).every((r) => r.kind === 'connect' && r.status === 407)).toBe(true);
  });

  it('credentials in the proxy URL go as Proxy-Authorization and appear in no message and no log line', async () => {
    const rig = await graphRig();
    const proxy = await startProxy({ credentials: `${USER}:${PASSWORD}` });
    await rig.addGraph('od');
    const path = rig.file('a.bin', 3 * MiB);
    const ok = await rig.hoist({ HTTP_PROXY: proxy.urlWith(USER, PASSWORD), ...LOOPBACK }, 'upload', path, '--dest', 'od');
    expect(ok.code).toBe(0);
    expect(rig.emulator.items()[0]!.sha256).toBe(await sha256File(path));
    expect(proxy.records.length).toBeGreaterThan(3);
    expect(proxy.records.every((r) => r.proxyAuthorization === basic(USER, PASSWORD) && r.status < 400)).toBe(true);

    const wrong = 'wr0ng-Pa55word';
    const bad = await rig.hoist({ HTTP_PROXY: proxy.urlWith(USER, wrong), ...LOOPBACK }, 'upload', rig.file('b.bin', MiB), '--dest', 'od', '--json');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`the proxy ${proxy.host} refused the connection (407 Proxy Authentication Required)`);
    const everything = ok.stdout + ok.stderr + bad.stdout + bad.stderr + rig.log();
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), wrong, `${USER}:`, basic(USER, PASSWORD).slice(6), basic(USER, wrong).slice(6)]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('in-process: 407 to S3 is fatal (plain http and CONNECT), a CONNECT refused with 5xx and an unreachable proxy are retried', async () => {
    const proxy = await startProxy({ credentials: `${USER}:${PASSWORD}` });
    const server = await startS3Server();
    const work = tempDir('proxy-refuse');
    cleanups.push(async () => {
      await server.close();
      removeDir(work);
    });
    const path = join(work, 'small.bin');
    writeFileSync(path, 'seven b');
    for (const endpoint of [server.endpoint, server.endpoint.replace('http:', 'https:')]) {
      const protocol = s3Protocol(server, { HTTP_PROXY: proxy.urlWith(USER, 'nope'), HTTPS_PROXY: proxy.urlWith(USER, 'nope'), ...LOOPBACK }, endpoint);
      const h = makeHarness(join(work, String(endpoint.length)), protocol);
      cleanups.push(() => h.store.close());
      const [outcome] = await h.scheduler.run([await h.addJob(path, '/small.bin')]);
      expect(outcome).toMatchObject({ state: 'failed', message: expect.stringContaining(`the proxy ${proxy.host} refused the connection (407 Proxy Authentication Required)`) });
      expect(outcome!.message).not.toContain('nope');
      protocol.destroy();
    }
    // Each endpoint: the HEAD that looks for the same file already there, then the PUT, both refused.
    expect(proxy.records.map((r) => [r.kind, r.status])).toEqual([['forward', 407], ['forward', 407], ['connect', 407], ['connect', 407]]);
    expect(server.requests).toEqual([]);

    const failing = await startProxy({ refuseWith: 502 });
    const viaFailing = ProxyRoutes.fromEnv({ HTTPS_PROXY: failing.urlWith(USER, PASSWORD), ...LOOPBACK });
    const refused = await failure(httpRequest(`https://127.0.0.1:${new URL(server.endpoint).port}/x`, { method: 'GET', signal: AbortSignal.timeout(10_000), proxies: viaFailing }));
    expect(refused.failure).toEqual({ kind: 'retry', reason: `the proxy ${failing.host} refused the connection (502 Bad Gateway)` });

    const closedPort = await freePort();
    const viaNothing = ProxyRoutes.fromEnv({ HTTPS_PROXY: `http://${USER}:${PASSWORD}@127.0.0.1:${closedPort}`, ...LOOPBACK });
    const unreachable = await failure(httpRequest('https://127.0.0.1:9/x', { method: 'GET', signal: AbortSignal.timeout(10_000), proxies: viaNothing }));
    expect(unreachable.failure).toEqual({ kind: 'retry', reason: `network error talking to the proxy 127.0.0.1:${closedPort}: ECONNREFUSED` });
    expect(JSON.stringify([refused.failure, unreachable.failure])).not.toContain(PASSWORD);
  });
});

function s3Protocol(server: S3TestServer, env: ProxyEnv, endpoint = server.endpoint): S3Protocol {
  return new S3Protocol({
    endpoint,
    region: S3_TEST_REGION,
    bucket: server.bucket,
    forcePathStyle: true,
    accessKeyId: S3_TEST_ACCESS_KEY_ID,
    secretAccessKey: async () => S3_TEST_SECRET_ACCESS_KEY,
    partSizeBytes: 5 * MiB,
    proxies: ProxyRoutes.fromEnv(env),
  });
}

function directS3Client(server: S3TestServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: S3_TEST_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_TEST_ACCESS_KEY_ID, secretAccessKey: S3_TEST_SECRET_ACCESS_KEY },
  });
}

async function failure(promise: Promise<unknown>): Promise<UploadFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UploadFailure);
  return error as UploadFailure;
}

/** A port nothing listens on: taken from a server that is closed again. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
