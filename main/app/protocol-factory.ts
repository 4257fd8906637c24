import { HoistError } from '../domain/hoist-error.js';
import type { ConflictBehavior } from '../protocols/graph-protocol.js';
import type { UploadProtocol } from '../protocols/upload-protocol.js';
import type { BoxConflictPolicy } from '../protocols/box-protocol.js';
import { DEFAULT_APIDECK_ENDPOINT, DEFAULT_BOX_API_ENDPOINT, DEFAULT_BOX_UPLOAD_ENDPOINT, DEFAULT_GRAPH_ENDPOINT } from '../protocols/service-endpoints.js';
import type { DestinationRow } from '../store/destinations-repo.js';
import type { SecretStore } from './secret-store.js';
import { credentialsFor } from './credentials/credentials-registry.js';
import { isOAuthSource, type OAuthTokenSource } from './credentials/oauth-token-source.js';

/** Where a destination's token comes from: the token store, an environment variable, or OAuth sign-in. */
export type TokenSource = { kind: 'stored' } | { kind: 'env'; name: string } | OAuthTokenSource;

/** The real services; `--endpoint` replaces them (sovereign clouds, self-hosting, emulators). */
export const DEFAULT_ENDPOINTS = {
  graph: DEFAULT_GRAPH_ENDPOINT,
  apideck: DEFAULT_APIDECK_ENDPOINT,
  box: DEFAULT_BOX_UPLOAD_ENDPOINT,
  boxApi: DEFAULT_BOX_API_ENDPOINT,
} as const;

export function tokenResolver(dest: DestinationRow, secrets: SecretStore, env: NodeJS.ProcessEnv): () => Promise<string> {
  if (isOAuthSource(dest.config.token)) return () => credentialsFor(dest, secrets, env).getAccessToken();
  const source = dest.config.token as TokenSource | undefined;
  return async () => {
    const token = source?.kind === 'env' ? env[source.name] : secrets.get(`destination:${dest.name}`);
    if (!token) {
      const where = source?.kind === 'env' ? `the environment variable ${source.name} is empty or unset` : 'no token is stored';
      throw new HoistError('auth-failed', `Destination "${dest.name}" has no access token (${where}). Add it again with --token or --token-env.`);
    }
    return token;
  };
}

/**
 * The adapter for a destination, loaded when a destination needs it: the AWS SDK and the embedded tus server would add
 * tens of MiB to every Hoist process, and the other adapters' reply schemas are built when their module loads (a
 * `hoist status` or a Graph upload has no use for Box's).
 */
export async function protocolFor(dest: DestinationRow, secrets: SecretStore, env: NodeJS.ProcessEnv): Promise<UploadProtocol> {
  switch (dest.provider) {
    case 'graph': {
      const { GraphProtocol } = await import('../protocols/graph-protocol.js');
      return new GraphProtocol({
        endpoint: String(dest.config.endpoint ?? DEFAULT_ENDPOINTS.graph),
        driveId: typeof dest.config.driveId === 'string' ? dest.config.driveId : undefined,
        conflictBehavior: (dest.config.conflictBehavior as ConflictBehavior | undefined) ?? 'replace',
        // Stored only when the user chose one (see migration 005); otherwise sized to the link.
        fragmentSizeBytes: typeof dest.config.fragmentSizeBytes === 'number' ? dest.config.fragmentSizeBytes : undefined,
        accessToken: tokenResolver(dest, secrets, env),
      });
    }
    case 'apideck': {
      const { ApideckProtocol } = await import('../protocols/apideck-protocol.js');
      return new ApideckProtocol({
        endpoint: String(dest.config.endpoint ?? DEFAULT_ENDPOINTS.apideck),
        appId: String(dest.config.appId ?? ''),
        consumerId: String(dest.config.consumerId ?? ''),
        serviceId: typeof dest.config.serviceId === 'string' ? dest.config.serviceId : undefined,
        folderId: String(dest.config.folderId ?? 'root'),
        accessToken: tokenResolver(dest, secrets, env),
      });
    }
    case 'box': {
      const { BoxProtocol } = await import('../protocols/box-protocol.js');
      return new BoxProtocol({
        uploadEndpoint: String(dest.config.endpoint ?? DEFAULT_ENDPOINTS.box),
        apiEndpoint: String(dest.config.apiEndpoint ?? DEFAULT_ENDPOINTS.boxApi),
        folderId: String(dest.config.folderId ?? '0'),
        conflictPolicy: (dest.config.conflictPolicy as BoxConflictPolicy | undefined) ?? 'version',
        accessToken: tokenResolver(dest, secrets, env),
      });
    }
    case 's3': {
      const { S3Protocol } = await import('../protocols/s3-protocol.js');
      return new S3Protocol({
        endpoint: typeof dest.config.endpoint === 'string' ? dest.config.endpoint : undefined,
        region: String(dest.config.region ?? 'us-east-1'),
        bucket: String(dest.config.bucket ?? ''),
        prefix: typeof dest.config.prefix === 'string' ? dest.config.prefix : undefined,
        forcePathStyle: dest.config.forcePathStyle === true,
        accessKeyId: String(dest.config.accessKeyId ?? ''),
        secretAccessKey: tokenResolver(dest, secrets, env),
        partSizeBytes: typeof dest.config.partSizeBytes === 'number' ? dest.config.partSizeBytes : undefined,
      });
    }
    case 'tus': {
      if (dest.config.embedded === true) {
        const { LocalTusProtocol } = await import('./receive/local-destination.js');
        return new LocalTusProtocol(String(dest.config.dir));
      }
      const token = tokenNow(dest, secrets, env);
      const { TusProtocol } = await import('../protocols/tus-protocol.js');
      return new TusProtocol({
        endpoint: String(dest.config.endpoint),
        chunkSizeBytes: typeof dest.config.chunkSizeBytes === 'number' ? dest.config.chunkSizeBytes : undefined,
        headers: token ? { Authorization: `Bearer ${token}` } : undefined,
      });
    }
  }
}

/** A tus server's token is a plain header (optional: a receiver on this machine needs none). */
function tokenNow(dest: DestinationRow, secrets: SecretStore, env: NodeJS.ProcessEnv): string | undefined {
  const source = dest.config.token as TokenSource | undefined;
  if (source?.kind === 'env') return env[source.name] || undefined;
  if (source?.kind === 'stored') return secrets.get(`destination:${dest.name}`);
  return undefined;
}
