import { useAppState } from './app-context.js';

/** Said once the window has lost main: what it shows may be out of date until it reconnects. */
export function ConnectionLine() {
  const connection = useAppState((s) => s.connection);
  const isLoaded = useAppState((s) => s.isLoaded);
  if (connection === 'open' || !isLoaded) return null;
  return (
    <div className="connection-line" role="status">
      Lost the connection to Hoist — reconnecting. What you see may be out of date.
    </div>
  );
}
