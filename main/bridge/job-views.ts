import type { DestinationView, JobView } from '../../preload/contract/views.js';
import type { DestinationRow } from '../store/destinations-repo.js';
import type { JobRow } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';

export function toJobView(store: Store, job: JobRow, destinationName: string): JobView {
  const session = store.sessions.openForJob(job.id) ?? store.sessions.latestForJob(job.id);
  const parts = session ? store.sessions.parts(session.id) : [];
  const done = parts.filter((p) => p.state === 'done');
  const item = job.remoteItem as { id?: unknown } | null;
  return {
    id: job.id,
    localPath: job.localPath,
    remotePath: job.remotePath,
    destination: destinationName,
    state: job.state,
    sizeBytes: job.sizeBytes,
    ackedBytes: job.state === 'done' ? job.sizeBytes : done.reduce((s, p) => s + p.sizeBytes, 0),
    bytesSentTotal: job.bytesSentTotal,
    partsTotal: parts.length,
    partsDone: done.length,
    sessionExpiresAtMs: session?.expiresAtMs ?? null,
    restartReason: job.restartReason,
    errorCode: job.errorCode,
    errorMessage: job.errorMessage,
    remoteItemId: item && typeof item.id === 'string' ? item.id : null,
  };
}

export function listJobViews(store: Store, ids?: readonly number[]): JobView[] {
  const names = new Map(store.destinations.list().map((d) => [d.id, d.name]));
  const jobs = ids ? ids.map((id) => store.jobs.get(id)).filter((j): j is JobRow => j !== undefined) : store.jobs.list();
  return jobs.map((job) => toJobView(store, job, names.get(job.destinationId) ?? '?'));
}

export function toDestinationView(dest: DestinationRow): DestinationView {
  return { name: dest.name, provider: dest.provider, settings: dest.config };
}
