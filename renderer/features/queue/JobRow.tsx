import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useApp, useAppState } from '../../app/app-context.js';
import { percentOf } from '../../format/bytes.js';
import { folderOf, isClockDependent, jobStateWords } from '../../format/job-words.js';
import { startOfDayMs } from '../../format/time.js';
import { rowWarningText } from '../../format/warning-words.js';
import type { AppState } from '../../store/ui-state.js';
import { ChevronIcon } from '../../ui/icons.js';
import { ProgressBar } from '../../ui/ProgressBar.js';
import { PartsPanel } from '../parts/PartsPanel.js';
import { ErrorDetails } from './ErrorDetails.js';
import { doneBytesOf, jobNumbers } from './job-numbers.js';
import { RowActions } from './RowActions.js';
import './job-row.css';

interface JobRowProps {
  id: number;
  /** Position in the list (data-index, read by the virtualizer's measuring) and 1-based line number (aria-rowindex). */
  index: number;
  /** Offset from the top of the list, in px. */
  startPx: number;
  isActive: boolean;
  /** The virtualizer's measuring ref (stable). */
  measure: (element: HTMLElement | null) => void;
}

const BAR_TONE = { active: 'active', waiting: 'muted', warning: 'warning', error: 'error', done: 'done', muted: 'muted' } as const;

/**
 * What a row reads from the store, in one subscription. The clock only for words that count down, and for finished
 * ones only the day ("finished 14:02" gains a date at midnight), so a row in view re-renders once a second only when
 * its words change that often.
 */
function rowSlice(s: AppState, id: number) {
  const job = s.jobs[id];
  const live = job?.state === 'running' ? s.live[id] : undefined;
  const nowMs = job === undefined ? 0 : isClockDependent(job) ? s.nowMs : job.state === 'done' ? startOfDayMs(s.nowMs) : 0;
  const warning = s.warnings.length === 0 ? undefined : s.warnings.find((w) => w.jobId === id);
  return [job, live, nowMs, id in s.expanded, warning, warning === undefined ? 0 : s.nowMs] as const;
}

/**
 * One upload, positioned in the list by itself (no wrapper: fewer elements per row while scrolling). It reads its own
 * job and live numbers from the store by id, so a progress tick re-renders the rows whose numbers changed and no
 * others; the list never re-creates rows on a tick.
 */
export const JobRow = memo(function JobRow({ id, index, startPx, isActive, measure }: JobRowProps) {
  const { actions } = useApp();
  const [job, live, nowMs, isExpanded, warning, clockMs] = useAppState(useShallow((s: AppState) => rowSlice(s, id)));
  if (job === undefined) return null;

  const words = jobStateWords(job, live, nowMs);
  const done = doneBytesOf(job, live);
  const isFailed = job.state === 'failed';
  const hasParts = job.partsTotal > 1 && job.state !== 'done' && job.state !== 'cancelled';
  const canExpand = isFailed || hasParts;
  const disclosure = isFailed ? `Show error of ${job.name}` : `Show parts of ${job.name}`;

  return (
    <div
      ref={measure}
      role="row"
      aria-rowindex={index + 1}
      aria-label={`${job.name}, ${words.label}`}
      className={`queue-line job-row${isExpanded ? ' is-expanded' : ''}`}
      style={{ transform: `translateY(${startPx}px)` }}
      tabIndex={isActive ? 0 : -1}
      data-index={index}
      data-job-id={id}
    >
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
