/**
 * The `delay` fault's two phases on every emulator and the fault proxy: 'before-body' holds the request before it is
 * handled; 'after-body' handles it (body read, state changed) and then holds the reply, like a distant server.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApideckEmulator } from '../emulators/apideck-emulator.js';
import { BoxEmulator } from '../emulators/box-emulator.js';
import { FaultProxy } from '../emulators/fault-proxy.js';
import type { FaultInjector } from '../emulators/faults.js';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { startS3Server } from '../emulators/s3-server.js';
import { removeDir, tempDir, waitFor } from '../support/cli.js';

const HOLD_MS = 400;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function work(): string {
  const dir = tempDir('reply-delay');
  cleanups.push(() => removeDir(dir));
  return dir;
}

/**
 * Sends `request` with an after-body hold on `op`: the server's state shows the request handled while the reply is
 * still held, and the reply comes no sooner than the hold.
 */
async function expectHeldReply(faults: FaultInjector, op: string, request: () => Promise<Response>, isHandled: () => boolean | Promise<boolean>): Promise<void> {
  faults.add({ op, action: { type: 'delay', ms: HOLD_MS, phase: 'after-body' } });
  const startedAtMs = Date.now();
  let repliedAtMs: number | undefined;
  const reply = request().then((r) => {
    repliedAtMs = Date.now();
    return r;
  });
  let handled = false;
  await waitFor(() => {
    void Promise.resolve(isHandled()).then((h) => (handled ||= h));
    return handled || repliedAtMs !== undefined;
  }, 10_000, `${op} handled`);
  expect(repliedAtMs).toBeUndefined();
  await (await reply).arrayBuffer();
  expect(repliedAtMs! - startedAtMs).toBeGreaterThanOrEqual(HOLD_MS - 20);
}

async function graph(): Promise<GraphEmulator> {
  const emu = await GraphEmulator.start({ storageDir: join(work(), 'server') });
  cleanups.push(() => emu.close());
  return emu;
}

const createGraphSession = (base: string) => () =>
  fetch(`${base}/me/drive/root:/a.bin:/createUploadSession`, {
    method: 'POST',
    headers: { authorization: 'Bearer graph-test-token', 'content-type': 'application/json' },
    body: '{}',
  });

describe('delay fault phases', () => {
  it('Graph: before-body holds the handling; after-body handles, then holds the reply', async () => {
    const emu = await graph();
    emu.faults.add({ op: 'graph.create', action: { type: 'delay', ms: HOLD_MS } });
    const held = createGraphSession(emu.graphBaseUrl)();
    await new Promise((r) => setTimeout(r, HOLD_MS / 2));
    expect(emu.sessions()).toHaveLength(0);
    expect((await held).status).toBe(200);
    expect(emu.sessions()).toHaveLength(1);

    await expectHeldReply(emu.faults, 'graph.create', createGraphSession(emu.graphBaseUrl), () => emu.sessions().length === 2);
  });

  it('Box: after-body handles, then holds the reply', async () => {
    const box = await BoxEmulator.start({ storageDir: join(work(), 'server') });
    cleanups.push(() => box.close());
    const create = () =>
      fetch(`${box.uploadBaseUrl}/files/upload_sessions`, {
        method: 'POST',
        headers: { authorization: 'Bearer box-test-token', 'content-type': 'application/json' },
        body: JSON.stringify({ folder_id: '0', file_size: 25_000_000, file_name: 'a.bin' }),
      });
    await expectHeldReply(box.faults, 'box.create', create, () => box.sessions().length === 1);
  });

  it('Apideck: after-body handles, then holds the reply', async () => {
    const emu = await ApideckEmulator.start({ storageDir: join(work(), 'server') });
    cleanups.push(() => emu.close());
    const create = () =>
      fetch(`${emu.url}/file-storage/upload-sessions`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer apideck-test-key',
          'x-apideck-app-id': 'test-app',
          'x-apideck-consumer-id': 'test-consumer',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'a.bin', parent_folder_id: 'root', size: 10 }),
      });
    await expectHeldReply(emu.faults, 'apideck.create', create, () => emu.sessions().length === 1);
  });

  it('S3: after-body reads the whole body, then holds the reply', async () => {
    const s3 = await startS3Server();
    cleanups.push(() => s3.close());
    const put = () => fetch(`${s3.endpoint}/${s3.bucket}/a.bin`, { method: 'PUT', body: Buffer.alloc(100_000, 7) });
    await expectHeldReply(s3.faults, 's3.put', put, () => s3.requests.some((r) => r.op === 's3.put' && r.bytesReceived === 100_000));
  });

  it('fault proxy: the server answers, the proxy holds its reply', async () => {
    const emu = await graph();
    const proxy = await FaultProxy.start(emu.url, () => 'any');
    cleanups.push(() => proxy.close());
    const base = emu.graphBaseUrl.replace(`:${new URL(emu.url).port}`, `:${proxy.port}`);
    await expectHeldReply(proxy.faults, 'any', createGraphSession(base), () => emu.sessions().length === 1);
  });
});
