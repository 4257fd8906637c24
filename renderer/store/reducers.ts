import type { HoistEvent, JobProgressView, JobView, PartsChangedView, PartsView, ProgressTickView, SnapshotView, TotalsView } from '../../preload/contract/index.js';
import { GROUP_ORDER, type DomainState, type FinishedJobs, type GroupKey } from './domain-state.js';
import { groupOf, keepsPlace, mergeGroup, sortGroup } from './job-groups.js';

/**
 * Pure reducers of the window's projection: a snapshot replaces everything main owns; each event then changes only
 * what it names, keeping the identity of every object it did not touch (rows re-render only when their data changed).
 * Generic over the state so the UI's own fields ride along untouched.
 */

/**
 * Takes main's state as a whole: its unfinished jobs, and only the number of finished ones (`applyFinished` brings
 * them). `receivedAtMs` is our clock when it arrived (for the skew).
 */
export function applySnapshot<S extends DomainState>(state: S, snapshot: SnapshotView, receivedAtMs: number): S {
  const jobs: Record<number, JobView> = {};
  const buckets: Record<GroupKey, number[]> = { uploading: [], attention: [], paused: [], queued: [], finished: [] };
  for (const job of snapshot.jobs) {
    jobs[job.id] = job;
    buckets[groupOf(job)].push(job.id);
  }
  for (const group of GROUP_ORDER) sortGroup(group, buckets[group], jobs);
  // Parts stay subscribed across a reconnect (the rows ask again); only those of jobs that are gone are dropped.
  const parts: Record<number, PartsView | null> = {};
  for (const [id, view] of Object.entries(state.parts)) if (jobs[Number(id)] !== undefined) parts[Number(id)] = view;
  return {
    ...state,
    isLoaded: true,
    jobs,
    groups: buckets,
    finished: { status: 'counted', unloadedCount: snapshot.finishedCount },
    live: {},
    totals: snapshot.totals,
    parts,
    destinations: snapshot.destinations,
    watches: snapshot.watches,
    settings: snapshot.settings,
    appState: snapshot.appState,
    warnings: snapshot.warnings,
    fileIntake: snapshot.fileIntake,
    clockSkewMs: snapshot.nowMs - receivedAtMs,
  };
}

/** Applies events in order. */
export function applyEvents<S extends DomainState>(state: S, events: readonly HoistEvent[]): S {
  return events.reduce(applyEvent, state);
}

/** Applies one event. */
export function applyEvent<S extends DomainState>(state: S, event: HoistEvent): S {
  switch (event.name) {
    case 'jobsAdded':
      return upsertJobs(state, event.payload.jobs, 'added');
    case 'jobsChanged':
      return upsertJobs(state, event.payload.jobs, 'changed');
    case 'jobsRemoved':
      return removeJobs(state, event.payload.ids);
    case 'progress':
      return applyProgress(state, event.payload);
    case 'partsChanged':
      return applyParts(state, event.payload);
    case 'warningsChanged':
      return { ...state, warnings: event.payload.warnings };
    case 'appStateChanged':
      return { ...state, appState: event.payload };
    case 'destinationsChanged':
      return { ...state, destinations: event.payload.destinations };
    case 'watchesChanged':
      return { ...state, watches: event.payload.watches };
    case 'settingsChanged':
      return { ...state, settings: event.payload };
    case 'signInChanged':
      return { ...state, signIns: { ...state.signIns, [event.payload.destination]: event.payload } };
  }
}

/**
 * Where job views come from: new jobs (`jobsAdded`), changed ones (`jobsChanged`), or the finished ones `listFinished`
 * brought. Main sends `jobsChanged` only for jobs the window was told about, so one missing from `jobs` is a finished
 * job not loaded yet: it leaves the unloaded count (whatever its state now).
 */
export type JobsSource = 'added' | 'changed' | 'listed';

/** Adds or replaces whole job views; one copy of each map however many jobs arrive. */
export function upsertJobs<S extends DomainState>(state: S, incoming: readonly JobView[], source: JobsSource = 'changed'): S {
  if (incoming.length === 0) return state;
  let surfaced = 0;
  const jobs: Record<number, JobView> = { ...state.jobs };
  const touched = new Map<GroupKey, Set<number>>();
  const arrivals = new Map<GroupKey, number[]>();
  let live: Record<number, JobProgressView> | null = null;
  const latest = new Map<number, JobView>();
  for (const job of incoming) latest.set(job.id, job);
  for (const job of latest.values()) {
    const previous = state.jobs[job.id];
    const group = groupOf(job);
    if (previous === undefined && source === 'changed') surfaced += 1;
    jobs[job.id] = job;
    // A tick only describes a running job; once it stops, its stored numbers are the truth.
    if (job.state !== 'running' && state.live[job.id] !== undefined) {
      live ??= { ...state.live };
      delete live[job.id];
    }
    if (previous !== undefined) {
      const before = groupOf(previous);
      if (before === group && keepsPlace(group, previous, job)) continue;
      getOrInit(touched, before, () => new Set()).add(job.id);
    }
    getOrInit(touched, group, () => new Set()).add(job.id);
    getOrInit(arrivals, group, () => []).push(job.id);
  }
  let groups = state.groups;
  if (touched.size > 0) {
    const next = { ...state.groups };
    for (const [group, ids] of touched) next[group] = mergeGroup(group, state.groups[group], ids, arrivals.get(group) ?? [], jobs);
    groups = next;
  }
  return { ...state, jobs, groups, live: live ?? state.live, finished: lessUnloaded(state.finished, surfaced) };
}

/**
 * Merges the finished jobs `listFinished` brought (10,000 rows in one update). Events that arrived before its answer
 * are older than it; jobs they brought keep their place, the answer's views replace theirs.
 */
export function applyFinished<S extends DomainState>(state: S, finished: readonly JobView[]): S {
  return { ...upsertJobs(state, finished, 'listed'), finished: { status: 'loaded', unloadedCount: 0 } };
}

/** `listFinished` was asked (or its answer is lost with the connection: `counted` again). */
export function setFinishedStatus<S extends DomainState>(state: S, status: FinishedJobs['status']): S {
  return state.finished.status === status ? state : { ...state, finished: { ...state.finished, status } };
}

/** Finished jobs that were not loaded and are now known by id (changed or removed): they leave the unloaded count. */
function lessUnloaded(finished: FinishedJobs, count: number): FinishedJobs {
  if (count === 0 || finished.unloadedCount === 0) return finished;
  return { ...finished, unloadedCount: Math.max(0, finished.unloadedCount - count) };
}

/**
 * Drops jobs from the queue, with their live numbers and parts. Ids the window does not hold are finished jobs not
 * loaded yet (cleared): they leave the unloaded count.
 */
export function removeJobs<S extends DomainState>(state: S, ids: readonly number[]): S {
  const gone = new Set(ids.filter((id) => state.jobs[id] !== undefined));
  const unseen = new Set(ids).size - gone.size;
  if (gone.size === 0) return unseen === 0 ? state : withFinished(state, lessUnloaded(state.finished, unseen));
  const jobs: Record<number, JobView> = { ...state.jobs };
  const live: Record<number, JobProgressView> = { ...state.live };
  const parts: Record<number, PartsView | null> = { ...state.parts };
  const affected = new Set<GroupKey>();
  for (const id of gone) {
    affected.add(groupOf(state.jobs[id]!));
    delete jobs[id];
    delete live[id];
    delete parts[id];
  }
  const groups = { ...state.groups };
  for (const group of affected) groups[group] = state.groups[group].filter((id) => !gone.has(id));
  return { ...state, jobs, groups, live, parts, finished: lessUnloaded(state.finished, unseen) };
}

function withFinished<S extends DomainState>(state: S, finished: FinishedJobs): S {
  return finished === state.finished ? state : { ...state, finished };
}

const sameProgress = (a: JobProgressView, b: JobProgressView) =>
  a.ackedBytes === b.ackedBytes && a.inFlightBytes === b.inFlightBytes && a.bytesPerSec === b.bytesPerSec && a.etaSec === b.etaSec && a.stalledSinceMs === b.stalledSinceMs;

const sameTotals = (a: TotalsView, b: TotalsView) => a.bytesPerSec === b.bytesPerSec && a.etaSec === b.etaSec && a.remainingBytes === b.remainingBytes;

/** Merges a tick: only jobs whose numbers changed get a new object; the rest keep theirs. */
export function applyProgress<S extends DomainState>(state: S, tick: ProgressTickView): S {
  let live: Record<number, JobProgressView> | null = null;
  for (const progress of tick.jobs) {
    const job = state.jobs[progress.id];
    // A tick that raced the job's end (or its removal) would leave numbers behind that nothing clears.
    if (job === undefined || (job.state !== 'running' && job.state !== 'queued')) continue;
    const previous = (live ?? state.live)[progress.id];
    if (previous !== undefined && sameProgress(previous, progress)) continue;
    live ??= { ...state.live };
    live[progress.id] = progress;
  }
  const totals = sameTotals(state.totals, tick.totals) ? state.totals : tick.totals;
  if (live === null && totals === state.totals) return state;
  return { ...state, live: live ?? state.live, totals };
}

/**
 * Applies a change to a job's parts, if a row still holds them (a late event after `releaseParts` is ignored): a
 * complete list replaces them; otherwise the changed parts are merged by index, the others keeping their objects.
 */
export function applyParts<S extends DomainState>(state: S, change: PartsChangedView): S {
  if (!(change.jobId in state.parts)) return state;
  const held = state.parts[change.jobId];
  if (change.isComplete) return { ...state, parts: { ...state.parts, [change.jobId]: { jobId: change.jobId, sessionId: change.sessionId, parts: change.parts } } };
  // A partial change needs the list it patches; the getParts answer on its way brings the whole list anyway.
  if (held === null || held === undefined || held.sessionId !== change.sessionId) return state;
  const parts = [...held.parts];
  for (const part of change.parts) {
    const at = parts[part.index]?.index === part.index ? part.index : parts.findIndex((p) => p.index === part.index);
    if (at === -1) parts.push(part);
    else parts[at] = part;
  }
  return { ...state, parts: { ...state.parts, [change.jobId]: { ...held, parts } } };
}

/** A row asked for a job's parts; events for them are kept from now on. */
export function requestParts<S extends DomainState>(state: S, jobId: number): S {
  if (jobId in state.parts) return state;
  return { ...state, parts: { ...state.parts, [jobId]: null } };
}

/** The row let go of a job's parts. */
export function releaseParts<S extends DomainState>(state: S, jobId: number): S {
  if (!(jobId in state.parts)) return state;
  const parts = { ...state.parts };
  delete parts[jobId];
  return { ...state, parts };
}

function getOrInit<K, V>(map: Map<K, V>, key: K, init: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = init();
    map.set(key, value);
  }
  return value;
}
