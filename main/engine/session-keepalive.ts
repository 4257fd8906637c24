import { contiguousPrefixBytes } from '../domain/reconcile.js';
import type { ProcessIdentity } from '../domain/process-identity.js';
import type { UploadProtocol } from '../protocols/upload-protocol.js';
import type { JobRow } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';
import type { FileSource } from './file-source.js';
import { handleOf } from './file-upload.js';

/** Graph takes fragments in multiples of 320 KiB: the smallest one that extends a session. */
export const KEEPALIVE_FRAGMENT_BYTES = 327_680;

export interface KeepAliveDeps {
  store: Store;
  files: Pick<FileSource, 'read' | 'identity'>;
  protocolFor: (job: JobRow) => Promise<UploadProtocol>;
  nowMs: () => number;
  holder: ProcessIdentity;
  isHolderAlive: (holder: ProcessIdentity) => boolean;
}

/**
 * Keeps paused OneDrive/SharePoint uploads from losing their session over lunch (a setting, off by default): a Graph
 * session lives about 15 minutes past its last accepted fragment, so a paused job whose session would lapse within
 * `withinMs` sends one minimal fragment (320 KiB) at the offset the server expects, which extends it. Nothing is sent
 * for a file that changed (its session is replaced on resume anyway) or whose rest fits in one fragment (that would
 * finish the upload while paused). Returns the ids kept alive.
 */
export async function keepPausedSessionsAlive(deps: KeepAliveDeps, withinMs: number, signal: AbortSignal): Promise<number[]> {
  const { store } = deps;
  const kept: number[] = [];
  for (const job of store.jobs.listByState(['paused'])) {
    if (signal.aborted) break;
    const session = store.sessions.openForJob(job.id);
    const nowMs = deps.nowMs();
    if (!session || session.provider !== 'graph' || session.expiresAtMs === null) continue;
    if (session.expiresAtMs <= nowMs || session.expiresAtMs - nowMs > withinMs) continue;
    if (!store.jobs.tryLease(job.id, deps.holder, nowMs, 60_000, deps.isHolderAlive)) continue;
    try {
      if (await keepAlive(deps, job, signal)) kept.push(job.id);
    } catch {
      // Out of reach now: the expiry warning still stands, and the next look tries again.
    } finally {
      store.jobs.releaseLease(job.id, deps.holder);
    }
  }
  return kept;
}

async function keepAlive(deps: KeepAliveDeps, job: JobRow, signal: AbortSignal): Promise<boolean> {
  const identity = await deps.files.identity(job.localPath);
  if (identity.sizeBytes !== job.sizeBytes || identity.mtimeMs !== job.mtimeMs) return false;
  const session = deps.store.sessions.openForJob(job.id)!;
  const protocol = await deps.protocolFor(job);
  const target = { remotePath: job.remotePath, sizeBytes: job.sizeBytes, mtimeMs: job.mtimeMs };
  // The server is the truth: earlier keep-alives moved its offset past what the database recorded.
  const state = await protocol.queryServerState(handleOf(session), target, signal);
  if (state.kind !== 'open') return false;
  const offsetBytes = contiguousPrefixBytes(state.received);
  if (job.sizeBytes - offsetBytes <= KEEPALIVE_FRAGMENT_BYTES) return false;
  const outcome = await protocol.uploadPart(
    handleOf(session),
    { partIndex: -1, offsetBytes, sizeBytes: KEEPALIVE_FRAGMENT_BYTES, data: deps.files.read(job.localPath, offsetBytes, KEEPALIVE_FRAGMENT_BYTES) },
    target,
    signal,
  );
  if (outcome.kind !== 'stored' || outcome.expiresAtMs === null) return false;
  deps.store.sessions.update(session.id, { expiresAtMs: outcome.expiresAtMs });
  return true;
}
