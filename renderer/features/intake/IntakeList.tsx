import { useApp, useAppState } from '../../app/app-context.js';
import { formatBytesOf, percentOf } from '../../format/bytes.js';
import { CloseIcon } from '../../ui/icons.js';
import { ProgressBar } from '../../ui/ProgressBar.js';
import { dismissIntake } from './use-file-intake.js';
import './intake.css';

/** Files still streaming into main from this tab ("Receiving film.mov — 42 %"), and the ones that failed. */
export function IntakeList() {
  const { store } = useApp();
  const intake = useAppState((s) => s.intake);
  const items = Object.values(intake);
  if (items.length === 0) return null;
  return (
    <section className="intake" aria-label="Files being received">
      <ul className="intake-list">
        {items.map((item) => (
          <li key={item.key} className={item.error === null ? 'intake-item' : 'intake-item is-failed'}>
            {item.error === null ? (
              <>
                <span className="intake-text">
                  Receiving <strong>{item.name}</strong> — {percentOf(item.sentBytes, item.sizeBytes)} %
                </span>
                <ProgressBar label={`Receiving ${item.name}`} doneBytes={item.sentBytes} totalBytes={item.sizeBytes} tone="active" />
                <span className="intake-bytes">{formatBytesOf(item.sentBytes, item.sizeBytes)}</span>
              </>
            ) : (
              <>
                <span className="intake-text" role="alert">
                  Could not receive <strong>{item.name}</strong>: {item.error}
                </span>
                <button type="button" className="icon-button" aria-label={`Dismiss ${item.name}`} data-tip="Dismiss" onClick={() => dismissIntake(store, item.key)}>
                  <CloseIcon />
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
