import { destinationLabel } from '../format/provider-names.js';
import { useApp, useAppState } from './app-context.js';

/** Where "Add files…" and drops send files; shown only when there is a choice. */
export function UploadTarget() {
  const { actions } = useApp();
  const destinations = useAppState((s) => s.destinations);
  const defaultName = useAppState((s) => s.settings.defaultDestination);
  const target = useAppState((s) => s.uploadTarget);
  if (destinations.length < 2) return null;
  return (
    <label className="upload-target">
      <span className="upload-target-label">Upload to</span>
      <select className="select" value={target ?? ''} onChange={(event) => actions.setUploadTarget(event.target.value === '' ? null : event.target.value)}>
        <option value="">{destinationLabel(defaultName)} (default)</option>
        {destinations
          .filter((d) => d.name !== defaultName)
          .map((d) => (
            <option key={d.name} value={d.name}>
              {d.name}
            </option>
          ))}
      </select>
    </label>
  );
}
