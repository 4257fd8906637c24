import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { NoToken } from './app/NoToken.js';
import { loadDismissedWarnings, keepDismissedWarnings } from './features/warnings/dismissed-warnings.js';
import { createActions } from './store/actions.js';
import { createAppStore } from './store/app-store.js';
import { feedStore, startClock } from './store/event-feed.js';
import { openHost } from './transport/open-host.js';
import './styles/tokens.css';
import './styles/base.css';
import './styles/controls.css';

const root = createRoot(document.getElementById('root')!);
const host = openHost();

if (host.kind === 'no-token') {
  document.title = 'Hoist — open the address hoist serve printed';
  root.render(
    <StrictMode>
      <NoToken />
    </StrictMode>,
  );
} else {
  const store = createAppStore({ nowMs: Date.now(), dismissedWarnings: loadDismissedWarnings() });
  keepDismissedWarnings(store);
  feedStore(store, host.link);
  startClock(store);
  const actions = createActions(store, host.link.bridge);
  root.render(
    <StrictMode>
      <App store={store} actions={actions} token={host.token} pathsOf={host.pathsOf} />
    </StrictMode>,
  );
}
