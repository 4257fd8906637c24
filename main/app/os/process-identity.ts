import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  isSameLiveProcess,
  parseLinuxProcStat,
  parsePsStatStart,
  parseWindowsFileTime,
  type ProcessIdentity,
  type ProcessSnapshot,
} from '../../domain/process-identity.js';

const PROBE_TIMEOUT_MS = 10_000;

/**
 * What the OS says about `pid` now. Synchronous because leases are decided inside one database call; it is asked only
 * when another process's unexpired lease is in the way (and once for this process), so a spawned `ps` is rare.
 * Where the start time cannot be read, falls back to whether the pid exists (kill(pid, 0)).
 */
export function probeProcess(pid: number, platform: NodeJS.Platform = process.platform): ProcessSnapshot {
  if (!Number.isInteger(pid) || pid <= 0) return { isRunning: false };
  const snapshot = platform === 'linux' ? readProcStat(pid) : platform === 'win32' ? askPowerShell(pid) : askPs(pid);
  return snapshot ?? (pidExists(pid) ? { isRunning: true, startTime: null } : { isRunning: false });
}

/** Whether the process that took a lease or lock is still running: same pid, not a zombie, same start time. */
export function isProcessAlive(holder: ProcessIdentity): boolean {
  return isSameLiveProcess(holder, probeProcess(holder.pid));
}

let self: ProcessIdentity | undefined;

/** This process, as it records itself in leases and locks. */
export function currentProcessIdentity(): ProcessIdentity {
  if (!self) {
    const snapshot = probeProcess(process.pid);
    self = { pid: process.pid, startTime: snapshot.isRunning ? snapshot.startTime : null };
  }
  return self;
}

function readProcStat(pid: number): ProcessSnapshot | undefined {
  try {
    return parseLinuxProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    // Gone, or no /proc to read (hidepid, a chroot): kill(pid, 0) tells the first from the second.
    return undefined;
  }
}

function askPs(pid: number): ProcessSnapshot | undefined {
  try {
    // C locale and UTC so every Hoist process on the machine prints one process's start the same way.
    const out = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: PROBE_TIMEOUT_MS,
    });
    return parsePsStatStart(out);
  } catch (error) {
    // ps exits 1 with no output when there is no such process; anything else (no ps, a timeout) is "cannot tell".
    const failed = error as { status?: number | null; stdout?: string };
    return failed.status === 1 && !failed.stdout?.trim() ? { isRunning: false } : undefined;
  }
}

function askPowerShell(pid: number): ProcessSnapshot | undefined {
  try {
    const out = execFileSync('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', `(Get-Process -Id ${pid} -ErrorAction Stop).StartTime.ToFileTimeUtc()`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: PROBE_TIMEOUT_MS,
      windowsHide: true,
    });
    return parseWindowsFileTime(out);
  } catch {
    // No such process, no PowerShell, or access denied to another user's process: the pid alone decides.
    return undefined;
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
