import type { JobProgressView, JobView } from '../../preload/contract/index.js';
import { formatClock, formatIn } from './time.js';

/** How a state reads at a glance; the colour supports the words, never replaces them. */
export type StateTone = 'active' | 'waiting' | 'warning' | 'error' | 'done' | 'muted';

export interface StateWords {
  /** The words shown in the row, with countdowns ("Retrying in 8 s"). */
  text: string;
  /** The same without anything that changes every second, for accessible names. */
  label: string;
  tone: StateTone;
}

const words = (text: string, tone: StateTone, label = text): StateWords => ({ text, label, tone });

/** Whether the row's words depend on the clock (and so re-render once a second). */
export function isClockDependent(job: JobView): boolean {
  if (job.state === 'paused') return job.pausedUntilMs !== null;
  if (job.state !== 'queued' && job.state !== 'running') return false;
  return job.activity.kind === 'retrying' || job.activity.kind === 'rate-limited';
}

/** The state of a job in words, from its stored state and what it is doing right now. */
export function jobStateWords(job: JobView, live: JobProgressView | undefined, nowMs: number): StateWords {
  switch (job.state) {
    case 'done':
      return words('Done', 'done');
    case 'cancelled':
      return words('Cancelled', 'muted');
    case 'failed': {
      const message = job.error?.message ?? job.errorMessage ?? 'unknown error';
      return words(`Failed: ${message}`, 'error');
    }
    case 'paused':
      return job.pausedUntilMs !== null && job.pausedUntilMs > nowMs
        ? words(`Paused until ${formatClock(job.pausedUntilMs, nowMs)}`, 'muted')
        : words('Paused', 'muted');
    case 'queued':
    case 'running':
      return activityWords(job, live, nowMs);
  }
}

function activityWords(job: JobView, live: JobProgressView | undefined, nowMs: number): StateWords {
  const activity = job.activity;
  switch (activity.kind) {
    case 'none':
      return job.state === 'running' ? words('Uploading', 'active') : words('Queued', 'muted');
    case 'checking':
      return words('Checking what the server has', 'active');
    case 'sending':
      return live?.stalledSinceMs != null ? words('Stalled', 'warning') : words('Uploading', 'active');
    case 'retrying':
      return words(`Retrying ${formatIn(activity.atMs, nowMs)}`, 'warning', 'Retrying');
    case 'waiting-network':
      return words('Waiting for network', 'waiting');
    case 'rate-limited':
      return words(`Rate limited until ${formatClock(activity.untilMs, nowMs)} (${formatIn(activity.untilMs, nowMs)})`, 'waiting', 'Rate limited');
    case 'stalled':
      return words('Stalled', 'warning');
    case 'waiting-disk':
      return words('Waiting for disk space', 'warning');
    case 'waiting-stable':
      return words('Waiting for the file to stop changing', 'waiting');
    case 'elsewhere':
      return words('Uploading in another Hoist process', 'active');
  }
}

/** The folder part of a local path, with the home folder shortened the way file managers do ("~/Videos"). */
export function folderOf(localPath: string): string {
  const cut = Math.max(localPath.lastIndexOf('/'), localPath.lastIndexOf('\\'));
  const folder = cut <= 0 ? localPath.slice(0, cut + 1) || '/' : localPath.slice(0, cut);
  return folder.replace(/^\/(?:home|Users)\/[^/]+(?=\/|$)/, '~');
}
