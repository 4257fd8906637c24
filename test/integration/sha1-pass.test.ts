/**
 * Box and Apideck's Box connector through the real scheduler: one in-order pass reads each part once, hashes it for its
 * digest and for the whole-file SHA-1 on the commit, and sends it from a reused buffer. Reads are counted through the
 * file-source port.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diskFileSource, type FileReader, type FileSource } from '../../main/engine/file-source.js';
import { Scheduler } from '../../main/engine/scheduler.js';
import { sleepUnlessAborted } from '../../main/protocols/abortable-sleep.js';
import { ApideckProtocol } from '../../main/protocols/apideck-protocol.js';
import { BoxProtocol } from '../../main/protocols/box-protocol.js';
import type { UploadProtocol } from '../../main/protocols/upload-protocol.js';
import { Store } from '../../main/store/store.js';
import { ApideckEmulator } from '../emulators/apideck-emulator.js';
import { BoxEmulator } from '../emulators/box-emulator.js';
import { removeDir, tempDir, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const PART = 8 * MiB;
const SIZE = 5 * PART + 123_457; // 6 parts, the last one short

/** The disk source, counting every open and every byte read through it (ranges, pieces read straight into buffers). */
class CountingSource implements FileSource {
  opens = 0;
  bytesRead = 0;
  identity = diskFileSource.identity;
  open(path: string, options?: Parameters<FileSource['open']>[1]): FileReader {
    this.opens += 1;
    const inner = diskFileSource.open(path, options);
    const count = async function* (this: CountingSource, chunks: AsyncIterable<Uint8Array>) {
      for await (const chunk of chunks) {
        this.bytesRead += chunk.length;
        yield chunk;
      }
    }.bind(this);
    return {
      read: (offset, size) => count(inner.read(offset, size)),
      readInto: (target, offset) => count(inner.readInto!(target, offset)),
      close: () => inner.close(),
    };
  }
  read(path: string, offsetBytes: number, sizeBytes: number): AsyncIterable<Uint8Array> {
    this.opens += 1;
    const self = this;
    return (async function* () {
      for await (const chunk of diskFileSource.read(path, offsetBytes, sizeBytes)) {
        self.bytesRead += chunk.length;
        yield chunk;
      }
    })();
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface World {
  work: string;
  store: Store;
  file: string;
  jobId: number;
}

async function world(provider: UploadProtocol['provider'], work: string): Promise<World> {
  const store = Store.open(join(work, 'hoist.db'));
  cleanups.push(() => store.close());
  const file = join(work, 'f.bin');
  writeRandomFile(file, SIZE);
  const dest = store.destinations.add('d', provider, {}, Date.now());
  const jobId = store.jobs.create({ destinationId: dest.id, localPath: file, remotePath: '/f.bin', ...(await diskFileSource.identity(file)) }, Date.now()).id;
  return { work, store, file, jobId };
}

async function run(w: World, protocol: UploadProtocol, opts: { budgetBytes?: number; maxAttempts?: number } = {}) {
  const files = new CountingSource();
  const scheduler = new Scheduler({
    store: w.store,
    files,
    protocolFor: () => protocol,
    nowMs: Date.now,
    rand: () => 0.5,
    sleep: (ms, signal) => sleepUnlessAborted(Math.min(ms, 5), signal),
    events: () => undefined,
    holder: { pid: process.pid, startTime: null },
    isHolderAlive: () => false,
    retryPolicy: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: opts.maxAttempts ?? 4, maxRateLimited: 5 },
    partBufferBudgetBytes: opts.budgetBytes,
  });
  const [outcome] = await scheduler.run([w.jobId]);
  return { outcome, files };
}

async function boxWorld() {
  const work = tempDir('sha1-pass');
  const box = await BoxEmulator.start({ storageDir: join(work, 'server') });
  cleanups.push(() => removeDir(work), () => box.close());
  const protocol = new BoxProtocol({
    uploadEndpoint: box.uploadBaseUrl,
    apiEndpoint: box.apiBaseUrl,
    folderId: '0',
    conflictPolicy: 'version',
    accessToken: async () => 'box-test-token',
    sleep: (ms, signal) => sleepUnlessAborted(Math.min(ms, 5), signal),
  });
  return { box, protocol, w: await world('box', work) };
}

const sha1Hex = (path: string) => createHash('sha1').update(readFileSync(path)).digest('hex');

describe('Box parts from one in-order pass', () => {
  it('a fault-free upload opens the file once and reads each byte once: parts, their digests and the commit digest', async () => {
    const { box, protocol, w } = await boxWorld();
    const { outcome, files } = await run(w, protocol);
    expect(outcome).toMatchObject({ state: 'done' });
    expect(files.opens).toBe(1);
    expect(files.bytesRead).toBe(SIZE);
    expect(box.files()[0]).toMatchObject({ size: SIZE, sha1: sha1Hex(w.file) });
    expect(box.sessions()).toMatchObject([{ partsStored: 6, bytesReceivedTotal: SIZE, state: 'committed' }]);
  });

  it('on resume, parts the server holds are read once for the whole-file hash and never sent again', async () => {
    const { box, protocol, w } = await boxWorld();
    box.faults.add({ op: 'box.part', nth: 4, times: Infinity, action: { type: 'status', status: 500 } });
    const first = await run(w, protocol, { maxAttempts: 1 });
    expect(first.outcome).toMatchObject({ state: 'failed' });
    const held = box.sessions()[0]!.partsStored;
    expect(held).toBeGreaterThanOrEqual(3);
    box.faults.clear();
    const sentBefore = box.requests.filter((r) => r.op === 'box.part' && r.status === 200).length;

    const { outcome, files } = await run(w, protocol);
    expect(outcome).toMatchObject({ state: 'done' });
    expect(files.opens).toBe(1);
    expect(files.bytesRead).toBe(SIZE);
    expect(box.requests.filter((r) => r.op === 'box.part' && r.status === 200).length - sentBefore).toBe(6 - held);
    expect(box.files()[0]).toMatchObject({ size: SIZE, sha1: sha1Hex(w.file) });
  });

  it('parts too large for the buffer budget (it holds fewer than two) are hashed on a first read and streamed on a second, still in parallel', async () => {
    const { box, protocol, w } = await boxWorld();
    let inFlight = 0;
    let maxInFlight = 0;
    const counted = Object.create(protocol) as BoxProtocol;
    counted.uploadPart = async (...args) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await protocol.uploadPart(...args);
      } finally {
        inFlight--;
      }
    };
    const { outcome, files } = await run(w, counted, { budgetBytes: PART + PART / 2 });
    expect(outcome).toMatchObject({ state: 'done' });
    expect(files.opens).toBe(1);
    expect(files.bytesRead).toBe(2 * SIZE);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(box.files()[0]).toMatchObject({ size: SIZE, sha1: sha1Hex(w.file) });
  });
});

describe("Apideck's Box connector from one in-order pass", () => {
  it('a fault-free upload opens the file once and reads each byte once; digests on parts and finish', async () => {
    const work = tempDir('sha1-pass-apideck');
    const emu = await ApideckEmulator.start({ storageDir: join(work, 'server'), connector: 'box' });
    cleanups.push(() => removeDir(work), () => emu.close());
    const protocol = new ApideckProtocol({
      endpoint: emu.url,
      appId: 'test-app',
      consumerId: 'test-consumer',
      serviceId: 'box',
      folderId: 'root',
      accessToken: async () => 'apideck-test-key',
    });
    const w = await world('apideck', work);
    const { outcome, files } = await run(w, protocol);
    expect(outcome).toMatchObject({ state: 'done' });
    expect(files.opens).toBe(1);
    expect(files.bytesRead).toBe(SIZE);
    expect(emu.files()[0]).toMatchObject({ sha1: sha1Hex(w.file) });
    const parts = emu.requests.filter((r) => r.op === 'apideck.part');
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((r) => typeof r.headers.digest === 'string' && r.status < 300)).toBe(true);
  });
});
