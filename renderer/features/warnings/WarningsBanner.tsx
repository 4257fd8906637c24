import { useMemo } from 'react';
import type { WarningView } from '../../../preload/contract/index.js';
import { useApp, useAppState } from '../../app/app-context.js';
import { bannerWarnings, sameKindCount, warningText } from '../../format/warning-words.js';
import { AttentionIcon } from '../../ui/icons.js';
import './warnings.css';

function Warning({ warning, moreOfKind }: { warning: WarningView; moreOfKind: number }) {
  const { actions } = useApp();
  const nowMs = useAppState((s) => s.nowMs);
  const jobState = useAppState((s) => s.jobs[warning.jobId]?.state);
  const text = warningText(warning, nowMs, jobState);
  const resumeLabel = warning.kind === 'session-expiring' ? 'Resume now' : 'Resume';
  const canResume = jobState === 'paused' && (warning.kind === 'session-expiring' || warning.restartReason === null);
  return (
    <div className={`warning warning-${warning.kind}`}>
      <span className="warning-icon">
        <AttentionIcon />
      </span>
      <p className="warning-text">
        {text}
        {moreOfKind > 0 ? <span className="warning-more"> ({moreOfKind} more like this)</span> : null}
      </p>
      <div className="warning-actions">
        {canResume ? (
          <button type="button" className="button button-small button-primary" onClick={() => void actions.resume([warning.jobId])}>
            {resumeLabel}
          </button>
        ) : null}
        <button type="button" className="button button-small button-quiet" aria-label={`Dismiss warning about ${warning.jobName}`} onClick={() => actions.dismissWarning(warning.id)}>
          Dismiss
        </button>
      </div>
    </div>
  );
}

/** One banner per warning kind, the most pressing first, at most three; each with the action that fixes it. */
export function WarningsBanner() {
  const warnings = useAppState((s) => s.warnings);
  const dismissedList = useAppState((s) => s.dismissedWarnings);
  const dismissed = useMemo(() => new Set(dismissedList), [dismissedList]);
  const shown = useMemo(() => bannerWarnings(warnings, dismissed), [warnings, dismissed]);
  if (shown.length === 0) return null;
  return (
    <section className="warnings" aria-label="Warnings">
      {shown.map((warning) => (
        <Warning key={warning.id} warning={warning} moreOfKind={sameKindCount(warnings, dismissed, warning.kind) - 1} />
      ))}
    </section>
  );
}
