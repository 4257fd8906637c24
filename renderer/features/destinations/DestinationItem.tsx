import type { DestinationView } from '../../../preload/contract/index.js';
import { useApp, useAppState } from '../../app/app-context.js';
import { PROVIDER_TITLES } from '../../format/provider-names.js';
import { authWords, endpointHost, storesSecret } from './destination-words.js';

/** One destination: what it is, whether it can upload, and what can be done with it. */
export function DestinationItem({ destination, onRemove }: { destination: DestinationView; onRemove: () => void }) {
  const { actions } = useApp();
  const signIn = useAppState((s) => s.signIns[destination.name]);
  const auth = authWords(destination.auth);
  const name = destination.name;
  return (
    <li className="dest-item" aria-label={name}>
      <div className="dest-main">
        <div className="dest-title">
          <span className="dest-name">{name}</span>
          {destination.isDefault ? <span className="badge">Default</span> : null}
        </div>
        <div className="dest-meta">
          {PROVIDER_TITLES[destination.provider]} · {endpointHost(destination)} ·{' '}
          <span className={auth.isProblem ? 'tone-warning' : undefined}>{auth.text}</span>
        </div>
        {signIn !== undefined && signIn.state === 'failed' ? <p className="dest-note tone-error">Sign-in failed: {signIn.message}</p> : null}
        {!destination.isEncryptedAtRest && storesSecret(destination.auth) ? (
          <p className="dest-note">Its token is kept in a file only you can read (not encrypted by an OS keychain).</p>
        ) : null}
      </div>
      <div className="dest-actions">
        {destination.auth.kind === 'sign-in' ? (
          <button
            type="button"
            className={destination.auth.isSignedIn ? 'button button-small' : 'button button-small button-primary'}
            aria-label={destination.auth.isSignedIn ? `Sign in again to ${name}` : `Sign in to ${name}`}
            onClick={() => void actions.startSignIn(name)}
          >
            {destination.auth.isSignedIn ? 'Sign in again' : 'Sign in'}
          </button>
        ) : null}
        {destination.isDefault ? null : (
          <button type="button" className="button button-small" aria-label={`Make default: ${name}`} onClick={() => void actions.updateSettings({ defaultDestination: name })}>
            Make default
          </button>
        )}
        <button type="button" className="button button-small button-quiet" aria-label={`Remove ${name}`} onClick={onRemove}>
          Remove
        </button>
      </div>
    </li>
  );
}
