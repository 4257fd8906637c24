import { useState } from 'react';
import type { WatchView } from '../../../preload/contract/index.js';
import { useApp, useAppState } from '../../app/app-context.js';
import { formatCount } from '../../format/bytes.js';
import { Dialog } from '../../ui/Dialog.js';
import { PlusIcon } from '../../ui/icons.js';
import { WATCH_STATUS_WORDS } from './watch-words.js';
import { WatchForm } from './WatchForm.js';
import './watches.css';

function WatchItem({ watch, onRemove }: { watch: WatchView; onRemove: () => void }) {
  const { actions } = useApp();
  const status = WATCH_STATUS_WORDS[watch.status];
  const { uploaded, toUpload, failed } = watch.counts;
  const toggle = () =>
    void actions.run(`Could not ${watch.isPaused ? 'resume' : 'pause'} watching ${watch.dir}`, () => (watch.isPaused ? actions.bridge.resumeWatch(watch.id) : actions.bridge.pauseWatch(watch.id)));
  return (
    <li className="watch-item" aria-label={watch.dir}>
      <div className="watch-main">
        <div className="watch-dir" title={watch.dir}>
          {watch.dir}
        </div>
        <div className="watch-meta">
          to {watch.destination}:{watch.remoteDir} · <span className={`tone-${status.tone}`}>{status.text}</span>
          {watch.ignorePatterns.length > 0 ? ` · ignores ${watch.ignorePatterns.join(', ')}` : ''}
          {watch.includeHidden ? ' · includes hidden files' : ''}
        </div>
        {watch.statusMessage !== null ? <p className="watch-note">{watch.statusMessage}</p> : null}
      </div>
      <dl className="watch-counts">
        <div>
          <dt>uploaded</dt>
          <dd>{formatCount(uploaded)}</dd>
        </div>
        <div>
          <dt>to upload</dt>
          <dd>{formatCount(toUpload)}</dd>
        </div>
        <div className={failed > 0 ? 'tone-error' : undefined}>
          <dt>failed</dt>
          <dd>{formatCount(failed)}</dd>
        </div>
      </dl>
      <div className="watch-actions">
        <button type="button" className="button button-small" aria-label={`${watch.isPaused ? 'Resume' : 'Pause'} ${watch.dir}`} onClick={toggle}>
          {watch.isPaused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="button button-small button-quiet" aria-label={`Remove ${watch.dir}`} onClick={onRemove}>
          Remove
        </button>
      </div>
    </li>
  );
}

/** Folders whose files (and later changes) upload by themselves. */
export function WatchesScreen() {
  const { actions } = useApp();
  const watches = useAppState((s) => s.watches);
  const [isAdding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<WatchView | null>(null);
  const remove = async (watch: WatchView) => {
    setRemoving(null);
    await actions.run(`Could not stop watching ${watch.dir}`, () => actions.bridge.removeWatch(watch.id));
  };
  return (
    <section className="page" aria-labelledby="watches-title">
      <div className="page-head">
        <div>
          <h1 id="watches-title" className="page-title">
            Watched folders
          </h1>
          <p className="page-lead">New and changed files in these folders upload by themselves.</p>
        </div>
        {isAdding ? null : (
          <button type="button" className="button button-primary" onClick={() => setAdding(true)}>
            <PlusIcon />
            Add folder
          </button>
        )}
      </div>
      {isAdding ? <WatchForm onDone={() => setAdding(false)} /> : null}
      {watches.length === 0 ? (
        <p className="empty-note">No watched folders yet.</p>
      ) : (
        <ul className="card watch-list" aria-label="Watched folders">
          {watches.map((watch) => (
            <WatchItem key={watch.id} watch={watch} onRemove={() => setRemoving(watch)} />
          ))}
        </ul>
      )}
      {removing !== null ? (
        <Dialog
          title={`Stop watching ${removing.dir}?`}
          onClose={() => setRemoving(null)}
          actions={
            <>
              <button type="button" className="button" onClick={() => setRemoving(null)} autoFocus>
                Keep watching
              </button>
              <button type="button" className="button button-danger" onClick={() => void remove(removing)}>
                Stop watching
              </button>
            </>
          }
        >
          <p>New files in this folder will no longer upload. Uploads already queued continue.</p>
        </Dialog>
      ) : null}
    </section>
  );
}
