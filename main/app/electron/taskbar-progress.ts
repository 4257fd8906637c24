import type { AppStateView } from '../../../preload/contract/views.js';

/**
 * The bytes of the current batch: what was left to send when the queue last started from empty, plus what was added
 * since. The bar then shows the share sent of the batch, not of everything ever queued.
 */
export interface BatchBytes {
  totalBytes: number;
  remainingBytes: number;
}

export const NO_BATCH: BatchBytes = { totalBytes: 0, remainingBytes: 0 };

/** The batch after a new remaining-bytes total (from the snapshot or a progress tick). */
export function nextBatchBytes(batch: BatchBytes, remainingBytes: number): BatchBytes {
  if (remainingBytes <= 0) return NO_BATCH;
  if (batch.totalBytes === 0) return { totalBytes: remainingBytes, remainingBytes };
  const added = Math.max(0, remainingBytes - batch.remainingBytes);
  return { totalBytes: batch.totalBytes + added, remainingBytes };
}

/** Electron's `setProgressBar` modes (paused and error show as such on Windows only; elsewhere as a plain bar). */
export type ProgressBarMode = 'none' | 'normal' | 'indeterminate' | 'paused' | 'error';

/** Arguments of `BrowserWindow.setProgressBar`: a negative progress removes the bar. */
export interface ProgressBar {
  progress: number;
  mode: ProgressBarMode;
}

/**
 * The taskbar/dock progress of an app state. No bar when nothing is pending (jobs paused by hand long ago do not keep a
 * bar up forever, a timed pause does); the share of the batch sent while uploading; paused while the queue is held
 * (timed pause, network, rate limit); error while an upload needs attention; indeterminate before any bytes are known.
 */
export function progressBarFor(state: AppStateView, batch: BatchBytes): ProgressBar {
  const pending = state.counts.uploading + state.counts.queued;
  const isHeld = state.pausedUntilMs !== null;
  if (pending === 0 && !isHeld) return { progress: -1, mode: 'none' };
  if (batch.totalBytes <= 0) return isHeld ? { progress: 0, mode: 'paused' } : { progress: 2, mode: 'indeterminate' };
  const progress = Math.min(1, Math.max(0, 1 - batch.remainingBytes / batch.totalBytes));
  switch (state.kind) {
    case 'uploading':
    case 'idle':
      return { progress, mode: 'normal' };
    case 'paused':
    case 'waiting-network':
    case 'rate-limited':
      return { progress, mode: 'paused' };
    case 'needs-attention':
      return { progress, mode: 'error' };
  }
}

/**
 * Whether to keep the machine from suspending the app (`powerSaveBlocker` 'prevent-app-suspension'): while uploads are
 * running and no timed pause holds them; released when idle or paused.
 */
export function shouldKeepAwake(state: AppStateView): boolean {
  return state.counts.uploading > 0 && state.pausedUntilMs === null && state.kind !== 'paused';
}
