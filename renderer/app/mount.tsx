import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Actions } from '../store/actions.js';
import type { AppStore } from '../store/app-store.js';
import type { PathsOf } from '../transport/open-host.js';
import { App } from './App.js';
import { NoToken } from './NoToken.js';

/** React and the window's components: loaded while the bridge already answers the snapshot (see main.tsx). */
export function mountApp(props: { store: AppStore; actions: Actions; token: string | null; pathsOf: PathsOf | null }): void {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App {...props} />
    </StrictMode>,
  );
}

export function mountNoToken(): void {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <NoToken />
    </StrictMode>,
  );
}
