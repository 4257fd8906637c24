import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineEvent } from '../engine/engine-events.js';

const MAX_LOG_BYTES = 10 * 1024 * 1024;

/**
 * Appends engine events as JSON lines to `<dataDir>/logs/hoist.log` (one id per upload and part, for bug reports).
 * Events carry ids, sizes and reasons only, never a token or an upload URL. Per-chunk byte events are left out.
 * Logging must never break an upload, so write errors are swallowed.
 */
export function eventLogger(dataDir: string, pid = process.pid): (event: EngineEvent) => void {
  const dir = join(dataDir, 'logs');
  const path = join(dir, 'hoist.log');
  let fd: number | undefined;
  process.once('exit', () => fd !== undefined && closeSync(fd));
  return (event) => {
    if (event.type === 'bytes-sent') return;
    try {
      if (fd === undefined) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
        fd = openSync(path, 'a', 0o600);
      }
      writeSync(fd, `${JSON.stringify({ atMs: Date.now(), pid, ...event })}\n`);
    } catch {
      // the upload matters more than its log
    }
  };
}
