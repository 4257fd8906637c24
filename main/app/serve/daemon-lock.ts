import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessIdentity } from '../../domain/process-identity.js';

/** Who runs the daemon of a data folder, and where its window is. */
export interface DaemonInfo {
  pid: number;
  /** The holder's process start time (see ProcessIdentity), so a dead holder whose pid was reused is not taken for alive. */
  pidStart: string | null;
  startedAtMs: number;
  /** The window's address with its token (the file is readable only by the user, like the token itself). */
  url: string | null;
}

export type DaemonLock = { kind: 'acquired'; setUrl(url: string): void; release(): void } | { kind: 'held'; holder: DaemonInfo };

/**
 * One daemon per data folder (`hoist serve`, later the desktop app): the lock is a file created exclusively, naming
 * the holder `self`. A lock left by a process that is gone (killed, a zombie, or its pid since reused) is taken over.
 */
export function acquireDaemonLock(
  dataDir: string,
  self: ProcessIdentity,
  isHolderAlive: (holder: ProcessIdentity) => boolean,
  nowMs = Date.now(),
): DaemonLock {
  const path = join(dataDir, 'daemon.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder && holder.pid !== self.pid && isHolderAlive({ pid: holder.pid, startTime: holder.pidStart })) return { kind: 'held', holder };
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first: the next attempt sees its lock
      }
      continue;
    }
    let info: DaemonInfo = { pid: self.pid, pidStart: self.startTime, startedAtMs: nowMs, url: null };
    const write = () => {
      const text = JSON.stringify(info);
      writeSync(fd, text, 0);
    };
    write();
    closeSync(fd);
    return {
      kind: 'acquired',
      setUrl(url) {
        info = { ...info, url };
        fd = openSync(path, 'w', 0o600);
        write();
        closeSync(fd);
      },
      release() {
        if (readHolder(path)?.pid === self.pid) unlinkSync(path);
      },
    };
  }
  const holder = readHolder(path);
  return holder ? { kind: 'held', holder } : { kind: 'held', holder: { pid: 0, pidStart: null, startedAtMs: 0, url: null } };
}

function readHolder(path: string): DaemonInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DaemonInfo>;
    if (typeof parsed.pid !== 'number') return undefined;
    // A lock written before start times were recorded has none: its pid alone decides.
    return { pid: parsed.pid, pidStart: parsed.pidStart ?? null, startedAtMs: parsed.startedAtMs ?? 0, url: parsed.url ?? null };
  } catch {
    return undefined;
  }
}
