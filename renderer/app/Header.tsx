import { formatSpeed } from '../format/bytes.js';
import { formatRoughDuration } from '../format/time.js';
import { PauseIcon, PlayIcon, PlusIcon } from '../ui/icons.js';
import { useApp, useAppState } from './app-context.js';
import { PauseForMenu } from './PauseForMenu.js';
import { UploadTarget } from './UploadTarget.js';

/** "Uploading 3 of 12 · 42.1 MB/s · about 6 min left · limit 5.0 MB/s": the app state, then live numbers. */
function SummarySentence() {
  const summary = useAppState((s) => (s.isLoaded ? s.appState.summary : 'Connecting to Hoist…'));
  const bytesPerSec = useAppState((s) => (s.groups.uploading.length > 0 ? s.totals.bytesPerSec : 0));
  const etaSec = useAppState((s) => (s.groups.uploading.length > 0 ? s.totals.etaSec : null));
  const limit = useAppState((s) => s.appState.bandwidthLimitBytesPerSec);
  const details = [
    { key: 'speed', text: bytesPerSec > 0 ? formatSpeed(bytesPerSec) : null },
    { key: 'eta', text: etaSec !== null && bytesPerSec > 0 ? `${formatRoughDuration(etaSec)} left` : null },
    { key: 'limit', text: limit !== null ? `limit ${formatSpeed(limit)}` : null },
  ].filter((part) => part.text !== null);
  return (
    <p className="summary">
      <span className="summary-main">{summary}</span>
      {details.length > 0 ? (
        <span className="summary-details">
          {details.map((detail, index) => (
            <span key={detail.key} className="summary-detail">
              {/* The sentence reads on with " · "; the line break stands for the first one on screen. */}
              <span className={index === 0 ? 'visually-hidden' : undefined}>{' · '}</span>
              {detail.text}
            </span>
          ))}
        </span>
      ) : null}
    </p>
  );
}

/** The summary sentence and the primary actions. */
export function Header() {
  const { actions, chooseFiles } = useApp();
  const canPause = useAppState((s) => s.groups.uploading.length + s.groups.queued.length > 0);
  const canResume = useAppState((s) => s.groups.paused.length > 0 || s.appState.pausedUntilMs !== null);
  return (
    <header className="header">
      <SummarySentence />
      <div className="header-actions">
        <UploadTarget />
        <button type="button" className="button button-primary" onClick={chooseFiles} aria-keyshortcuts="Control+O Meta+O">
          <PlusIcon />
          Add files…
        </button>
        <div className="split-button">
          <button type="button" className="button" onClick={() => void actions.pause('all')} disabled={!canPause} aria-keyshortcuts="Control+P Meta+P">
            <PauseIcon />
            Pause all
          </button>
          <PauseForMenu disabled={!canPause} />
        </div>
        <button type="button" className="button" onClick={() => void actions.resume('all')} disabled={!canResume}>
          <PlayIcon />
          Resume all
        </button>
      </div>
    </header>
  );
}
