import type { HoistEvent, JobView } from '../../preload/contract/index.js';
import { plural } from '../format/bytes.js';

const listNames = (names: readonly string[]) =>
  names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;

/**
 * What the live region says after a batch of events: jobs that just finished or failed. A handful are named; more
 * are counted, so a burst of finishes is one sentence and not a queue of them.
 */
export function announcementFor(previousJobs: Readonly<Record<number, JobView>>, events: readonly HoistEvent[], maxNamed = 3): string | null {
  const finished = new Map<number, string>();
  const failed = new Map<number, JobView>();
  for (const event of events) {
    if (event.name !== 'jobsChanged') continue;
    for (const job of event.payload.jobs) {
      const before = previousJobs[job.id]?.state;
      // A job the window does not hold was already finished (not loaded yet): nothing new to say.
      if (job.state === 'done' && before !== undefined && before !== 'done') finished.set(job.id, job.name);
      if (job.state === 'failed' && before !== 'failed') failed.set(job.id, job);
    }
  }
  const sentences: string[] = [];
  if (finished.size > 0) {
    const names = [...finished.values()];
    sentences.push(names.length <= maxNamed ? `${listNames(names)} uploaded` : `${plural(names.length, 'file')} uploaded`);
  }
  if (failed.size === 1) {
    const job = [...failed.values()][0]!;
    sentences.push(`${job.name} failed: ${job.error?.message ?? job.errorMessage ?? 'unknown error'}`);
  } else if (failed.size > 1) {
    sentences.push(`${plural(failed.size, 'upload')} failed`);
  }
  return sentences.length === 0 ? null : sentences.join('. ');
}
