import { useApp, useAppState } from '../../app/app-context.js';
import { destinationLabel } from '../../format/provider-names.js';
import { UploadCloudIcon } from '../../ui/icons.js';

/** Nothing queued: a large drop zone that names where files will go. */
export function EmptyQueue() {
  const { actions, chooseFiles } = useApp();
  const target = useAppState((s) => s.uploadTarget ?? s.settings.defaultDestination);
  return (
    <div className="empty-queue">
      <div className="drop-zone">
        <UploadCloudIcon size={56} />
        <p className="drop-zone-title">Drop files here, or watch a folder</p>
        <p className="drop-zone-hint">
          Files go to <strong>{destinationLabel(target)}</strong>
          {target === null ? ' (the built-in destination on this machine)' : ''}.
        </p>
        <div className="drop-zone-actions">
          <button type="button" className="button button-primary" onClick={chooseFiles}>
            Choose files…
          </button>
          <button type="button" className="button" onClick={() => actions.setScreen('watches')}>
            Watch a folder…
          </button>
        </div>
      </div>
    </div>
  );
}
