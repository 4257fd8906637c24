import { useId, useState, type FormEvent } from 'react';
import type { ProviderKind } from '../../../preload/contract/index.js';
import { useApp } from '../../app/app-context.js';
import { PROVIDER_TITLES } from '../../format/provider-names.js';
import { messageOf } from '../../store/actions.js';
import { Field } from '../../ui/Field.js';
import { AUTH_LABELS, PROVIDER_FORMS, destinationInput, type AuthMode } from './provider-fields.js';

const PROVIDERS: readonly ProviderKind[] = ['graph', 'box', 'apideck', 'tus', 's3'];

/** "Add destination": the fields of the chosen provider, errors from main next to the form. */
export function DestinationForm({ onDone }: { onDone: () => void }) {
  const { actions } = useApp();
  const nameId = useId();
  const [provider, setProvider] = useState<ProviderKind>('graph');
  const form = PROVIDER_FORMS[provider];
  const modes = Object.keys(form.auth) as AuthMode[];
  const [mode, setMode] = useState<AuthMode>(modes[0]!);
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const activeMode = modes.includes(mode) ? mode : modes[0]!;

  const chooseProvider = (next: ProviderKind) => {
    setProvider(next);
    setMode((Object.keys(PROVIDER_FORMS[next].auth) as AuthMode[])[0]!);
    setError(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const added = await actions.bridge.addDestination(destinationInput(name, provider, activeMode, values));
      onDone();
      if (added.auth.kind === 'sign-in' && !added.auth.isSignedIn) void actions.startSignIn(added.name);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card dest-form" aria-label="Add destination" onSubmit={(event) => void submit(event)} noValidate>
      <h2 className="card-title">Add destination</h2>
      <fieldset className="choice">
        <legend>Provider</legend>
        <div className="segmented">
          {PROVIDERS.map((kind) => (
            <label key={kind} className="segment">
              <input type="radio" name="provider" value={kind} checked={provider === kind} onChange={() => chooseProvider(kind)} />
              <span>{PROVIDER_TITLES[kind]}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={nameId}>Name</label>
          <input id={nameId} className="input" required value={name} onChange={(event) => setName(event.target.value)} placeholder="work-onedrive" spellCheck={false} autoComplete="off" />
        </div>
        {form.fields.map((spec) => (
          <Field key={`${provider}-${spec.key}`} spec={spec} value={values[spec.key]} onChange={(value) => setValues((v) => ({ ...v, [spec.key]: value }))} />
        ))}
      </div>
      <fieldset className="choice">
        <legend>Authentication</legend>
        <div className="radios">
          {modes.map((option) => (
            <label key={option} className="radio">
              <input type="radio" name="auth-mode" value={option} checked={activeMode === option} onChange={() => setMode(option)} />
              {AUTH_LABELS[option]}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="form-grid">
        {(form.auth[activeMode] ?? []).map((spec) => (
          <Field key={`${provider}-${activeMode}-${spec.key}`} spec={spec} value={values[spec.key]} onChange={(value) => setValues((v) => ({ ...v, [spec.key]: value }))} />
        ))}
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
          {isBusy ? 'Adding…' : 'Add destination'}
        </button>
      </div>
    </form>
  );
}
