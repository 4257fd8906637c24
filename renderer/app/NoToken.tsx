import './shell.css';

/** A browser tab opened without the access token: say where the right address is, show no jobs. */
export function NoToken() {
  return (
    <main className="no-token">
      <div className="no-token-card">
        <h1>
          Open the address <code>hoist serve</code> printed
        </h1>
        <p>
          This page needs the access token that <code>hoist serve</code> printed when it started. Open the address it
          printed (it carries an access token), for example:
        </p>
        <pre className="no-token-example">http://127.0.0.1:7325/#token=…</pre>
        <p className="muted">The token keeps other programs and web pages on this computer away from your uploads.</p>
      </div>
    </main>
  );
}
