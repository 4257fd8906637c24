import { HoistError } from '../../domain/hoist-error.js';
import { validateGraphFragmentBytes } from '../../domain/part-plan.js';
import { destinationView } from '../destination-views.js';
import { readSettings, defaultDestinationName } from '../../bridge/settings.js';
import type { ProviderKind } from '../../store/destinations-repo.js';
import { DEFAULT_ENDPOINTS, type TokenSource } from '../protocol-factory.js';
import type { CliContext } from './cli-context.js';
import { forgetCredentials } from '../credentials/oauth-token-source.js';
import { oauthSourceFrom, saveOAuthSecrets, type OAuthAddOptions } from '../credentials/oauth-setup.js';

/** Every `dest add` option; which ones apply depends on the provider. */
export interface DestAddOptions extends OAuthAddOptions {
  provider: string;
  endpoint?: string;
  apiEndpoint?: string;
  token?: string;
  tokenEnv?: string;
  driveId?: string;
  folderId?: string;
  conflict?: string;
  fragmentSize?: string;
  appId?: string;
  consumerId?: string;
  serviceId?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
  accessKeyId?: string;
  forcePathStyle?: boolean;
  partSize?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

type ProviderSetup = (opts: DestAddOptions) => Record<string, unknown>;

/** Per provider: validate its options and build its stored settings (never the token). */
const SETUPS: Partial<Record<ProviderKind, ProviderSetup>> = {
  graph: (opts) => {
    const conflictBehavior = oneOf('--conflict', opts.conflict ?? 'replace', ['replace', 'fail', 'rename']);
    // Without the flag nothing is stored: fragments are then sized to the link.
    const fragmentSizeBytes = opts.fragmentSize === undefined ? undefined : Number(opts.fragmentSize);
    const problem = fragmentSizeBytes === undefined ? undefined : validateGraphFragmentBytes(fragmentSizeBytes);
    if (problem) throw new HoistError('invalid-argument', `--fragment-size: ${problem}.`);
    return { endpoint: endpoint(opts.endpoint, DEFAULT_ENDPOINTS.graph), driveId: opts.driveId, conflictBehavior, fragmentSizeBytes };
  },
  box: (opts) => ({
    endpoint: endpoint(opts.endpoint, DEFAULT_ENDPOINTS.box),
    apiEndpoint: endpoint(opts.apiEndpoint, DEFAULT_ENDPOINTS.boxApi, '--api-endpoint'),
    folderId: opts.folderId ?? '0',
    conflictPolicy: oneOf('--conflict', opts.conflict ?? 'version', ['version', 'rename', 'skip']),
  }),
  tus: (opts) => {
    if (!opts.endpoint) throw new HoistError('invalid-argument', 'tus needs --endpoint: the creation URL of the server, e.g. https://nas.local:1080/files/');
    const chunkSizeBytes = opts.partSize === undefined ? undefined : Number(opts.partSize);
    if (chunkSizeBytes !== undefined && !(Number.isInteger(chunkSizeBytes) && chunkSizeBytes > 0)) {
      throw new HoistError('invalid-argument', `--part-size must be a positive whole number of bytes, got "${opts.partSize}".`);
    }
    return { endpoint: endpoint(opts.endpoint, opts.endpoint), chunkSizeBytes };
  },
  s3: (opts) => {
    if (!opts.bucket) throw new HoistError('invalid-argument', 'S3 needs --bucket.');
    if (!opts.accessKeyId) throw new HoistError('invalid-argument', 'S3 needs --access-key-id (the secret access key goes in --token or --token-env).');
    const partSizeBytes = opts.partSize === undefined ? undefined : Number(opts.partSize);
    if (partSizeBytes !== undefined && !(Number.isInteger(partSizeBytes) && partSizeBytes >= 5 * 1024 * 1024)) {
      throw new HoistError('invalid-argument', `--part-size must be a whole number of bytes of at least 5 MiB (5242880), got "${opts.partSize}".`);
    }
    return {
      endpoint: opts.endpoint === undefined ? undefined : endpoint(opts.endpoint, opts.endpoint),
      region: opts.region ?? 'us-east-1',
      bucket: opts.bucket,
      prefix: opts.prefix,
      accessKeyId: opts.accessKeyId,
      forcePathStyle: opts.forcePathStyle === true,
      partSizeBytes,
    };
  },
  apideck: (opts) => {
    if (!opts.appId) throw new HoistError('invalid-argument', 'Apideck needs --app-id (your Unify application id).');
    if (!opts.consumerId) throw new HoistError('invalid-argument', 'Apideck needs --consumer-id (the consumer whose storage receives the files).');
    return {
      endpoint: endpoint(opts.endpoint, DEFAULT_ENDPOINTS.apideck),
      appId: opts.appId,
      consumerId: opts.consumerId,
      serviceId: opts.serviceId,
      folderId: opts.folderId ?? 'root',
    };
  },
};

export const SUPPORTED_PROVIDERS = Object.keys(SETUPS) as ProviderKind[];

export function destAdd(ctx: CliContext, name: string, opts: DestAddOptions): string {
  if (!NAME_PATTERN.test(name)) throw new HoistError('invalid-argument', `"${name}" is not a usable destination name: use letters, digits, ".", "_" or "-" (up to 64).`);
  if (ctx.store.destinations.byName(name)) throw new HoistError('invalid-argument', `A destination named "${name}" already exists; remove it first or pick another name.`);
  const setup = SETUPS[opts.provider as ProviderKind];
  if (!setup) throw new HoistError('invalid-argument', `Unknown provider "${opts.provider}". Available: ${SUPPORTED_PROVIDERS.join(', ')}.`);
  const oauth = oauthSourceFrom(opts.provider as ProviderKind, opts, (value, flag) => endpoint(value, value, flag));
  if (!oauth && opts.token && opts.tokenEnv) throw new HoistError('invalid-argument', 'Give either --token or --token-env, not both.');
  // A tus server on this machine usually needs no token; every cloud service does.
  if (!oauth && !opts.token && !opts.tokenEnv && opts.provider !== 'tus') {
    throw new HoistError('invalid-argument', 'An access token is needed: --token TOKEN or --token-env VARIABLE (or --client-id ID to sign in with hoist login).');
  }
  const settings = setup(opts);
  const token: TokenSource = oauth ?? (opts.tokenEnv ? { kind: 'env', name: opts.tokenEnv } : { kind: 'stored' });
  if (oauth) saveOAuthSecrets(ctx.secrets, name, opts);
  else if (opts.token) ctx.secrets.set(`destination:${name}`, opts.token);
  ctx.store.destinations.add(name, opts.provider as ProviderKind, { ...settings, token }, Date.now());
  const where = typeof settings.endpoint === 'string' ? new URL(settings.endpoint).host : 'AWS';
  const added = `Added destination "${name}" (${opts.provider} at ${where}).`;
  return oauth ? `${added} Sign in with: hoist login ${name}` : added;
}

export function destList(ctx: CliContext, json: boolean): string {
  const defaultName = defaultDestinationName(readSettings(ctx.store));
  const views = ctx.store.destinations.list().map((d) => destinationView(d, ctx.secrets, ctx.env, defaultName));
  if (json) return JSON.stringify({ destinations: views });
  if (views.length === 0) return 'No destinations yet. Add one with: hoist dest add NAME --provider graph --token-env GRAPH_TOKEN';
  return views.map((d) => `${d.name}\t${d.provider}\t${String(d.settings.endpoint ?? '')}`).join('\n');
}

export function destRemove(ctx: CliContext, name: string): string {
  if (!ctx.store.destinations.remove(name)) throw new HoistError('not-found', `No destination named "${name}".`);
  ctx.secrets.delete(`destination:${name}`);
  forgetCredentials(ctx.secrets, name);
  return `Removed destination "${name}".`;
}

function oneOf(flag: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new HoistError('invalid-argument', `${flag} must be one of ${allowed.join(', ')}.`);
  return value;
}

/** A URL that is https, or plain http only on this machine (self-hosted receivers, emulators). */
export function endpoint(value: string | undefined, fallback: string, flag = '--endpoint'): string {
  const text = value ?? fallback;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HoistError('invalid-argument', `${flag} must be a URL, got "${text}".`);
  }
  const isLoopback = url.hostname === 'localhost' || url.hostname === '[::1]' || url.hostname.startsWith('127.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback)) {
    throw new HoistError('invalid-argument', `${flag} must use https (plain http is accepted only for 127.0.0.1/localhost), got ${url.protocol}`);
  }
  return text.replace(/\/+$/, '');
}
