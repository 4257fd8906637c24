import { memo } from 'react';
import { useApp, useAppState } from '../../app/app-context.js';
import { percentOf } from '../../format/bytes.js';
import { folderOf, isClockDependent, jobStateWords } from '../../format/job-words.js';
import { rowWarningText } from '../../format/warning-words.js';
import { ChevronIcon } from '../../ui/icons.js';
import { ProgressBar } from '../../ui/ProgressBar.js';
import { PartsPanel } from '../parts/PartsPanel.js';
import { ErrorDetails } from './ErrorDetails.js';
import { doneBytesOf, jobNumbers } from './job-numbers.js';
import { RowActions } from './RowActions.js';
import './job-row.css';

interface JobRowProps {
  id: number;
  /** 1-based position among all lines of the list (aria-rowindex). */
  rowIndex: number;
  isActive: boolean;
}

const BAR_TONE = { active: 'active', waiting: 'muted', warning: 'warning', error: 'error', done: 'done', muted: 'muted' } as const;

/**
 * One upload. It reads its own job and live numbers from the store by id, so a progress tick re-renders the rows whose
 * numbers changed and no others; the list never re-creates rows on a tick.
 */
export const JobRow = memo(function JobRow({ id, rowIndex, isActive }: JobRowProps) {
  const { actions } = useApp();
  const job = useAppState((s) => s.jobs[id]);
  const live = useAppState((s) => (s.jobs[id]?.state === 'running' ? s.live[id] : undefined));
  const nowMs = useAppState((s) => {
    const current = s.jobs[id];
    // Only rows whose words count down (or say a clock time) follow the clock.
    return current !== undefined && (isClockDependent(current) || current.state === 'done') ? s.nowMs : 0;
  });
  const isExpanded = useAppState((s) => id in s.expanded);
  const warning = useAppState((s) => s.warnings.find((w) => w.jobId === id));
  const clockMs = useAppState((s) => (warning !== undefined ? s.nowMs : 0));
  if (job === undefined) return null;

  const words = jobStateWords(job, live, nowMs);
  const done = doneBytesOf(job, live);
  const isFailed = job.state === 'failed';
  const hasParts = job.partsTotal > 1 && job.state !== 'done' && job.state !== 'cancelled';
  const canExpand = isFailed || hasParts;
  const disclosure = isFailed ? `Show error of ${job.name}` : `Show parts of ${job.name}`;

  return (
    <div role="row" aria-rowindex={rowIndex} aria-label={`${job.name}, ${words.label}`} className={`job-row${isExpanded ? ' is-expanded' : ''}`} tabIndex={isActive ? 0 : -1} data-job-id={id}>
      <div role="gridcell" className="cell-disclosure">
        {canExpand ? (
          <button type="button" className="disclosure" aria-expanded={isExpanded} aria-label={disclosure} onClick={() => actions.toggleExpanded(id)}>
            <ChevronIcon />
          </button>
        ) : null}
      </div>
      <div role="gridcell" className="cell-name">
        <div className="job-name" title={job.name}>
          {job.name}
        </div>
        <div className="job-meta" title={job.localPath}>
          <span className="job-folder">{job.isReceivedCopy ? 'Sent from a browser tab' : folderOf(job.localPath)}</span>
          <span className="job-destination"> · {job.destination}</span>
        </div>
      </div>
      <div role="gridcell" className="cell-state">
        <div className={`job-state tone-${words.tone}`} title={words.text}>
          {words.text}
        </div>
        <div className="job-numbers">{jobNumbers(job, live, nowMs)}</div>
        {warning !== undefined ? <div className="job-warning">{rowWarningText(warning, clockMs)}</div> : null}
      </div>
      <div role="gridcell" className="cell-progress">
        <ProgressBar label={`Progress of ${job.name}`} doneBytes={done} totalBytes={job.sizeBytes} tone={BAR_TONE[words.tone]} />
        <span className="percent" aria-hidden="true">
          {percentOf(done, job.sizeBytes)} %
        </span>
      </div>
      <div role="gridcell" className="cell-actions">
        <RowActions job={job} />
      </div>
      {isExpanded && canExpand ? (
        <div role="gridcell" className="cell-details" aria-colspan={5}>
          {isFailed ? <ErrorDetails job={job} /> : null}
          {hasParts ? <PartsPanel job={job} /> : null}
        </div>
      ) : null}
    </div>
  );
});
