import { useApp, useAppState } from '../../app/app-context.js';
import { formatCount } from '../../format/bytes.js';
import type { GroupKey } from '../../store/domain-state.js';
import { ChevronIcon, RetryIcon, TrashIcon } from '../../ui/icons.js';

export const GROUP_TITLES: Record<GroupKey, string> = {
  uploading: 'Uploading',
  attention: 'Needs attention',
  paused: 'Paused',
  queued: 'Queued',
  finished: 'Finished',
};

/** A group's title and count, sticky while its rows scroll; Finished folds, Needs attention retries everything. */
export function GroupHeader({ group, count, rowIndex }: { group: GroupKey; count: number; rowIndex: number }) {
  const { actions } = useApp();
  const isOpen = useAppState((s) => s.isFinishedOpen);
  const title = (
    <>
      <span className="group-title-text">{GROUP_TITLES[group]}</span>
      <span className="group-count">{formatCount(count)}</span>
    </>
  );
  return (
    <div role="row" aria-rowindex={rowIndex} className={`group-header group-${group}`}>
      <div role="gridcell" className="group-cell">
        <h2 className="group-title">
          {group === 'finished' ? (
            <button type="button" className="group-toggle" aria-expanded={isOpen} onClick={actions.toggleFinished}>
              <ChevronIcon />
              {title}
            </button>
          ) : (
            title
          )}
        </h2>
        <div className="group-actions">
          {group === 'attention' ? (
            <button type="button" className="button button-small" onClick={() => void actions.retry('all')}>
              <RetryIcon />
              Retry all
            </button>
          ) : null}
          {group === 'finished' ? (
            <button type="button" className="button button-small button-quiet" onClick={() => void actions.clearFinished()}>
              <TrashIcon />
              Clear finished
            </button>
          ) : null}
        </div>
      </div>
    </div>
  );
}
