import { applySystemTheme } from './app/theme.js';
import { keepDismissedWarnings, loadDismissedWarnings } from './features/warnings/dismissed-warnings.js';
import { createActions } from './store/actions.js';
import { createAppStore } from './store/app-store.js';
import { feedStore, startClock } from './store/event-feed.js';
import { openHost } from './transport/open-host.js';
import './styles/tokens.css';
import './styles/base.css';
import './styles/controls.css';

/**
 * The entry is small on purpose. It opens the bridge and asks for the snapshot before React and the window's
 * components (most of the code, preloaded by the page) run: evaluating them first kept the main thread busy, and the
 * socket's open event (hence the snapshot request) waited behind them. The first render then usually has the jobs.
 */
const host = openHost();
applySystemTheme();
let isMounted = false;
const mount = (run: (app: typeof import('./app/mount.js')) => void) => {
  if (isMounted) return;
  isMounted = true;
  void import('./app/mount.js').then(run);
};

if (host.kind === 'no-token') {
  document.title = 'Hoist — open the address hoist serve printed';
  mount(({ mountNoToken }) => mountNoToken());
} else {
  const store = createAppStore({ nowMs: Date.now(), dismissedWarnings: loadDismissedWarnings() });
  keepDismissedWarnings(store);
  feedStore(store, host.link);
  startClock(store);
  const actions = createActions(store, host.link.bridge);
  const mountApp = () => mount(({ mountApp }) => mountApp({ store, actions, token: host.token, pathsOf: host.pathsOf }));
  if (host.link.status() === 'open') mountApp();
  else {
    // Registered after the feed's listener: on `open` the snapshot request is on its way when React starts.
    const stop = host.link.onStatus(() => {
      stop();
      mountApp();
    });
    // A server that neither accepts nor refuses the socket must not leave the page blank.
    setTimeout(mountApp, 1000);
  }
}
