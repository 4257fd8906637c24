import type { DestinationAuthView, DestinationView, ProviderKind } from '../../../preload/contract/index.js';

/** How a destination authenticates, in words. */
export function authWords(auth: DestinationAuthView): { text: string; isProblem: boolean } {
  switch (auth.kind) {
    case 'none':
      return { text: 'No sign-in needed', isProblem: false };
    case 'token':
      return auth.isStored ? { text: 'Token stored', isProblem: false } : { text: 'No token stored', isProblem: true };
    case 'token-env':
      return auth.isSet ? { text: `Token from $${auth.variable}`, isProblem: false } : { text: `$${auth.variable} is not set`, isProblem: true };
    case 'sign-in':
      return auth.isSignedIn ? { text: 'Signed in', isProblem: false } : { text: 'Not signed in', isProblem: true };
  }
}

/** Whether Hoist keeps a secret of this destination on disk. */
export function storesSecret(auth: DestinationAuthView): boolean {
  return (auth.kind === 'token' && auth.isStored) || (auth.kind === 'sign-in' && auth.isSignedIn);
}

// The hosts the providers' real services answer on, for destinations left on their default endpoint.
const DEFAULT_HOSTS: Record<ProviderKind, string> = {
  graph: 'graph.microsoft.com',
  box: 'api.box.com',
  apideck: 'unify.apideck.com',
  tus: 'no endpoint set',
  s3: 's3.amazonaws.com',
};

/** The host a destination talks to ("graph.microsoft.com"), or the bucket for S3. */
export function endpointHost(destination: DestinationView): string {
  const settings = destination.settings;
  const raw = typeof settings.endpoint === 'string' ? settings.endpoint : null;
  let host = DEFAULT_HOSTS[destination.provider];
  if (raw !== null) {
    try {
      host = new URL(raw).host;
    } catch {
      host = raw;
    }
  }
  return typeof settings.bucket === 'string' ? `${settings.bucket} on ${host}` : host;
}
