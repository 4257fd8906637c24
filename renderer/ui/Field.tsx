import { useId } from 'react';
import type { FieldSpec } from '../features/destinations/provider-fields.js';

interface FieldProps {
  spec: FieldSpec;
  value: string | boolean | undefined;
  onChange: (value: string | boolean) => void;
}

/** A labelled input of a form, its hint tied to it as its description. */
export function Field({ spec, value, onChange }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const describedBy = spec.hint !== undefined ? hintId : undefined;
  if (spec.kind === 'checkbox') {
    return (
      <div className="field field-checkbox">
        <input id={id} type="checkbox" checked={value === true} onChange={(event) => onChange(event.target.checked)} aria-describedby={describedBy} />
        <label htmlFor={id}>{spec.label}</label>
        {spec.hint !== undefined ? <p id={hintId} className="field-hint">{spec.hint}</p> : null}
      </div>
    );
  }
  const text = typeof value === 'string' ? value : '';
  return (
    <div className="field">
      <label htmlFor={id}>
        {spec.label}
        {spec.isRequired ? null : <span className="field-optional"> (optional)</span>}
      </label>
      {spec.kind === 'select' ? (
        <select id={id} className="select" value={text} onChange={(event) => onChange(event.target.value)} aria-describedby={describedBy}>
          <option value="">Provider default</option>
          {spec.options?.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          className="input"
          type={spec.kind === 'number' ? 'text' : spec.kind}
          inputMode={spec.kind === 'number' ? 'numeric' : undefined}
          autoComplete={spec.kind === 'password' ? 'new-password' : 'off'}
          spellCheck={false}
          required={spec.isRequired}
          placeholder={spec.placeholder}
          value={text}
          onChange={(event) => onChange(event.target.value)}
          aria-describedby={describedBy}
        />
      )}
      {spec.hint !== undefined ? <p id={hintId} className="field-hint">{spec.hint}</p> : null}
    </div>
  );
}
