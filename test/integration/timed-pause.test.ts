import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { GraphProtocol } from '../../main/protocols/graph-protocol.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import { Scheduler } from '../../main/engine/scheduler.js';
import { timedPauseUntil } from '../../main/engine/timed-pause.js';
import { sleepUnlessAborted } from '../../main/protocols/abortable-sleep.js';
import { Store } from '../../main/store/store.js';
import { removeDir, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
let work: string;
let emulator: GraphEmulator;

beforeEach(async () => {
  work = tempDir('timed-pause');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
});
afterEach(async () => {
  await emulator.close();
  removeDir(work);
});

/** A daemon's scheduler over the database (a new one after a "restart"). */
function daemon(store: Store): { scheduler: Scheduler; stop: () => Promise<void> } {
  const protocol = new GraphProtocol({ endpoint: emulator.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: 327_680 * 4, accessToken: async () => 'graph-test-token' });
  const scheduler = new Scheduler({
    store,
    files: diskFileSource,
    protocolFor: () => protocol,
    nowMs: Date.now,
    rand: () => 0.5,
    sleep: sleepUnlessAborted,
    events: () => undefined,
    holder: { pid: process.pid, startTime: null },
    isHolderAlive: () => false,
  });
  const controller = new AbortController();
  const running = scheduler.runQueue(controller.signal, 100);
  return {
    scheduler,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

describe('timed pause ("pause all for 2 hours")', () => {
  it('survives a restart, holds new jobs too, and when it ends resumes only what it paused', async () => {
    const path = join(work, 'hoist.db');
    let store = Store.open(path);
    const dest = store.destinations.add('od', 'graph', {}, Date.now());
    const job = async (name: string) => {
      const file = join(work, name);
      writeRandomFile(file, 2 * MiB);
      return store.jobs.create({ destinationId: dest.id, localPath: file, remotePath: `/${name}`, ...(await diskFileSource.identity(file)) }, Date.now()).id;
    };
    const byHand = await job('by-hand.bin');
    store.jobs.pauseIds([byHand], Date.now());
    const queued = await job('queued.bin');
    const first = daemon(store);
    const untilMs = Date.now() + 3_000;
    expect(first.scheduler.pauseAllUntil(untilMs)).toEqual([queued]);
    const later = await job('later.bin');
    await first.stop();
    store.close();

    store = Store.open(path);
    expect(timedPauseUntil(store)).toBe(untilMs);
    const second = daemon(store);
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(emulator.requests).toEqual([]);
      expect(store.jobs.get(queued)).toMatchObject({ state: 'paused', pausedUntilMs: untilMs });
      expect(store.jobs.get(later)?.state).toBe('queued');
      await waitFor(() => store.jobs.get(queued)?.state === 'done' && store.jobs.get(later)?.state === 'done', 20_000, 'both uploads done');
      expect(Math.min(...emulator.requests.map((r) => r.startedAtMs))).toBeGreaterThanOrEqual(untilMs);
      expect(store.jobs.get(byHand)?.state).toBe('paused');
      expect(timedPauseUntil(store)).toBeNull();
    } finally {
      await second.stop();
      store.close();
    }
  });
});
