import type { WatchView } from '../../preload/contract/views.js';
import type { Store } from '../store/store.js';

/** Every watched folder with its counts: three queries whatever the number of folders. */
export function watchViews(store: Store): WatchView[] {
  const names = new Map(store.destinations.list().map((d) => [d.id, d.name]));
  const counts = store.syncIndex.countsByWatch();
  return store.watches.list().map((w) => {
    const c = counts.get(w.id);
    return {
      id: w.id,
      dir: w.dir,
      destination: names.get(w.destinationId) ?? `#${w.destinationId}`,
      remoteDir: w.remoteDir,
      isPaused: w.isPaused,
      status: w.isPaused ? 'paused' : w.status,
      statusMessage: w.statusMessage,
      ignorePatterns: w.ignorePatterns,
      includeHidden: w.includeHidden,
      counts: { uploaded: c?.uploaded ?? 0, toUpload: (c?.pending ?? 0) + (c?.queued ?? 0), failed: c?.failed ?? 0 },
    };
  });
}
