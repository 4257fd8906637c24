import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { acquireDaemonLock, type DaemonInfo } from '../../main/app/serve/daemon-lock.js';
import { currentProcessIdentity, isProcessAlive, probeProcess } from '../../main/app/os/process-identity.js';
import { CLI, cliEnv, removeDir, runCli, startCli, tempDir, waitFor } from '../support/cli.js';

// One engine per data folder: a live daemon keeps the lock, a killed one (even a zombie, or its pid reused) does not.

let dataDir: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  dataDir = join(tempDir('daemon-lock'), 'data');
  mkdirSync(dataDir, { recursive: true });
});
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  removeDir(join(dataDir, '..'));
});

const lockPath = () => join(dataDir, 'daemon.lock');
const readLock = (): DaemonInfo | undefined => {
  try {
    return JSON.parse(readFileSync(lockPath(), 'utf8')) as DaemonInfo;
  } catch {
    return undefined;
  }
};
const procState = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
};

describe('daemon lock', () => {
  it.runIf(process.platform === 'linux')('hoist serve: a live daemon is refused; one killed with kill -9 and left a zombie is taken over', async () => {
    // Started through `sh … & exec sleep`, which never reaps it: after kill -9 it stays a zombie.
    const parent = spawn('sh', ['-c', '"$0" "$@" >/dev/null 2>&1 & echo $!; exec sleep 120', process.execPath, CLI, '--data-dir', dataDir, 'serve', '--port', '0'], {
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(parent);
    const first = await Promise.race([
      createInterface({ input: parent.stdout! })[Symbol.asyncIterator]().next().then((r) => Number(r.value)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no pid from sh')), 10_000)),
    ]);
    await waitFor(() => readLock()?.url != null, 20_000, 'the first daemon to listen');
    const identity = probeProcess(first);
    expect(readLock()).toMatchObject({ pid: first, pidStart: identity.isRunning ? identity.startTime : 'unreadable' });
    expect(readLock()!.pidStart).toMatch(/^linux:\d+$/);

    const refused = await runCli(['--data-dir', dataDir, 'serve', '--port', '0']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`already running for this data folder (process ${first})`);

    process.kill(first, 'SIGKILL');
    await waitFor(() => procState(first) === 'Z', 5_000, `pid ${first} to be a zombie`);
    expect(readLock()!.pid).toBe(first); // the dead daemon's lock is still there

    const second = startCli(['--data-dir', dataDir, 'serve', '--port', '0']);
    started.push(second);
    await waitFor(() => readLock()?.pid === second.pid && readLock()?.url != null, 20_000, 'the second daemon to take the lock');
    expect(procState(first)).toBe('Z');
    second.kill('SIGINT');
    const stopped = await second.result;
    expect(stopped.stdout).toMatch(/Hoist is running/);
    expect(existsSync(lockPath())).toBe(false);
  });

  it('a lock naming a live process with another start time (pid reused) is taken over; the same start time is refused', () => {
    const unrelated = spawn('sleep', ['120'], { stdio: 'ignore' });
    started.push(unrelated);
    const real = probeProcess(unrelated.pid!);
    expect(real.isRunning).toBe(true);
    const realStart = real.isRunning ? real.startTime : null;
    const writeLock = (pidStart: string | null | undefined) =>
      writeFileSync(lockPath(), JSON.stringify({ pid: unrelated.pid, ...(pidStart === undefined ? {} : { pidStart }), startedAtMs: 1, url: 'http://x' }));

    writeLock(realStart);
    const held = acquireDaemonLock(dataDir, currentProcessIdentity(), isProcessAlive);
    expect(held).toEqual({ kind: 'held', holder: { pid: unrelated.pid, pidStart: realStart, startedAtMs: 1, url: 'http://x' } });

    // A lock from before start times were recorded: the pid alone decides, as it did.
    writeLock(undefined);
    expect(acquireDaemonLock(dataDir, currentProcessIdentity(), isProcessAlive).kind).toBe('held');

    if (realStart !== null) {
      writeLock(`${realStart}0`);
      const taken = acquireDaemonLock(dataDir, currentProcessIdentity(), isProcessAlive);
      expect(taken.kind).toBe('acquired');
      expect(readLock()).toMatchObject({ pid: process.pid, pidStart: currentProcessIdentity().startTime, url: null });
      if (taken.kind === 'acquired') taken.release();
      expect(existsSync(lockPath())).toBe(false);
    }
  });
});
