import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { ProxiedRequest } from '../../emulators/fault-proxy.js';
import type { OpenSession } from './soak-target.js';

/** A server session as Hoist recorded it (rows stay after the upload, with their final state). */
interface HeldSession {
  url: string | null;
  remoteId: string | null;
}

/** Every upload session Hoist ever recorded in this data folder. */
export function sessionsHoistHeld(dataDir: string): HeldSession[] {
  const db = new Database(join(dataDir, 'hoist.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT session_url AS url, remote_session_id AS remoteId FROM sessions').all() as HeldSession[];
  } finally {
    db.close();
  }
}

export function isHeld(session: OpenSession, held: HeldSession[]): boolean {
  return held.some((h) => h.remoteId === session.ref || (h.url ?? '').includes(session.ref));
}

/**
 * POSTs (session creation among them) the server carried out whose reply Hoist cannot have recorded: cut off by the
 * outage or a reset, given up by Hoist while the server was still at it, or answered less than `windowMs` before a
 * SIGKILL. Each may have left a session no client can know of.
 */
export function repliesLostToInterruptions(requests: readonly ProxiedRequest[], killedAtMs: readonly number[], windowMs = 1_000): ProxiedRequest[] {
  return requests.filter(
    (r) =>
      r.method === 'POST' &&
      r.status >= 200 &&
      r.status < 300 &&
      (r.answeredAtMs === undefined || killedAtMs.some((k) => k >= r.answeredAtMs! && k - r.answeredAtMs! < windowMs)),
  );
}
