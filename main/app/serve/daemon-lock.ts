import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Who runs the daemon of a data folder, and where its window is. */
export interface DaemonInfo {
  pid: number;
  startedAtMs: number;
  /** The window's address with its token (the file is readable only by the user, like the token itself). */
  url: string | null;
}

export type DaemonLock = { kind: 'acquired'; setUrl(url: string): void; release(): void } | { kind: 'held'; holder: DaemonInfo };

/**
 * One daemon per data folder (`hoist serve`, later the desktop app): the lock is a file created exclusively, naming
 * the holder. A lock left by a process that is gone is taken over.
 */
export function acquireDaemonLock(dataDir: string, isPidAlive: (pid: number) => boolean, nowMs = Date.now()): DaemonLock {
  const path = join(dataDir, 'daemon.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder && holder.pid !== process.pid && isPidAlive(holder.pid)) return { kind: 'held', holder };
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first: the next attempt sees its lock
      }
      continue;
    }
    let info: DaemonInfo = { pid: process.pid, startedAtMs: nowMs, url: null };
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
        if (readHolder(path)?.pid === process.pid) unlinkSync(path);
      },
    };
  }
  const holder = readHolder(path);
  return holder ? { kind: 'held', holder } : { kind: 'held', holder: { pid: 0, startedAtMs: 0, url: null } };
}

function readHolder(path: string): DaemonInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DaemonInfo>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, startedAtMs: parsed.startedAtMs ?? 0, url: parsed.url ?? null } : undefined;
  } catch {
    return undefined;
  }
}
