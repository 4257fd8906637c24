import type { AppStore } from '../../store/app-store.js';

const STORAGE_KEY = 'hoist.dismissedWarnings';
// Warning ids are stable only while their condition lasts; keep the newest few so the list cannot grow forever.
const KEEP = 200;

export function loadDismissedWarnings(): string[] {
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/** Writes dismissals to localStorage whenever they change, so a dismissed warning stays dismissed after a reload. */
export function keepDismissedWarnings(store: AppStore): void {
  store.subscribe((state, previous) => {
    if (state.dismissedWarnings === previous.dismissedWarnings) return;
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state.dismissedWarnings.slice(-KEEP)));
    } catch {
      // Private windows may refuse; the dismissal then lasts for this page.
    }
  });
}
