import type { JobView } from '../../preload/contract/index.js';
import { causeRank } from '../format/cause-words.js';
import type { GroupKey } from './domain-state.js';

/** The group a job is listed under. */
export function groupOf(job: JobView): GroupKey {
  switch (job.state) {
    case 'running':
      return 'uploading';
    case 'failed':
      return 'attention';
    case 'paused':
      return 'paused';
    case 'queued':
      return 'queued';
    case 'done':
    case 'cancelled':
      return 'finished';
  }
}

type Compare = (a: JobView, b: JobView) => number;

// Active groups keep queue order; failures sit together by cause; history shows the latest first.
const COMPARE: Record<GroupKey, Compare> = {
  uploading: (a, b) => a.id - b.id,
  paused: (a, b) => a.id - b.id,
  queued: (a, b) => a.id - b.id,
  attention: (a, b) => causeRank(a.error?.cause) - causeRank(b.error?.cause) || a.id - b.id,
  finished: (a, b) => b.updatedAtMs - a.updatedAtMs || b.id - a.id,
};

/** Whether a changed job keeps its place in its group (so the group's order needs no work). */
export function keepsPlace(group: GroupKey, before: JobView, after: JobView): boolean {
  if (group === 'attention') return before.error?.cause === after.error?.cause;
  if (group === 'finished') return before.updatedAtMs === after.updatedAtMs;
  return true;
}

/** Orders ids of one group by its rule. */
export function sortGroup(group: GroupKey, ids: number[], jobs: Readonly<Record<number, JobView>>): number[] {
  const compare = COMPARE[group];
  return ids.sort((a, b) => compare(jobs[a]!, jobs[b]!));
}

/**
 * A group's new order after some of its jobs left, changed or arrived: removes `touched` from the kept order, sorts
 * only the arrivals and merges them in, so 10,000 finished jobs do not re-sort when one more finishes.
 */
export function mergeGroup(
  group: GroupKey,
  current: readonly number[],
  touched: ReadonlySet<number>,
  arrivals: number[],
  jobs: Readonly<Record<number, JobView>>,
): number[] {
  const kept = touched.size === 0 ? current : current.filter((id) => !touched.has(id));
  if (arrivals.length === 0) return kept === current ? [...current] : (kept as number[]);
  const added = sortGroup(group, arrivals, jobs);
  const compare = COMPARE[group];
  const merged: number[] = new Array(kept.length + added.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < kept.length && j < added.length) {
    merged[k++] = compare(jobs[kept[i]!]!, jobs[added[j]!]!) <= 0 ? kept[i++]! : added[j++]!;
  }
  while (i < kept.length) merged[k++] = kept[i++]!;
  while (j < added.length) merged[k++] = added[j++]!;
  return merged;
}
