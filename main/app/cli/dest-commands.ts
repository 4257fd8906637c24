import { HoistError } from '../../domain/hoist-error.js';
import { validateGraphFragmentBytes, GRAPH_DEFAULT_FRAGMENT_BYTES } from '../../domain/part-plan.js';
import { toDestinationView } from '../../bridge/job-views.js';
import { DEFAULT_GRAPH_ENDPOINT, type TokenSource } from '../protocol-factory.js';
import type { CliContext } from './cli-context.js';

export interface DestAddOptions {
  provider: string;
  endpoint?: string;
  token?: string;
  tokenEnv?: string;
  driveId?: string;
  conflict?: string;
  fragmentSize?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CONFLICTS = ['replace', 'fail', 'rename'];

export function destAdd(ctx: CliContext, name: string, opts: DestAddOptions): string {
  if (!NAME_PATTERN.test(name)) throw new HoistError('invalid-argument', `"${name}" is not a usable destination name: use letters, digits, ".", "_" or "-" (up to 64).`);
  if (ctx.store.destinations.byName(name)) throw new HoistError('invalid-argument', `A destination named "${name}" already exists; remove it first or pick another name.`);
  if (opts.provider !== 'graph') {
    throw new HoistError('invalid-argument', `Unknown or unsupported provider "${opts.provider}". Available: graph.`);
  }
  if (opts.token && opts.tokenEnv) throw new HoistError('invalid-argument', 'Give either --token or --token-env, not both.');
  if (!opts.token && !opts.tokenEnv) throw new HoistError('invalid-argument', 'An access token is needed: --token TOKEN or --token-env VARIABLE.');
  const endpoint = opts.endpoint ?? DEFAULT_GRAPH_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new HoistError('invalid-argument', `--endpoint must be a URL, got "${endpoint}".`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new HoistError('invalid-argument', `--endpoint must use https (plain http is accepted only for 127.0.0.1/localhost), got ${url.protocol}`);
  }
  const conflictBehavior = opts.conflict ?? 'replace';
  if (!CONFLICTS.includes(conflictBehavior)) throw new HoistError('invalid-argument', `--conflict must be one of ${CONFLICTS.join(', ')}.`);
  const fragmentSizeBytes = opts.fragmentSize === undefined ? GRAPH_DEFAULT_FRAGMENT_BYTES : Number(opts.fragmentSize);
  const fragmentProblem = validateGraphFragmentBytes(fragmentSizeBytes);
  if (fragmentProblem) throw new HoistError('invalid-argument', `--fragment-size: ${fragmentProblem}.`);
  const token: TokenSource = opts.tokenEnv ? { kind: 'env', name: opts.tokenEnv } : { kind: 'stored' };
  if (opts.token) ctx.secrets.set(`destination:${name}`, opts.token);
  ctx.store.destinations.add(
    name,
    'graph',
    { endpoint: endpoint.replace(/\/+$/, ''), driveId: opts.driveId, conflictBehavior, fragmentSizeBytes, token },
    Date.now(),
  );
  return `Added destination "${name}" (Microsoft Graph at ${url.host}${opts.driveId ? `, drive ${opts.driveId}` : ''}).`;
}

export function destList(ctx: CliContext, json: boolean): string {
  const views = ctx.store.destinations.list().map(toDestinationView);
  if (json) return JSON.stringify({ destinations: views });
  if (views.length === 0) return 'No destinations yet. Add one with: hoist dest add NAME --provider graph --token-env GRAPH_TOKEN';
  return views.map((d) => `${d.name}\t${d.provider}\t${String(d.settings.endpoint ?? '')}`).join('\n');
}

export function destRemove(ctx: CliContext, name: string): string {
  if (!ctx.store.destinations.remove(name)) throw new HoistError('not-found', `No destination named "${name}".`);
  ctx.secrets.delete(`destination:${name}`);
  return `Removed destination "${name}".`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.startsWith('127.');
}
