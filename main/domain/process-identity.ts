/**
 * A process as it can be told apart from any later one with the same pid: pid plus the start time the OS reports.
 * `startTime` is an opaque token compared only for equality, in the OS's own unit and prefixed with its kind
 * (`linux:` clock ticks since boot, `ps:` ps's start date in UTC, `win:` FILETIME in UTC). Converting to epoch
 * milliseconds would need the boot time, which NTP nudges: two readings of one process could then disagree. Null
 * where the OS could not say (the pid alone decides then).
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string | null;
}

/** What the OS says about a pid now. A zombie (killed, not yet reaped by its parent) is not running. */
export type ProcessSnapshot = { isRunning: false } | { isRunning: true; startTime: string | null };

/** Whether `holder` is still the process running under its pid: not gone, not a zombie, not a newer process reusing the pid. */
export function isSameLiveProcess(holder: ProcessIdentity, now: ProcessSnapshot): boolean {
  if (!now.isRunning) return false;
  // Either start time unknown (a probe failed, or a lease written by an older Hoist): trust the pid, as before.
  return holder.startTime === null || now.startTime === null || holder.startTime === now.startTime;
}

/**
 * Parses Linux `/proc/PID/stat`. The command name (field 2) is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last ')': state is field 3, starttime field 22.
 */
export function parseLinuxProcStat(text: string): ProcessSnapshot | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const startTicks = fields[22 - 3];
  if (!state || !startTicks || !/^\d+$/.test(startTicks)) return undefined;
  // Z: zombie, X: dead (seen for a moment while it is reaped).
  if (state === 'Z' || state === 'X') return { isRunning: false };
  return { isRunning: true, startTime: `linux:${startTicks}` };
}

/**
 * Parses `ps -o stat= -o lstart= -p PID` run with LC_ALL=C and TZ=UTC (macOS, BSD): e.g. `Ss   Wed Dec  3 12:05:43 2025`.
 * Empty output means no such process.
 */
export function parsePsStatStart(text: string): ProcessSnapshot | undefined {
  const line = text.trim();
  if (line === '') return { isRunning: false };
  const [stat, ...start] = line.split(/\s+/);
  // A zombie first: ps may print no start date for it.
  if (stat?.startsWith('Z')) return { isRunning: false };
  if (!stat || start.length < 5) return undefined;
  return { isRunning: true, startTime: `ps:${start.join(' ')}` };
}

/** Parses PowerShell's `(Get-Process -Id N).StartTime.ToFileTimeUtc()`: a whole number of 100 ns ticks since 1601 (UTC). */
export function parseWindowsFileTime(text: string): ProcessSnapshot | undefined {
  const value = text.trim();
  return /^\d+$/.test(value) ? { isRunning: true, startTime: `win:${value}` } : undefined;
}
