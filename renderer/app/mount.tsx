import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Actions } from '../store/actions.js';
import type { AppStore } from '../store/app-store.js';
import type { PathsOf } from '../transport/open-host.js';
import { App } from './App.js';
import { NoToken } from './NoToken.js';
import { applySystemTheme, subscribeDark } from './theme.js';

/** React and the window's components: loaded while the bridge already answers the snapshot (see main.tsx). */
export function mountApp(props: { store: AppStore; actions: Actions; token: string | null; pathsOf: PathsOf | null }): void {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App {...props} />
    </StrictMode>,
  );
}

/** The page without its token has no settings to read its theme from: it follows the system's, as it changes. */
export function mountNoToken(): void {
  subscribeDark(applySystemTheme);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <NoToken />
    </StrictMode>,
  );
}
