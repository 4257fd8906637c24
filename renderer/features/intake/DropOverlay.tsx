import { useAppState } from '../../app/app-context.js';
import { destinationLabel } from '../../format/provider-names.js';
import { UploadCloudIcon } from '../../ui/icons.js';
import './intake.css';

/** While files are dragged over the window, the whole content area says where a drop sends them. */
export function DropOverlay() {
  const target = useAppState((s) => s.uploadTarget ?? s.settings.defaultDestination);
  return (
    <div className="drop-overlay" aria-hidden="true">
      <div className="drop-overlay-frame">
        <div className="drop-overlay-card">
          <UploadCloudIcon size={48} />
          <p>Drop to upload to {destinationLabel(target)}</p>
        </div>
      </div>
    </div>
  );
}
