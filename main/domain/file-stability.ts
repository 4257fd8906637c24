import type { FileIdentity } from '../store/jobs-repo.js';

/**
 * When a file counts as finished being written. A file is queued only when no change was reported for `quietMs` and
 * either its modification time is at least `quietMs` old or two looks `quietMs` apart saw the same size and mtime
 * (the second rule covers clocks or copiers that put mtime in the future). Nextcloud gates on a 2 s file age, Syncthing
 * aggregates for 10 s; 2 s keeps the queue latency low and a stalled copy is caught again by its next write.
 */
export interface StabilityPolicy {
  quietMs: number;
  /** Empty files often mean "created, not written yet" (downloads, copiers that pre-create): they wait longer. */
  zeroByteQuietMs: number;
  /** After this long without settling the file is reported as still changing; it keeps waiting (never uploaded half-written). */
  maxWaitMs: number;
}

export const DEFAULT_STABILITY: StabilityPolicy = { quietMs: 2_000, zeroByteQuietMs: 10_000, maxWaitMs: 10 * 60_000 };

/** What the gate knows about one file it is waiting on. */
export interface PendingFile {
  firstSeenMs: number;
  /** Last change notification for the path; -Infinity when it was only found by a scan. */
  lastEventMs: number;
  /** The last size/mtime seen and when; absent before the first look. */
  observed?: FileIdentity;
  observedAtMs?: number;
}

export type StabilityDecision =
  | { kind: 'ready' }
  | { kind: 'wait'; recheckAtMs: number; observed: FileIdentity; observedAtMs: number; isOverdue: boolean };

/** Same content as far as size and mtime tell (the rsync quick check); inodes are compared separately. */
export function sameContentStamp(a: FileIdentity, b: FileIdentity): boolean {
  return a.sizeBytes === b.sizeBytes && Math.abs(a.mtimeMs - b.mtimeMs) < 0.001;
}

/** Pure: is the file as seen now (`current`) safe to upload? */
export function decideStability(file: PendingFile, current: FileIdentity, nowMs: number, policy: StabilityPolicy): StabilityDecision {
  const quietMs = current.sizeBytes === 0 ? Math.max(policy.quietMs, policy.zeroByteQuietMs) : policy.quietMs;
  const quietSinceEventAtMs = file.lastEventMs + quietMs;
  const isQuiet = nowMs >= quietSinceEventAtMs;
  const isOldEnough = current.mtimeMs <= nowMs - quietMs;
  const wasSeenUnchanged =
    file.observed !== undefined && file.observedAtMs !== undefined && sameContentStamp(file.observed, current) && nowMs - file.observedAtMs >= quietMs;
  if (isQuiet && (isOldEnough || wasSeenUnchanged)) return { kind: 'ready' };

  const keepObservation = file.observed !== undefined && file.observedAtMs !== undefined && sameContentStamp(file.observed, current);
  const observedAtMs = keepObservation ? file.observedAtMs! : nowMs;
  // The earliest moment either rule can hold, never before the quiet period after the last event ends.
  const byAgeAtMs = current.mtimeMs <= nowMs ? current.mtimeMs + quietMs : Number.POSITIVE_INFINITY;
  const byObservationAtMs = observedAtMs + quietMs;
  const recheckAtMs = Math.max(quietSinceEventAtMs, Math.min(byAgeAtMs, byObservationAtMs), nowMs + 1);
  return { kind: 'wait', recheckAtMs, observed: current, observedAtMs, isOverdue: nowMs - file.firstSeenMs >= policy.maxWaitMs };
}
