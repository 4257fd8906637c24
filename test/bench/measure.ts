/**
 * Measuring child processes from the outside (Linux /proc): wall clock, peak RSS and CPU seconds. Every benchmark module
 * (Graph, later tus / S3 / Box / Apideck) runs both the client under test and the reference tool as children through
 * these helpers, so both sides are measured the same way and neither shares the measuring process's event loop.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Cleanup } from './cleanup.js';

export interface ChildMeasurement {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Max of VmRSS samples and VmHWM (the kernel's own high-water mark) seen on any poll after exec; 0 if never sampled. */
  peakRssBytes: number;
  /** utime + stime of the child at the last poll before it exited (a lower bound, short by at most one poll). */
  cpuSeconds: number;
  /** How many /proc polls succeeded after exec. */
  samples: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The child is SIGKILLed when it runs longer than this; the measurement then has timedOut = true. */
  timeoutMs: number;
  /** /proc poll interval, default 50 ms. */
  pollMs?: number;
  /** Registered so that it is killed if the bench dies or is interrupted. */
  cleanup?: Cleanup;
  /** Max characters of stdout/stderr kept (the rest is dropped), default 1 MiB each. */
  maxOutputChars?: number;
}

export interface MeasuredChild {
  pid: number;
  child: ChildProcess;
  /** Latest sampled values, live while the child runs. */
  current(): { peakRssBytes: number; cpuSeconds: number; samples: number };
  kill(signal: NodeJS.Signals): void;
  result: Promise<ChildMeasurement>;
}

let clockTicks: number | undefined;

/** USER_HZ for /proc/<pid>/stat times (100 on practically every Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks !== undefined) return clockTicks;
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim());
    clockTicks = Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

export interface ProcSample {
  rssBytes: number;
  hwmBytes: number;
  cpuSeconds: number;
  argv: string[];
}

/** One synchronous look at /proc/<pid> (a few µs). Undefined when the process is gone or /proc is unreadable. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
    const kib = (field: string): number => {
      const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
      return match ? Number(match[1]) * 1024 : 0;
    };
    // Fields after the command name (which may contain spaces and parentheses): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM'), cpuSeconds: ticks / clockTicksPerSecond(), argv };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds all CPUs of the machine have been busy since boot (user, nice, system, irq, softirq and steal: time the
 * hypervisor gave to others). Deltas around a run minus what the measured processes used = what everything else took.
 */
export function machineBusyCpuSeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds this (measuring) process has used so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds (utime + stime) a live process has used so far; undefined when it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  return readProc(pid)?.cpuSeconds;
}

/**
 * Starts `cmd args` and samples /proc/<pid> every `pollMs` until it exits. Samples taken between fork and exec show the
 * parent's memory image, so a sample counts only once the process's argv is the one we asked for.
 */
export function startMeasuredChild(cmd: string, args: readonly string[], opts: MeasureOptions): MeasuredChild {
  const maxChars = opts.maxOutputChars ?? 1024 * 1024;
  const started = performance.now();
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  // Without a pid spawn failed (ENOENT & co.); it reports that through 'error', which rejects `result` below.
  const pid = child.pid ?? -1;
  const untrack = opts.cleanup?.trackChild(child) ?? (() => {});
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < maxChars) stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < maxChars) stderr += d.toString();
  });

  let peakRssBytes = 0;
  let cpuSeconds = 0;
  let samples = 0;
  const wanted = [basename(cmd), ...args];
  const isExeced = (argv: string[]): boolean =>
    argv.length >= wanted.length && basename(argv[0] ?? '') === wanted[0] && wanted.slice(1).every((a, i) => argv[i + 1] === a);
  const poll = (): void => {
    if (pid < 0) return;
    const sample = readProc(pid);
    if (!sample || !isExeced(sample.argv)) return;
    samples += 1;
    peakRssBytes = Math.max(peakRssBytes, sample.rssBytes, sample.hwmBytes);
    cpuSeconds = Math.max(cpuSeconds, sample.cpuSeconds);
  };
  const pollTimer = setInterval(poll, opts.pollMs ?? 50);
  setImmediate(poll);

  let timedOut = false;
  const killTimer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);

  let exitedAt: number | undefined;
  child.once('exit', () => {
    exitedAt = performance.now();
    clearInterval(pollTimer);
  });

  const result = new Promise<ChildMeasurement>((resolve, reject) => {
    child.once('error', (error) => {
      clearInterval(pollTimer);
      clearTimeout(killTimer);
      untrack();
      reject(new Error(`could not run ${cmd}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearInterval(pollTimer);
      clearTimeout(killTimer);
      untrack();
      resolve({
        code,
        signal,
        wallMs: (exitedAt ?? performance.now()) - started,
        peakRssBytes,
        cpuSeconds,
        samples,
        stdout,
        stderr,
        timedOut,
      });
    });
  });

  return {
    pid,
    child,
    current: () => ({ peakRssBytes, cpuSeconds, samples }),
    kill: (signal) => {
      poll();
      child.kill(signal);
    },
    result,
  };
}

/** Runs `cmd args` to completion and measures it (see startMeasuredChild). */
export function measureChild(cmd: string, args: readonly string[], opts: MeasureOptions): Promise<ChildMeasurement> {
  return startMeasuredChild(cmd, args, opts).result;
}

/** Throws with the child's output when it did not exit 0 (or timed out). */
export function requireSuccess(what: string, m: ChildMeasurement): ChildMeasurement {
  if (m.timedOut) throw new Error(`${what}: timed out after ${Math.round(m.wallMs)} ms (killed)\n${tail(m.stderr)}`);
  if (m.code !== 0) {
    throw new Error(`${what}: exited with ${m.signal ?? `code ${m.code}`}\nstdout: ${tail(m.stdout)}\nstderr: ${tail(m.stderr)}`);
  }
  return m;
}

function tail(text: string, chars = 2_000): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

/** Decimal megabytes per second (MB/s = 10^6 bytes/s), as curl and most tools report throughput. */
export function mbPerSec(bytes: number, wallMs: number): number {
  return bytes / 1e6 / (wallMs / 1000);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Polls `check` every `intervalMs` until it returns a value, at most `timeoutMs`. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs: number; intervalMs: number; what: string },
): Promise<T> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}

/** Runs `sync` so dirty pages of the previous run do not throttle the next one (best effort, bounded). */
export function flushPageCache(): void {
  try {
    execFileSync('sync', [], { timeout: 180_000, stdio: 'ignore' });
  } catch {
    // not fatal: only levels the field between runs
  }
}
