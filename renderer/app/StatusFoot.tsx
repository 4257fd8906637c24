import type { AppStateKind } from '../../preload/contract/index.js';
import { useAppState } from './app-context.js';

const TONE: Record<AppStateKind, string> = {
  idle: 'ok',
  uploading: 'active',
  paused: 'muted',
  'waiting-network': 'waiting',
  'rate-limited': 'waiting',
  'needs-attention': 'error',
};

/** The app state in words ("Online", "Waiting for network since 14:02"), and the connection when it is down. */
export function StatusFoot() {
  const connection = useAppState((s) => s.connection);
  const isLoaded = useAppState((s) => s.isLoaded);
  const kind = useAppState((s) => s.appState.kind);
  const summary = useAppState((s) => s.appState.summary);
  const isDown = connection !== 'open' || !isLoaded;
  const text = isDown ? (connection === 'reconnecting' ? 'Reconnecting to Hoist…' : 'Connecting…') : kind === 'idle' ? 'Online' : summary;
  const tone = isDown ? 'waiting' : TONE[kind];
  return (
    <div className="status-foot">
      <span className={`status-dot status-${tone}`} aria-hidden="true" />
      <span className="status-text">{text}</span>
    </div>
  );
}
