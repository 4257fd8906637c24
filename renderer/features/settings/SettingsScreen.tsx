import { useEffect, useId, useState } from 'react';
import type { SettingsPatch, ThemeView } from '../../../preload/contract/index.js';
import { useApp, useAppState } from '../../app/app-context.js';
import { messageOf } from '../../store/actions.js';
import { useExportDiagnostics } from './use-export-diagnostics.js';
import './settings.css';

const THEMES: ReadonlyArray<[ThemeView, string]> = [
  ['system', 'System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

/** A whole number typed in, saved when it is valid and the field is left. */
function NumberSetting({ label, hint, value, min, max, onSave }: { label: string; hint: string; value: number; min: number; max: number; onSave: (n: number) => void }) {
  const id = useId();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const parsed = Number(text);
  const isValid = Number.isInteger(parsed) && parsed >= min && parsed <= max;
  const save = () => {
    if (isValid && parsed !== value) onSave(parsed);
    else if (!isValid) setText(String(value));
  };
  return (
    <div className="setting">
      <label htmlFor={id} className="setting-label">
        {label}
      </label>
      <div className="setting-control">
        <input
          id={id}
          className="input input-number"
          type="number"
          min={min}
          max={max}
          value={text}
          aria-invalid={!isValid}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setText(e.target.value)}
          onBlur={save}
          onKeyDown={(e) => e.key === 'Enter' && save()}
        />
        <p id={`${id}-hint`} className={isValid ? 'field-hint' : 'field-hint tone-error'}>
          {isValid ? hint : `Enter a whole number from ${min} to ${max}.`}
        </p>
      </div>
    </div>
  );
}

/** A line of text saved when the field is left or Enter is pressed; main judges it and says what is wrong. */
function TextSetting({ label, hint, value, onSave }: { label: string; hint: string; value: string; onSave: (text: string) => Promise<boolean> }) {
  const id = useId();
  const [text, setText] = useState(value);
  const [isRefused, setRefused] = useState(false);
  useEffect(() => setText(value), [value]);
  const save = async () => {
    const trimmed = text.trim();
    if (trimmed === value) return setRefused(false);
    setRefused(!(await onSave(trimmed === '' ? 'off' : trimmed)));
  };
  return (
    <div className="setting">
      <label htmlFor={id} className="setting-label">
        {label}
      </label>
      <div className="setting-control">
        <input
          id={id}
          className="input"
          type="text"
          spellCheck={false}
          value={text}
          aria-invalid={isRefused}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => void save()}
          onKeyDown={(e) => e.key === 'Enter' && void save()}
        />
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      </div>
    </div>
  );
}

/** Settings stored by main (shared by every window), plus the log and diagnostics. */
export function SettingsScreen() {
  const { actions, store } = useApp();
  const settings = useAppState((s) => s.settings);
  const destinations = useAppState((s) => s.destinations);
  const exportDiagnostics = useExportDiagnostics();
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState(false);
  const id = useId();

  // Shown at once (a radio that waits for main to answer feels broken); main's answer, or the old value, wins.
  const save = async (patch: SettingsPatch): Promise<boolean> => {
    setError(null);
    const before = store.getState().settings;
    store.setState({ settings: { ...before, ...patch } });
    try {
      store.setState({ settings: await actions.bridge.updateSettings(patch) });
      return true;
    } catch (failure) {
      store.setState({ settings: before });
      setError(messageOf(failure));
      return false;
    }
  };

  return (
    <section className="page" aria-labelledby="settings-title">
      <div className="page-head">
        <h1 id="settings-title" className="page-title">
          Settings
        </h1>
      </div>
      {error !== null ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <h2 className="settings-heading">Uploads</h2>
      <div className="card settings-card">
        <NumberSetting label="Files at once" hint="How many files upload at the same time (1–16)." value={settings.filesAtOnce} min={1} max={16} onSave={(n) => void save({ filesAtOnce: n })} />
        <div className="setting">
          <label htmlFor={`${id}-default`} className="setting-label">
            Default destination
          </label>
          <div className="setting-control">
            <select id={`${id}-default`} className="select" value={settings.defaultDestination ?? ''} onChange={(e) => void save({ defaultDestination: e.target.value === '' ? null : e.target.value })}>
              <option value="">local (built in)</option>
              {destinations.filter((d) => d.name !== 'local').map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name}
                </option>
              ))}
            </select>
            <p className="field-hint">Where files go when you add them without choosing.</p>
          </div>
        </div>
        <NumberSetting
          label="Warning window (minutes)"
          hint="How long before a paused upload’s session expires Hoist warns you."
          value={settings.warningWindowMin}
          min={1}
          max={1440}
          onSave={(n) => void save({ warningWindowMin: n })}
        />
        <div className="setting" role="radiogroup" aria-labelledby={`${id}-theme`}>
          <span id={`${id}-theme`} className="setting-label">
            Theme
          </span>
          <div className="setting-control">
            <div className="segmented">
              {THEMES.map(([theme, label]) => (
                <label key={theme} className="segment">
                  <input type="radio" name="theme" value={theme} checked={settings.theme === theme} onChange={() => void save({ theme })} />
                  <span>{label}</span>
                </label>
              ))}
            </div>
          </div>
        </div>
      </div>
      <h2 className="settings-heading">Network</h2>
      <div className="card settings-card">
        <TextSetting
          label="Upload speed limit"
          hint="A rate such as 512K, 3M or 1.5G (bytes a second), off, or a timetable: 08:00,1M 18:00,off. Applies at once."
          value={settings.bandwidthLimit}
          onSave={(bandwidthLimit) => save({ bandwidthLimit })}
        />
        <NumberSetting
          label="Stall timeout (seconds)"
          hint="A request that moves no byte for this long is dropped and resumed from what the server holds."
          value={settings.stallTimeoutSec}
          min={1}
          max={3600}
          onSave={(n) => void save({ stallTimeoutSec: n })}
        />
        <div className="setting">
          <span className="setting-label" id={`${id}-keepalive`}>
            Paused OneDrive uploads
          </span>
          <div className="setting-control">
            <label className="checkbox">
              <input
                type="checkbox"
                aria-describedby={`${id}-keepalive-hint`}
                checked={settings.keepPausedSessionsAlive}
                onChange={(e) => void save({ keepPausedSessionsAlive: e.target.checked })}
              />
              <span>Keep their sessions alive</span>
            </label>
            <p id={`${id}-keepalive-hint`} className="field-hint">
              Sends one small piece before a paused upload’s session would lapse, so resuming after a long pause sends nothing twice. OneDrive
              still ends every session 24 hours after it began.
            </p>
          </div>
        </div>
      </div>
      <h2 className="settings-heading">Help</h2>
      <div className="card settings-card">
        <div className="setting">
          <span className="setting-label">Troubleshooting</span>
          <div className="setting-control setting-buttons">
            <button type="button" className="button" onClick={() => void actions.openLog()}>
              Open log
            </button>
            <button type="button" className="button" onClick={() => void exportDiagnostics().then(setExported)}>
              Export diagnostics
            </button>
            <p className="field-hint">{exported ? 'Saved to your downloads.' : 'The event log and versions as a text file, without any token.'}</p>
          </div>
        </div>
      </div>
    </section>
  );
}
