import type { FailureCause, JobView } from '../../preload/contract/index.js';
import { causeRank } from '../format/cause-words.js';
import { GROUP_ORDER, type DomainState, type GroupKey } from './domain-state.js';
import type { AppState } from './ui-state.js';

/** One line of the virtual queue list. */
export type QueueItem =
  | { kind: 'group'; key: string; group: GroupKey; count: number }
  | { kind: 'cause'; key: string; cause: FailureCause; ids: readonly number[]; destinations: readonly string[] }
  | { kind: 'job'; key: string; id: number; group: GroupKey };

/** Which part of the queue a screen lists. */
export type QueueFilter = 'all' | 'attention';

export interface CauseGroup {
  cause: FailureCause;
  ids: number[];
  /** Destinations of its jobs, in order of first appearance. */
  destinations: string[];
}

/** Failed jobs by cause, in the order of CAUSE_ORDER (the attention group is kept sorted that way). */
export function failedByCause(state: Pick<DomainState, 'groups' | 'jobs'>): CauseGroup[] {
  const groups: CauseGroup[] = [];
  for (const id of state.groups.attention) {
    const job: JobView | undefined = state.jobs[id];
    const cause = job?.error?.cause ?? 'other';
    let last = groups.at(-1);
    if (last === undefined || last.cause !== cause) {
      last = { cause, ids: [], destinations: [] };
      groups.push(last);
    }
    last.ids.push(id);
    if (job !== undefined && !last.destinations.includes(job.destination)) last.destinations.push(job.destination);
  }
  // Sorting is already done by the reducer; this only guards a job whose cause was missing.
  return groups.sort((a, b) => causeRank(a.cause) - causeRank(b.cause));
}

/** Finished jobs in the queue, loaded or not (the Finished group's count). */
export function finishedCount(state: Pick<DomainState, 'groups' | 'finished'>): number {
  return state.groups.finished.length + state.finished.unloadedCount;
}

/** Counts per group (empty groups included; Finished counts the jobs not loaded yet). */
export function groupCounts(state: Pick<DomainState, 'groups' | 'finished'>): Record<GroupKey, number> {
  const counts = {} as Record<GroupKey, number>;
  for (const group of GROUP_ORDER) counts[group] = group === 'finished' ? finishedCount(state) : state.groups[group].length;
  return counts;
}

/** Every job in the queue, finished ones included. */
export function queueCount(state: Pick<DomainState, 'groups' | 'finished'>): number {
  return activeCount(state) + finishedCount(state);
}

/** Whether the window shows finished jobs now (the queue with Finished open), so they must be loaded. */
export function needsFinished(state: Pick<AppState, 'isFinishedOpen' | 'screen'>): boolean {
  return state.isFinishedOpen && state.screen === 'queue';
}

/** Jobs still to go: everything not finished. */
export function activeCount(state: Pick<DomainState, 'groups'>): number {
  return GROUP_ORDER.reduce((sum, group) => (group === 'finished' ? sum : sum + state.groups[group].length), 0);
}

/**
 * The flat list the virtual queue draws: a header per non-empty group, failed jobs under a line per cause, and the
 * Finished group's rows only when it is open.
 */
export function queueItems(state: Pick<DomainState, 'groups' | 'jobs' | 'finished'>, filter: QueueFilter, isFinishedOpen: boolean): QueueItem[] {
  const items: QueueItem[] = [];
  for (const group of GROUP_ORDER) {
    if (filter === 'attention' && group !== 'attention') continue;
    const ids = state.groups[group];
    // Finished shows its count before its jobs are loaded.
    const count = group === 'finished' ? finishedCount(state) : ids.length;
    if (count === 0) continue;
    items.push({ kind: 'group', key: `g:${group}`, group, count });
    if (group === 'attention') {
      for (const cause of failedByCause(state)) {
        items.push({ kind: 'cause', key: `c:${cause.cause}`, cause: cause.cause, ids: cause.ids, destinations: cause.destinations });
        for (const id of cause.ids) items.push({ kind: 'job', key: `j:${id}`, id, group });
      }
      continue;
    }
    if (group === 'finished' && !isFinishedOpen) continue;
    for (const id of ids) items.push({ kind: 'job', key: `j:${id}`, id, group });
  }
  return items;
}

/** queueItems, recomputed only when the groups, the jobs or the options change (never on a progress tick). */
export function createQueueItemsSelector(): typeof queueItems {
  let last: { groups: unknown; jobs: unknown; unloaded: number; filter: QueueFilter; isFinishedOpen: boolean; items: QueueItem[] } | null = null;
  return (state, filter, isFinishedOpen) => {
    // Jobs matter only for the causes of failed ones; other changes keep the list when the groups did not move.
    const jobsKey = state.groups.attention.length > 0 ? state.jobs : null;
    const unloaded = state.finished.unloadedCount;
    if (last !== null && last.groups === state.groups && last.jobs === jobsKey && last.unloaded === unloaded && last.filter === filter && last.isFinishedOpen === isFinishedOpen) {
      return last.items;
    }
    const items = queueItems(state, filter, isFinishedOpen);
    last = { groups: state.groups, jobs: jobsKey, unloaded, filter, isFinishedOpen, items };
    return items;
  };
}
