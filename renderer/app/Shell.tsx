import { DestinationsScreen } from '../features/destinations/DestinationsScreen.js';
import { SignInDialog } from '../features/destinations/SignInDialog.js';
import { DropOverlay } from '../features/intake/DropOverlay.js';
import { useWindowDrop } from '../features/intake/use-window-drop.js';
import { CancelDialog } from '../features/queue/CancelDialog.js';
import { QueueScreen } from '../features/queue/QueueScreen.js';
import { SettingsScreen } from '../features/settings/SettingsScreen.js';
import { WarningsBanner } from '../features/warnings/WarningsBanner.js';
import { WatchesScreen } from '../features/watches/WatchesScreen.js';
import type { Screen } from '../store/ui-state.js';
import { useAppState } from './app-context.js';
import { ConnectionLine } from './ConnectionLine.js';
import { Header } from './Header.js';
import { LiveRegion } from './LiveRegion.js';
import { NoticeLine } from './NoticeLine.js';
import { Sidebar } from './Sidebar.js';
import { useAppChrome } from './use-app-chrome.js';
import { useShortcuts } from './use-shortcuts.js';
import './shell.css';
import './pages.css';

function ScreenView({ screen }: { screen: Screen }) {
  switch (screen) {
    case 'queue':
      return <QueueScreen filter="all" />;
    case 'attention':
      return <QueueScreen filter="attention" />;
    case 'destinations':
      return <DestinationsScreen />;
    case 'watches':
      return <WatchesScreen />;
    case 'settings':
      return <SettingsScreen />;
  }
}

/** Before the first snapshot; a refused or stale token looks like a server that does not answer, so say both. */
function Connecting() {
  const isRetrying = useAppState((s) => s.connection === 'reconnecting');
  return (
    <div className="screen-loading" role="status">
      <p>{isRetrying ? 'Hoist does not answer yet; trying again…' : 'Connecting to Hoist…'}</p>
      {isRetrying ? <p className="muted">If `hoist serve` was restarted, open the address it printed again: it carries a new access token.</p> : null}
    </div>
  );
}

/** The window: sidebar, header, banners, the current section; dialogs and the live region on top. */
export function Shell() {
  const screen = useAppState((s) => s.screen);
  const isLoaded = useAppState((s) => s.isLoaded);
  const isDragging = useWindowDrop();
  useAppChrome();
  useShortcuts();

  return (
    <div className="app">
      <Sidebar />
      <main className="main" aria-busy={!isLoaded}>
        <Header />
        <ConnectionLine />
        <WarningsBanner />
        <NoticeLine />
        <div className="screen">
          {isLoaded ? <ScreenView screen={screen} /> : <Connecting />}
          {isDragging ? <DropOverlay /> : null}
        </div>
      </main>
      <LiveRegion />
      <CancelDialog />
      <SignInDialog />
    </div>
  );
}
