import type { DestinationRow } from '../store/destinations-repo.js';
import type { Store } from '../store/store.js';
import type { UploadProtocol } from '../protocols/upload-protocol.js';
import { handleOf } from './file-upload.js';

export interface OrphanSweepDeps {
  store: Store;
  protocolFor: (dest: DestinationRow) => Promise<UploadProtocol>;
  log: (line: string) => void;
}

/** Unfinished S3 uploads are left alone this long: another tool (or a Hoist on another machine) may still finish them. */
export const ABANDONED_UPLOAD_GRACE_MS = 7 * 24 * 3_600_000;

/**
 * Server-side leftovers cost the user storage (S3 bills unfinished multipart uploads until they are aborted; Box keeps
 * a session's parts for 7 days): sessions a newer one replaced are aborted on the server where the protocol allows, and
 * old unfinished uploads no job resumes are aborted where the server never expires them. Best effort: what fails is
 * tried again next time.
 */
export async function sweepOrphans(deps: OrphanSweepDeps, signal: AbortSignal, graceMs = ABANDONED_UPLOAD_GRACE_MS): Promise<{ sessions: number; uploads: number }> {
  const { store } = deps;
  const protocols = new Map<number, Promise<UploadProtocol | undefined>>();
  const protocolOf = (destinationId: number) => {
    let protocol = protocols.get(destinationId);
    if (!protocol) {
      const dest = store.destinations.byId(destinationId);
      protocol = dest ? deps.protocolFor(dest).catch(() => undefined) : Promise.resolve(undefined);
      protocols.set(destinationId, protocol);
    }
    return protocol;
  };
  let sessions = 0;
  for (const session of store.sessions.abandoned()) {
    if (signal.aborted) break;
    const protocol = await protocolOf(session.destinationId);
    if (!protocol) continue;
    try {
      await protocol.abort(handleOf(session), signal);
      store.sessions.setState(session.id, 'aborted');
      sessions++;
    } catch {
      // The server is out of reach now; the next sweep tries again.
    }
  }
  let uploads = 0;
  for (const dest of store.destinations.list()) {
    if (signal.aborted) break;
    const protocol = await protocolOf(dest.id);
    if (!protocol?.abortAbandonedUploads) continue;
    try {
      const result = await protocol.abortAbandonedUploads(graceMs, { keepUploadIds: store.sessions.openRemoteIds(dest.id), signal });
      uploads += result.aborted.length;
      if (result.failed.length > 0) deps.log(`${dest.name}: ${result.failed.length} unfinished upload(s) could not be aborted yet (${result.failed[0]!.reason})`);
    } catch (error) {
      deps.log(`${dest.name}: could not look for unfinished uploads (${(error as Error).message})`);
    }
  }
  if (sessions + uploads > 0) deps.log(`discarded ${sessions} replaced session(s) and ${uploads} abandoned upload(s) on the servers`);
  return { sessions, uploads };
}
