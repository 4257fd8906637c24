import type { FailureCause } from '../../../preload/contract/index.js';
import { useApp } from '../../app/app-context.js';
import { plural } from '../../format/bytes.js';
import { CAUSE_WORDS } from '../../format/cause-words.js';
import { useExportDiagnostics } from '../settings/use-export-diagnostics.js';
import { RetryIcon } from '../../ui/icons.js';

interface CauseHeaderProps {
  cause: FailureCause;
  ids: readonly number[];
  destinations: readonly string[];
  rowIndex: number;
}

function Fix({ cause, ids, destinations }: Omit<CauseHeaderProps, 'rowIndex'>) {
  const { actions } = useApp();
  const exportDiagnostics = useExportDiagnostics();
  switch (CAUSE_WORDS[cause].fix) {
    case 'sign-in':
      return destinations.map((destination) => (
        <button key={destination} type="button" className="button button-small button-primary" onClick={() => void actions.startSignIn(destination)}>
          Sign in to {destination}
        </button>
      ));
    case 'remove':
      return (
        <button type="button" className="button button-small" onClick={() => actions.askCancel([...ids], ids.length === 1 ? 'this upload' : `These ${ids.length} uploads`)}>
          Remove from queue
        </button>
      );
    case 'destinations':
      return (
        <button type="button" className="button button-small" onClick={() => actions.setScreen('destinations')}>
          Check destinations
        </button>
      );
    case 'diagnostics':
      return (
        <button type="button" className="button button-small" onClick={() => void exportDiagnostics()}>
          Export diagnostics
        </button>
      );
    case 'none':
      return null;
  }
}

/** The reason a set of jobs failed, in plain words, with Retry all for them and the one fix for the cause. */
export function CauseHeader({ cause, ids, destinations, rowIndex }: CauseHeaderProps) {
  const { actions } = useApp();
  const reason = CAUSE_WORDS[cause].reason(destinations);
  return (
    <div role="row" aria-rowindex={rowIndex} className="cause-header">
      <div role="gridcell" className="cause-cell">
        <div className="cause-text">
          <span className="cause-reason">{reason}</span>
          <span className="cause-count">{plural(ids.length, 'file')}</span>
        </div>
        <div className="cause-actions">
          <Fix cause={cause} ids={ids} destinations={destinations} />
          <button type="button" className="button button-small" aria-label={`Retry all: ${reason}`} onClick={() => void actions.retry({ cause })}>
            <RetryIcon />
            Retry all
          </button>
        </div>
      </div>
    </div>
  );
}
