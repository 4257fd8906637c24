import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { GraphProtocol } from '../../main/protocols/graph-protocol.js';
import { makeHarness, type Harness } from '../support/engine-harness.js';
import { Scheduler } from '../../main/engine/scheduler.js';
import { diskFileSource, type FileSource } from '../../main/engine/file-source.js';
import { sleepUnlessAborted } from '../../main/protocols/abortable-sleep.js';
import { removeDir, sha256File, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const FRAGMENT = 327_680 * 2;
const MiB = 1024 * 1024;

let work: string;
let emulator: GraphEmulator;
let h: Harness;
let file: string;

beforeEach(async () => {
  work = tempDir('engine');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
  const protocol = new GraphProtocol({
    endpoint: emulator.graphBaseUrl,
    conflictBehavior: 'replace',
    fragmentSizeBytes: FRAGMENT,
    accessToken: async () => 'graph-test-token',
  });
  h = makeHarness(work, protocol);
  file = join(work, 'f.bin');
  writeRandomFile(file, 5 * MiB + 3);
});
afterEach(async () => {
  h.store.close();
  await emulator.close();
  removeDir(work);
});

async function uploadOk(): Promise<void> {
  const id = await h.addJob(file, '/f.bin');
  const [outcome] = await h.scheduler.run([id]);
  expect(outcome).toMatchObject({ state: 'done' });
  expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
}

describe('engine + Graph under faults', () => {
  it('503 with Retry-After: waits as told and completes', async () => {
    emulator.faults.add({ op: 'graph.put', nth: 2, times: 2, action: { type: 'status', status: 503, retryAfterSec: 7 } });
    await uploadOk();
    expect(h.delaysMs.filter((d) => d >= 7000)).toHaveLength(2);
  });

  it('429 storm: keeps honouring Retry-After and completes', async () => {
    emulator.faults.add({ op: 'graph.put', nth: 3, times: 8, action: { type: 'status', status: 429, retryAfterSec: 2 } });
    await uploadOk();
    expect(h.delaysMs.filter((d) => d >= 2000)).toHaveLength(8);
  });

  it('a malformed JSON reply after the server applied the fragment: re-syncs (416 path) without re-sending it', async () => {
    emulator.faults.add({ op: 'graph.put', nth: 2, action: { type: 'malformed-json' } });
    await uploadOk();
    const session = emulator.sessions()[0]!;
    expect(session.bytesReceivedTotal).toBe(5 * MiB + 3);
  });

  it('a 500 after applying (applied-but-failed): the retry meets 416 or status and moves on', async () => {
    emulator.faults.add({ op: 'graph.put', nth: 3, action: { type: 'apply-then-fail', status: 500 } });
    await uploadOk();
    expect(emulator.sessions()[0]!.bytesReceivedTotal).toBe(5 * MiB + 3);
  });

  it('wrong ranges in a reply: re-asks the server and continues from where it really is', async () => {
    emulator.faults.add({ op: 'graph.put', nth: 2, action: { type: 'status', status: 202, body: { expirationDateTime: new Date(Date.now() + 60_000).toISOString(), nextExpectedRanges: ['0-'] } } });
    await uploadOk();
    expect(h.events.some((e) => e.type === 'job-retrying' && /expects byte 0/.test(e.reason))).toBe(true);
  });

  it('connection reset mid-fragment and before the body: retries and completes', async () => {
    emulator.faults.add({ op: 'graph.put', nth: 2, action: { type: 'reset-mid-body', afterBytes: 100_000 } });
    emulator.faults.add({ op: 'graph.put', nth: 4, action: { type: 'reset' } });
    await uploadOk();
  });

  it('status query failing with malformed JSON and 5xx on resume is retried', async () => {
    emulator.faults.add({ op: 'graph.put', nth: 3, action: { type: 'status', status: 500 } });
    emulator.faults.add({ op: 'graph.status', nth: 1, action: { type: 'malformed-json' } });
    emulator.faults.add({ op: 'graph.status', nth: 2, action: { type: 'status', status: 502 } });
    await uploadOk();
  });

  it('sustained failure ends in a clear terminal error, and attempts reset after progress', async () => {
    // every other request fails: progress keeps resetting the counter, so this completes
    for (let n = 2; n <= 16; n += 2) emulator.faults.add({ op: 'graph.put', nth: n, action: { type: 'status', status: 500 } });
    await uploadOk();
    emulator.faults.clear();
    writeRandomFile(file, 2 * MiB);
    emulator.faults.add({ op: 'graph.put', times: Infinity, action: { type: 'status', status: 500 } });
    const id = await h.addJob(file, '/g.bin');
    const [outcome] = await h.scheduler.run([id]);
    expect(outcome!.state).toBe('failed');
    expect(outcome!.message).toMatch(/gave up after 5 attempts without progress: sending bytes 0-655359: HTTP 500/);
    expect(h.store.jobs.get(id)!.errorCode).toBe('retries-exhausted');
  });

  it('a session that disappears mid-upload (404) is replaced by a new one', async () => {
    const id = await h.addJob(file, '/f.bin');
    let expired = false;
    const run = h.scheduler.run([id]);
    // expire after the first acknowledged fragment
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('no progress')), 10_000);
      const tick = setInterval(() => {
        if (!expired && (emulator.sessions()[0]?.receivedBytes ?? 0) > 0) {
          expired = true;
          emulator.expireAllSessions();
          clearInterval(tick);
          clearTimeout(deadline);
          resolve();
        }
      }, 1);
    });
    const [outcome] = await run;
    expect(outcome!.state).toBe('done');
    expect(emulator.sessions().length).toBeGreaterThanOrEqual(2);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
  });

  it('a name conflict with policy "fail" is a clear terminal error', async () => {
    const protocol = new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'fail', fragmentSizeBytes: FRAGMENT, accessToken: async () => 'graph-test-token' });
    mkdirSync(join(work, 'strict'));
    const strict = makeHarness(join(work, 'strict'), protocol);
    const first = await strict.addJob(file, '/same.bin');
    expect((await strict.scheduler.run([first]))[0]!.state).toBe('done');
    const second = await strict.addJob(file, '/same.bin');
    const [outcome] = await strict.scheduler.run([second]);
    expect(outcome!.state).toBe('failed');
    expect(outcome!.message).toMatch(/nameAlreadyExists.*conflict policy is "fail"/);
    strict.store.close();
  });

  it('a file modified during the upload is never committed as a mix: restarts on a fresh session with the new bytes', async () => {
    const id = await h.addJob(file, '/f.bin');
    let changed = false;
    const run = h.scheduler.run([id]);
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('no progress')), 10_000);
      const tick = setInterval(() => {
        if (!changed && (emulator.sessions()[0]?.receivedBytes ?? 0) >= FRAGMENT) {
          changed = true;
          writeRandomFile(file, 5 * MiB + 3); // same size, new bytes and mtime
          clearInterval(tick);
          clearTimeout(deadline);
          resolve();
        }
      }, 1);
    });
    const [outcome] = await run;
    expect(outcome!.state).toBe('done');
    expect(emulator.items()).toHaveLength(1);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
    expect(emulator.sessions()[0]!.state).toBe('cancelled');
    expect(h.store.jobs.get(id)!.restartReason).toMatch(/modified|changed/);
  });

  it('a file modified while its last fragment is read: the last byte is never sent, so the old session never completes', async () => {
    let rewrites = 0;
    // The real disk source, except that the first time the file's final range is read, the file is rewritten (same
    // size, new bytes and mtime) just before that range's last chunk is handed on: the old bytes are already read.
    const files: FileSource = {
      ...diskFileSource,
      open(path, options) {
        const reader = diskFileSource.open(path, options);
        return {
          close: () => reader.close(),
          async *read(offset, size) {
            const isFinalRange = offset + size === statSync(path).size;
            let seen = 0;
            for await (const chunk of reader.read(offset, size)) {
              seen += chunk.length;
              if (isFinalRange && seen === size && rewrites === 0) {
                rewrites++;
                writeRandomFile(path, 5 * MiB + 3);
                utimesSync(path, new Date(), new Date(Date.now() + 5_000));
              }
              yield chunk;
            }
          },
        };
      },
    };
    const protocol = new GraphProtocol({
      endpoint: emulator.graphBaseUrl,
      conflictBehavior: 'replace',
      fragmentSizeBytes: FRAGMENT,
      accessToken: async () => 'graph-test-token',
    });
    const h2 = makeHarness(join(work, 'h2'), protocol, undefined, files);
    try {
      const id = await h2.addJob(file, '/g.bin');
      const [outcome] = await h2.scheduler.run([id]);
      expect(rewrites).toBe(1);
      expect(outcome!.state).toBe('done');
      // The first session got every byte but the last ones and was cancelled, never completed with the old content.
      expect(emulator.sessions().map((s) => s.state)).toEqual(['cancelled', 'completed']);
      expect(emulator.items()).toHaveLength(1);
      expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
      expect(h2.store.jobs.get(id)!.restartReason).toMatch(/modified|changed/);
    } finally {
      h2.store.close();
    }
  });

  it('uploads several files concurrently (across files), each verified', async () => {
    const files = [0, 1, 2, 3].map((i) => {
      const p = join(work, `m${i}.bin`);
      writeRandomFile(p, MiB + i * 1000);
      return p;
    });
    const ids = [];
    for (const [i, p] of files.entries()) ids.push(await h.addJob(p, `/m${i}.bin`));
    const outcomes = await h.scheduler.run(ids);
    expect(outcomes.map((o) => o.state)).toEqual(['done', 'done', 'done', 'done']);
    const byPath = new Map(emulator.items().map((i) => [i.path, i.sha256]));
    for (const [i, p] of files.entries()) expect(byPath.get(`/m${i}.bin`)).toBe(await sha256File(p));
  });

  it('daemon mode: runs queued jobs as they appear, and does not spin on a job another live process holds', async () => {
    const held = await h.addJob(file, '/held.bin');
    h.store.jobs.tryLease(held, { pid: 999_999, startTime: null }, Date.now(), 60_000, () => true);
    const scheduler = new Scheduler({
      store: h.store,
      files: diskFileSource,
      protocolFor: () => new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: FRAGMENT, accessToken: async () => 'graph-test-token' }),
      nowMs: Date.now,
      rand: () => 0.5,
      sleep: (ms, signal) => sleepUnlessAborted(Math.min(ms, 5), signal),
      events: () => undefined,
      holder: { pid: process.pid, startTime: null },
      isHolderAlive: (holder) => holder.pid === 999_999 || holder.pid === process.pid,
    });
    let leaseTries = 0;
    const tryLease = h.store.jobs.tryLease.bind(h.store.jobs);
    h.store.jobs.tryLease = (...args) => {
      leaseTries++;
      return tryLease(...args);
    };
    const stop = new AbortController();
    const loop = scheduler.runQueue(stop.signal, 50);
    const other = join(work, 'other.bin');
    writeRandomFile(other, MiB);
    const queued = await h.addJob(other, '/other.bin');
    scheduler.wake();
    await waitFor(() => h.store.jobs.get(queued)!.state === 'done', 10_000, 'the queued job to finish');
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    await loop;
    expect(h.store.jobs.get(held)!.state).toBe('queued');
    // about one look at the held job, not thousands
    expect(leaseTries).toBeLessThan(10);
  });
});
