import type { EngineEvent } from '../../engine/engine-events.js';
import type { Store } from '../../store/store.js';
import type { WatchEvent } from '../../watch/watch-events.js';

const destinationName = (store: Store, id: number) => store.destinations.byId(id)?.name ?? `destination ${id}`;

/** One line per event worth a line in the daemon's log; undefined for the rest (progress, routine status). */
export function describeServeEvent(store: Store, event: EngineEvent | WatchEvent): string | undefined {
  switch (event.type) {
    case 'job-finished': {
      const job = store.jobs.get(event.jobId);
      const what = job ? `${job.localPath} → ${job.remotePath}` : `upload ${event.jobId}`;
      if (event.state === 'done') return `✓ #${event.jobId} ${what}`;
      if (event.state === 'failed') return `✗ #${event.jobId} ${what}: ${event.message ?? 'failed'}`;
      if (event.state === 'cancelled') return `✗ #${event.jobId} ${what}: cancelled`;
      return undefined;
    }
    case 'watch-status':
      return `[watch ${event.watchId}] ${event.status}${event.message ? `: ${event.message}` : ''}`;
    case 'watch-scanned':
      if (!event.isFull && event.changed === 0 && event.deleted === 0) return undefined;
      return (
        `[watch ${event.watchId}] ${event.isFull ? 'scanned' : 'scanned a new folder:'} ${event.files} file(s) in ${(event.durationMs / 1000).toFixed(1)} s: ` +
        `${event.changed} new or changed, ${event.deleted} deleted${event.renamed ? ` (${event.renamed} renamed)` : ''}, ${event.ignored} ignored`
      );
    case 'files-queued': {
      const parts = [
        event.queued ? `queued ${event.queued} upload(s)` : '',
        event.pending ? `found ${event.pending} file(s) to upload (queued as the queue has room)` : '',
        event.renamed ? `${event.renamed} of them renamed` : '',
        event.restored ? `${event.restored} restored unchanged (not re-sent)` : '',
      ].filter(Boolean);
      return `[watch ${event.watchId}] ${parts.join(', ')}`;
    }
    case 'files-deleted':
      return `[watch ${event.watchId}] ${event.count} file(s) deleted locally: recorded${event.isMirrorRequested ? '' : ', remote copies kept'}`;
    case 'file-unsettled':
      return `[watch ${event.watchId}] ${event.relPath} is still changing after ${Math.round(event.waitedMs / 1000)} s; it is uploaded once it has settled`;
    case 'watch-warning':
      return `[watch ${event.watchId}] ${event.message}`;
    case 'destination-waiting':
      return `${destinationName(store, event.destinationId)}: waiting for the network (its server does not answer); uploads resume when it does`;
    case 'destination-online':
      return `${destinationName(store, event.destinationId)}: the network is back; uploads resume`;
    case 'destination-rate-limited':
      return `${destinationName(store, event.destinationId)}: the server asked Hoist to wait until ${new Date(event.untilMs).toLocaleTimeString()}`;
    case 'job-started':
    case 'bytes-sent':
    case 'part-acked':
    case 'part-failed':
    case 'parts-replanned':
    case 'job-restarted':
    case 'job-retrying':
      return undefined;
  }
}
