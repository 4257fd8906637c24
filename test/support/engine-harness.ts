import { join } from 'node:path';
import { diskFileSource, type FileSource } from '../../main/engine/file-source.js';
import { Scheduler } from '../../main/engine/scheduler.js';
import type { EngineEvent } from '../../main/engine/engine-events.js';
import type { UploadProtocol } from '../../main/protocols/upload-protocol.js';
import { Store } from '../../main/store/store.js';
import type { RetryPolicy } from '../../main/domain/backoff.js';
import { sleepUnlessAborted } from '../../main/protocols/abortable-sleep.js';

/** The real engine and store in-process, with a fast sleep that still honours pause/cancel. */
export interface Harness {
  store: Store;
  events: EngineEvent[];
  delaysMs: number[];
  scheduler: Scheduler;
  addJob(localPath: string, remotePath: string): Promise<number>;
}

export function makeHarness(dir: string, protocol: UploadProtocol, retryPolicy?: Partial<RetryPolicy>, files: FileSource = diskFileSource): Harness {
  const store = Store.open(join(dir, 'hoist.db'));
  const dest = store.destinations.add('test', protocol.provider, {}, Date.now());
  const events: EngineEvent[] = [];
  const delaysMs: number[] = [];
  const scheduler = new Scheduler({
    store,
    files,
    protocolFor: () => protocol,
    nowMs: Date.now,
    rand: () => 0.5,
    // Records what the engine asked for, waits at most 5 ms: retries stay fast, pause/cancel still interrupt.
    sleep: (ms, signal) => {
      delaysMs.push(ms);
      return sleepUnlessAborted(Math.min(ms, 5), signal);
    },
    events: (e) => events.push(e),
    holder: { pid: process.pid, startTime: null },
    isHolderAlive: () => false,
    retryPolicy: { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 4, maxRateLimited: 20, ...retryPolicy },
  });
  return {
    store,
    events,
    delaysMs,
    scheduler,
    async addJob(localPath, remotePath) {
      const identity = await diskFileSource.identity(localPath);
      return store.jobs.create({ destinationId: dest.id, localPath, remotePath, ...identity }, Date.now()).id;
    },
  };
}
