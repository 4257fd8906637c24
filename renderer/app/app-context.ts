import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { Actions } from '../store/actions.js';
import type { AppStore } from '../store/app-store.js';
import type { AppState } from '../store/ui-state.js';
import type { PathsOf } from '../transport/open-host.js';

export interface AppContextValue {
  store: AppStore;
  actions: Actions;
  /** Bearer token for the file intake (browser tab); null in Electron. */
  token: string | null;
  pathsOf: PathsOf | null;
  /** Opens the file chooser (the header, the empty queue and Ctrl/Cmd+O share one input). */
  chooseFiles: () => void;
  /** Queues files the user chose or dropped. */
  addFiles: (files: readonly File[]) => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (value === null) throw new Error('useApp outside <AppContext>');
  return value;
}

/** A slice of the store; the component re-renders only when the slice changes (by Object.is). */
export function useAppState<T>(selector: (state: AppState) => T): T {
  return useStore(useApp().store, selector);
}
