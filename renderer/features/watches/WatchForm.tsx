import { useId, useState, type FormEvent } from 'react';
import { useApp, useAppState } from '../../app/app-context.js';
import { destinationLabel } from '../../format/provider-names.js';
import { messageOf } from '../../store/actions.js';
import { parsePatterns } from './watch-words.js';

/** "Add folder": a folder on the machine running Hoist (typed: a browser tab cannot browse that disk). */
export function WatchForm({ onDone }: { onDone: () => void }) {
  const { actions } = useApp();
  const id = useId();
  const destinations = useAppState((s) => s.destinations);
  const defaultDestination = useAppState((s) => s.settings.defaultDestination);
  const [dir, setDir] = useState('');
  const [destination, setDestination] = useState(defaultDestination ?? destinations[0]?.name ?? 'local');
  const [remoteDir, setRemoteDir] = useState('');
  const [patterns, setPatterns] = useState('');
  const [includeHidden, setIncludeHidden] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await actions.bridge.addWatch({
        dir: dir.trim(),
        destination,
        ...(remoteDir.trim() !== '' ? { remoteDir: remoteDir.trim() } : {}),
        ignorePatterns: parsePatterns(patterns),
        includeHidden,
      });
      onDone();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const names = destinations.length > 0 ? destinations.map((d) => d.name) : [destinationLabel(null)];
  return (
    <form className="card watch-form" aria-label="Add folder" onSubmit={(event) => void submit(event)} noValidate>
      <h2 className="card-title">Watch a folder</h2>
      <div className="form-grid">
        <div className="field field-wide">
          <label htmlFor={`${id}-dir`}>Folder</label>
          <input id={`${id}-dir`} className="input" required value={dir} onChange={(e) => setDir(e.target.value)} placeholder="/home/me/Videos" spellCheck={false} aria-describedby={`${id}-dir-hint`} />
          <p id={`${id}-dir-hint`} className="field-hint">
            The absolute path of a folder on the machine running Hoist.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-dest`}>Destination</label>
          <select id={`${id}-dest`} className="select" value={destination} onChange={(e) => setDestination(e.target.value)}>
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-remote`}>
            Remote folder<span className="field-optional"> (optional)</span>
          </label>
          <input id={`${id}-remote`} className="input" value={remoteDir} onChange={(e) => setRemoteDir(e.target.value)} placeholder="/" spellCheck={false} />
        </div>
        <div className="field field-wide">
          <label htmlFor={`${id}-ignore`}>
            Ignore patterns<span className="field-optional"> (optional)</span>
          </label>
          <textarea id={`${id}-ignore`} className="input textarea" rows={3} value={patterns} onChange={(e) => setPatterns(e.target.value)} placeholder={'*.tmp\nnode_modules/'} spellCheck={false} aria-describedby={`${id}-ignore-hint`} />
          <p id={`${id}-ignore-hint`} className="field-hint">
            One per line, as in .gitignore.
          </p>
        </div>
        <div className="field field-checkbox field-wide">
          <input id={`${id}-hidden`} type="checkbox" checked={includeHidden} onChange={(e) => setIncludeHidden(e.target.checked)} />
          <label htmlFor={`${id}-hidden`}>Include hidden files</label>
        </div>
      </div>
      {error !== null ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={isBusy}>
          {isBusy ? 'Adding…' : 'Watch folder'}
        </button>
      </div>
    </form>
  );
}
