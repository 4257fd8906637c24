import { createStore, type StoreApi } from 'zustand/vanilla';
import { initialDomainState } from './domain-state.js';
import { initialUiState, type AppState } from './ui-state.js';

/** The one store of the window. */
export type AppStore = StoreApi<AppState>;

export function createAppStore(options: { nowMs: number; dismissedWarnings?: readonly string[] }): AppStore {
  return createStore<AppState>()(() => ({ ...initialDomainState, ...initialUiState(options.nowMs, options.dismissedWarnings) }));
}
