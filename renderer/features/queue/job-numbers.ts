import type { JobProgressView, JobView } from '../../../preload/contract/index.js';
import { formatBytes, formatBytesOf, formatSpeed } from '../../format/bytes.js';
import { formatClock, formatDuration } from '../../format/time.js';

/** Bytes the server holds of a job, the live tick's when it runs (ticks are fresher than the stored view). */
export function doneBytesOf(job: JobView, live: JobProgressView | undefined): number {
  if (job.state === 'done') return job.sizeBytes;
  return live?.ackedBytes ?? job.ackedBytes;
}

/** The numbers line of a row: "2.5 of 4.0 GiB · 18.2 MB/s · 1 min 24 s left", "stalled" instead of a growing ETA. */
export function jobNumbers(job: JobView, live: JobProgressView | undefined, nowMs: number): string {
  const done = doneBytesOf(job, live);
  switch (job.state) {
    case 'done':
      return `${formatBytes(job.sizeBytes)} · finished ${formatClock(job.updatedAtMs, nowMs)}`;
    case 'cancelled':
      return formatBytes(job.sizeBytes);
    case 'queued':
      return done > 0 ? formatBytesOf(done, job.sizeBytes) : formatBytes(job.sizeBytes);
    case 'paused':
    case 'failed':
      return formatBytesOf(done, job.sizeBytes);
    case 'running': {
      const parts = [formatBytesOf(done, job.sizeBytes)];
      if (live?.stalledSinceMs != null) parts.push('stalled');
      else if (live !== undefined && live.bytesPerSec > 0) {
        parts.push(formatSpeed(live.bytesPerSec));
        if (live.etaSec !== null) parts.push(`${formatDuration(Math.ceil(live.etaSec))} left`);
      }
      return parts.join(' · ');
    }
  }
}
