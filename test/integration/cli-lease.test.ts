import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import type { JobView } from '../../preload/contract/views.js';
import { Store } from '../../main/store/store.js';
import { probeProcess } from '../../main/app/os/process-identity.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import { CLI, cliEnv, parseJsonOutput, removeDir, runCli, sha256File, startCli, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

// Leases a dead process cannot hold: kill -9, zombies, reused pids; a live holder is named and can be waited for.

const FRAGMENT = 327_680 * 4;
const MiB = 1024 * 1024;

let work: string;
let dataDir: string;
let file: string;
let emulator: GraphEmulator;
/** Processes a test started and must not outlive it. */
const started: ChildProcess[] = [];

beforeEach(async () => {
  work = tempDir('lease');
  dataDir = join(work, 'data');
  file = join(work, 'big.bin');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
  const added = await hoist('dest', 'add', 'od', '--provider', 'graph', '--endpoint', emulator.graphBaseUrl, '--token', 'graph-test-token', '--fragment-size', String(FRAGMENT));
  expect(added.code).toBe(0);
});
afterEach(async () => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await emulator.close();
  removeDir(work);
});

const hoist = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);
const upload = (...extra: string[]) => {
  const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', ...extra]);
  started.push(child);
  return child;
};
const received = () => emulator.sessions()[0]?.receivedBytes ?? 0;
const withStore = <T>(use: (store: Store) => T): T => {
  const store = Store.open(join(dataDir, 'hoist.db'));
  try {
    return use(store);
  } finally {
    store.close();
  }
};
/** The one-letter state of /proc/PID/stat (R, S, Z …), or undefined once the pid is gone. */
const procState = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
};
async function expectCompleteOnOneSession(): Promise<void> {
  expect(emulator.sessions()).toHaveLength(1);
  expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
}

describe('leases after kill -9', () => {
  it('the same command run right after kill -9 (without waiting for the kill to land) takes the upload over at once', async () => {
    writeRandomFile(file, 12 * MiB + 99);
    emulator.setThroughput(4 * MiB);
    const first = upload('--json');
    await waitFor(() => received() >= 2 * FRAGMENT, 30_000, 'two fragments');
    first.kill('SIGKILL');
    emulator.setThroughput(undefined);
    const again = await runCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', '--json']);
    expect((await first.result).signal).toBe('SIGKILL');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(parseJsonOutput<{ jobs: JobView[] }>(again.stdout).jobs[0]!.state).toBe('done');
    await expectCompleteOnOneSession();
  });

  it.runIf(process.platform === 'linux')('a killed holder that is a zombie (never reaped by its parent) does not hold the upload', async () => {
    writeRandomFile(file, 12 * MiB + 99);
    emulator.setThroughput(4 * MiB);
    // sh starts the CLI in the background, prints its pid and becomes `sleep`, which never waits for children: once
    // killed, the CLI stays a zombie until the sleep ends. Its pid and start time still look alive to kill(pid, 0).
    const parent = spawn('sh', ['-c', '"$0" "$@" >/dev/null 2>&1 & echo $!; exec sleep 120', process.execPath, CLI, '--data-dir', dataDir, 'upload', file, '--dest', 'od'], {
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(parent);
    const [line] = await Promise.race([
      createInterface({ input: parent.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no pid from sh')), 10_000)),
    ]);
    const holderPid = Number(line);
    expect(holderPid).toBeGreaterThan(0);
    await waitFor(() => received() >= 2 * FRAGMENT, 30_000, 'two fragments');
    const lease = withStore((store) => store.jobs.leaseHolder(1));
    expect(lease?.pid).toBe(holderPid);
    expect(lease?.startTime).toMatch(/^linux:\d+$/);
    process.kill(holderPid, 'SIGKILL');
    await waitFor(() => procState(holderPid) === 'Z', 5_000, `pid ${holderPid} to be a zombie`);
    // Still "alive" by the old test, and by its start time: only the zombie state tells it is dead.
    expect(() => process.kill(holderPid, 0)).not.toThrow();
    expect(probeProcess(holderPid)).toEqual({ isRunning: false });
    expect(probeProcess(holderPid, 'darwin')).toEqual({ isRunning: false }); // the ps path (macOS) sees the Z too
    expect(withStore((store) => store.jobs.leaseHolder(1))).toEqual(lease);
    emulator.setThroughput(undefined);
    const again = await hoist('upload', file, '--dest', 'od', '--json');
    expect(again.code).toBe(0);
    expect(procState(holderPid)).toBe('Z'); // it was a zombie through the whole re-run
    await expectCompleteOnOneSession();
  });

  it.runIf(process.platform === 'linux')('a lease naming a live process that started at another time (the pid was reused) is taken over', async () => {
    writeRandomFile(file, 3 * MiB);
    const unrelated = spawn('sleep', ['120'], { stdio: 'ignore' });
    started.push(unrelated);
    const real = probeProcess(unrelated.pid!);
    expect(real.isRunning).toBe(true);
    const identity = await diskFileSource.identity(file);
    const id = withStore((store) =>
      store.jobs.create({ destinationId: store.destinations.byName('od')!.id, localPath: file, remotePath: '/big.bin', ...identity }, Date.now()).id,
    );
    const fakeHolder = (startTime: string | null) =>
      withStore((store) =>
        store.db.prepare(`UPDATE jobs SET state = 'running', lease_pid = ?, lease_pid_start = ?, lease_expires_at_ms = ? WHERE id = ?`).run(unrelated.pid, startTime, Date.now() + 600_000, id),
      );
    // Its real start time: a live holder, refused.
    fakeHolder(real.isRunning ? real.startTime : null);
    const refused = await hoist('upload', file, '--dest', 'od');
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(`another Hoist process (pid ${unrelated.pid}) is uploading ${file} right now`);
    expect(emulator.sessions()).toHaveLength(0);
    // Another start time: the process that took the lease is gone and a later one got its pid.
    fakeHolder('linux:1');
    const run = await hoist('upload', file, '--dest', 'od', '--json');
    expect(run.code).toBe(0);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
  });
});

describe('a live holder', () => {
  it('is named, with its pid; --wait N gives up after N seconds; Ctrl-C stops waiting and leaves the holder alone', async () => {
    writeRandomFile(file, 16 * MiB);
    emulator.setThroughput(MiB);
    const holder = upload('--json');
    await waitFor(() => received() >= FRAGMENT, 30_000, 'a fragment');
    const busy = await hoist('upload', file, '--dest', 'od');
    expect(busy.code).toBe(3);
    expect(busy.stdout).toContain(`another Hoist process (pid ${holder.pid}) is uploading ${file} right now; add --wait to wait for it`);
    const busyJson = await hoist('upload', file, '--dest', 'od', '--json');
    expect(busyJson.code).toBe(3);
    expect(busyJson.stderr).toContain(`(pid ${holder.pid})`);
    expect(parseJsonOutput<{ ok: boolean }>(busyJson.stdout).ok).toBe(false);

    const startedAtMs = Date.now();
    const gaveUp = await hoist('upload', file, '--dest', 'od', '--wait', '1');
    expect(gaveUp.code).toBe(3);
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(1_000);
    expect(gaveUp.stderr).toContain(`waiting for another Hoist process (pid ${holder.pid}) to finish ${file}`);
    expect(gaveUp.stdout).toContain(`another Hoist process (pid ${holder.pid}) is still uploading ${file}; stopped waiting`);

    const waiter = upload('--wait');
    let stderr = '';
    waiter.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes(`(pid ${holder.pid})`), 10_000, 'the waiter to wait');
    waiter.kill('SIGINT');
    const stopped = await waiter.result;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).not.toMatch(/Paused/);
    const before = received();
    await waitFor(() => received() > before, 10_000, 'the holder to go on uploading');
    expect(holder.exitCode).toBeNull();
    expect(withStore((store) => store.jobs.get(1)!.state)).toBe('running');
  });

  it('hoist upload --wait takes the upload over as soon as the holder is killed', async () => {
    writeRandomFile(file, 16 * MiB);
    emulator.setThroughput(MiB);
    const holder = upload('--json');
    await waitFor(() => received() >= FRAGMENT, 30_000, 'a fragment');
    const waiter = upload('--wait', '60');
    let stderr = '';
    waiter.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes(`waiting for another Hoist process (pid ${holder.pid})`), 10_000, 'the waiter to wait');
    holder.kill('SIGKILL');
    emulator.setThroughput(undefined);
    const done = await waiter.result;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/✓ #1 \S*big\.bin: uploaded and verified/);
    await expectCompleteOnOneSession();
  });

  it('hoist resume --wait returns once the holder finished the upload', async () => {
    writeRandomFile(file, 8 * MiB);
    emulator.setThroughput(MiB);
    const holder = upload('--json');
    await waitFor(() => received() >= FRAGMENT, 30_000, 'a fragment');
    const waiter = startCli(['--data-dir', dataDir, 'resume', '1', '--wait']);
    started.push(waiter);
    let stderr = '';
    waiter.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes(`(pid ${holder.pid})`), 10_000, 'the waiter to wait');
    emulator.setThroughput(undefined);
    expect((await holder.result).code).toBe(0);
    const done = await waiter.result;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/✓ #1 \S*big\.bin: uploaded and verified/);
    await expectCompleteOnOneSession();
    expect(emulator.sessions()[0]!.bytesReceivedTotal).toBe(8 * MiB); // the waiter sent nothing again
  });

  it('--wait before the file names says where it goes', async () => {
    writeRandomFile(file, 1000);
    const misplaced = await runCli(['--data-dir', dataDir, 'upload', '--wait', file, '--dest', 'od']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/--wait takes a number of seconds, got ".*big\.bin"; put --wait after the file names/);
  });
});
