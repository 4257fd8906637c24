import type { Store } from '../store/store.js';

const KEY = 'pause.untilMs';

/**
 * "Pause all for 2 hours" (the window, the tray, `hoist pause --all --for 2h`): stored, so it survives a restart. While
 * it lasts new and watched files queue but do not start; when it ends only the jobs it paused resume (a job paused by
 * hand stays paused: those have no paused_until_ms).
 */
export function timedPauseUntil(store: Store): number | null {
  const raw = store.settings.get(KEY);
  const untilMs = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(untilMs) ? untilMs : null;
}

/** Starts (or moves) the timed pause; returns the ids of the jobs it paused now. */
export function startTimedPause(store: Store, untilMs: number, nowMs: number): number[] {
  return store.db.transaction(() => {
    store.settings.set(KEY, String(untilMs));
    return store.jobs.pauseIds('all', nowMs, untilMs);
  })();
}

/** Ends the timed pause (its time came, or the user resumed everything); returns the ids of the jobs it resumed. */
export function endTimedPause(store: Store, nowMs: number): number[] {
  return store.db.transaction(() => {
    store.settings.delete(KEY);
    return store.jobs.resumeTimedPaused(nowMs);
  })();
}
