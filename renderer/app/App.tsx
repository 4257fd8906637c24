import { useCallback, useMemo, useRef, type ChangeEvent } from 'react';
import { useFileIntake } from '../features/intake/use-file-intake.js';
import type { Actions } from '../store/actions.js';
import type { AppStore } from '../store/app-store.js';
import type { PathsOf } from '../transport/open-host.js';
import { AppContext, type AppContextValue } from './app-context.js';
import { Shell } from './Shell.js';

interface AppProps {
  store: AppStore;
  actions: Actions;
  token: string | null;
  pathsOf: PathsOf | null;
}

export function App({ store, actions, token, pathsOf }: AppProps) {
  const inputRef = useRef<HTMLInputElement>(null);
  const addFiles = useFileIntake(store, actions, token, pathsOf);
  const chooseFiles = useCallback(() => inputRef.current?.click(), []);
  const value = useMemo<AppContextValue>(() => ({ store, actions, token, pathsOf, chooseFiles, addFiles }), [store, actions, token, pathsOf, chooseFiles, addFiles]);

  const onChosen = (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])];
    // Cleared so choosing the same file again still fires a change.
    event.target.value = '';
    if (files.length > 0) addFiles(files);
  };

  return (
    <AppContext value={value}>
      <Shell />
      <input ref={inputRef} className="visually-hidden" type="file" multiple tabIndex={-1} aria-label="Choose files to upload" onChange={onChosen} />
    </AppContext>
  );
}
