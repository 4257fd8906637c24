import type { ReactNode } from 'react';
import { formatCount } from '../format/bytes.js';
import { activeCount } from '../store/selectors.js';
import type { Screen } from '../store/ui-state.js';
import { AttentionIcon, CloudIcon, FolderIcon, GearIcon, QueueIcon } from '../ui/icons.js';
import { useApp, useAppState } from './app-context.js';
import { StatusFoot } from './StatusFoot.js';

function NavItem({ screen, label, icon, count, isAlert }: { screen: Screen; label: string; icon: ReactNode; count?: number; isAlert?: boolean }) {
  const { actions } = useApp();
  const isCurrent = useAppState((s) => s.screen === screen);
  return (
    <li>
      <button type="button" className="nav-item" aria-current={isCurrent ? 'page' : undefined} onClick={() => actions.setScreen(screen)}>
        {icon}
        <span className="nav-label">{label}</span>
        {count !== undefined && count > 0 ? (
          <span className={isAlert ? 'nav-count nav-count-alert' : 'nav-count'}>
            <span className="visually-hidden">, </span>
            {formatCount(count)}
          </span>
        ) : null}
      </button>
    </li>
  );
}

/** Sections with their counts, and the app state in words at the foot. */
export function Sidebar() {
  const queued = useAppState(activeCount);
  const failed = useAppState((s) => s.groups.attention.length);
  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <QueueIcon />
        </span>
        <span className="brand-name">Hoist</span>
      </div>
      <nav aria-label="Sections">
        <ul className="nav-list">
          <NavItem screen="queue" label="Queue" icon={<QueueIcon />} count={queued} />
          <NavItem screen="attention" label="Needs attention" icon={<AttentionIcon />} count={failed} isAlert />
        </ul>
        <ul className="nav-list nav-list-secondary">
          <NavItem screen="destinations" label="Destinations" icon={<CloudIcon />} />
          <NavItem screen="watches" label="Watched folders" icon={<FolderIcon />} />
          <NavItem screen="settings" label="Settings" icon={<GearIcon />} />
        </ul>
      </nav>
      <StatusFoot />
    </aside>
  );
}
