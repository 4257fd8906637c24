import { useState } from 'react';
import { useApp, useAppState } from '../../app/app-context.js';
import { Dialog } from '../../ui/Dialog.js';
import { PlusIcon } from '../../ui/icons.js';
import { DestinationForm } from './DestinationForm.js';
import { DestinationItem } from './DestinationItem.js';
import './destinations.css';

/** Configured destinations, adding one, signing in, choosing the default. */
export function DestinationsScreen() {
  const { actions } = useApp();
  const destinations = useAppState((s) => s.destinations);
  const [isAdding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<string | null>(null);

  const remove = async (name: string) => {
    setRemoving(null);
    await actions.run(`Could not remove ${name}`, () => actions.bridge.removeDestination(name));
  };

  return (
    <section className="page" aria-labelledby="destinations-title">
      <div className="page-head">
        <div>
          <h1 id="destinations-title" className="page-title">
            Destinations
          </h1>
          <p className="page-lead">Where uploads go. Files added without a choice go to the default one.</p>
        </div>
        {isAdding ? null : (
          <button type="button" className="button button-primary" onClick={() => setAdding(true)}>
            <PlusIcon />
            Add destination
          </button>
        )}
      </div>
      {isAdding ? <DestinationForm onDone={() => setAdding(false)} /> : null}
      {destinations.length === 0 ? (
        <p className="empty-note">No destinations yet. Files go to the built-in <strong>local</strong> destination until you add one.</p>
      ) : (
        <ul className="card dest-list" aria-label="Destinations">
          {destinations.map((destination) => (
            <DestinationItem key={destination.name} destination={destination} onRemove={() => setRemoving(destination.name)} />
          ))}
        </ul>
      )}
      {removing !== null ? (
        <Dialog
          title={`Remove ${removing}?`}
          onClose={() => setRemoving(null)}
          actions={
            <>
              <button type="button" className="button" onClick={() => setRemoving(null)} autoFocus>
                Keep it
              </button>
              <button type="button" className="button button-danger" onClick={() => void remove(removing)}>
                Remove destination
              </button>
            </>
          }
        >
          <p>Hoist forgets {removing} and deletes its stored token. Uploads still queued to it will fail until you add it again.</p>
        </Dialog>
      ) : null}
    </section>
  );
}
