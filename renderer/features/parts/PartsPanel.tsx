import { useEffect, useMemo } from 'react';
import type { JobView, PartsView } from '../../../preload/contract/index.js';
import { useApp, useAppState } from '../../app/app-context.js';
import { formatBytes } from '../../format/bytes.js';
import { formatClock } from '../../format/time.js';
import { PartStrip } from './PartStrip.js';
import { partsSummary, resentBytes } from './part-ranges.js';
import './parts.css';

function SessionLine({ job, view }: { job: JobView; view: PartsView }) {
  const nowMs = useAppState((s) => s.nowMs);
  const items: string[] = [];
  if (job.expiry !== null) {
    items.push(`session expires ${formatClock(job.expiry.expiresAtMs, nowMs)}${job.expiry.isSliding ? ' (extends with each part)' : ''}`);
  }
  items.push(partsSummary(view.parts));
  items.push(`re-sent ${formatBytes(resentBytes(job.bytesSentTotal, job.ackedBytes, view.parts))}`);
  if (job.restartReason !== null) items.push(`started over${job.sessionLostAtMs !== null ? ` at ${formatClock(job.sessionLostAtMs, nowMs)}` : ''}: ${job.restartReason}`);
  return <p className="session-line">{items.join(' · ')}</p>;
}

function Legend() {
  const entries = [
    ['done', 'done'],
    ['sending', 'sending'],
    ['pending', 'pending'],
    ['failed', 'failed'],
  ] as const;
  return (
    <ul className="part-legend" aria-label="Legend">
      {entries.map(([state, word]) => (
        <li key={state}>
          <span className={`part part-${state} part-legend-swatch`} aria-hidden="true">
            <span className="part-fill" />
          </span>
          {word}
        </li>
      ))}
    </ul>
  );
}

/**
 * The expanded row: the part strip, its legend and the session line. Holding the panel holds the job's parts: main
 * sends `partsChanged` only while it is shown, and again after a reconnect (the epoch).
 */
export function PartsPanel({ job }: { job: JobView }) {
  const { actions } = useApp();
  const epoch = useAppState((s) => s.epoch);
  const view = useAppState((s) => s.parts[job.id]);
  useEffect(() => {
    void actions.holdParts(job.id);
    return () => actions.letGoOfParts(job.id);
  }, [actions, job.id, epoch]);
  const parts = view?.parts;
  const hasRetry = useMemo(() => parts?.some((p) => p.state === 'failed' && p.retryAtMs !== null) ?? false, [parts]);

  if (view === undefined || view === null) return <p className="parts-note">Reading the parts…</p>;
  if (view.parts.length === 0) return <p className="parts-note">No parts yet: the upload plans them when it starts.</p>;
  return (
    <div className="parts-panel">
      <PartStrip name={job.name} parts={view.parts} followClock={hasRetry} />
      <div className="parts-footer">
        <SessionLine job={job} view={view} />
        <Legend />
      </div>
    </div>
  );
}
