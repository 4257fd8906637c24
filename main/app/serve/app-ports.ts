import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DestinationInput, SignInStatusView } from '../../../preload/contract/views.js';
import type { BridgePorts } from '../../bridge/bridge-ports.js';
import { HoistError, userMessage } from '../../domain/hoist-error.js';
import { abortServerSession } from '../../engine/scheduler.js';
import { destAdd, destRemove, type DestAddOptions } from '../cli/dest-commands.js';
import type { CliContext } from '../cli/cli-context.js';
import { startSignIn } from '../credentials/sign-in-flow.js';
import { destinationView } from '../destination-views.js';
import { showInFileManager } from '../os/file-manager.js';
import { protocolFor } from '../protocol-factory.js';
import { applyTransferOptions, type TransferOptions } from '../transfer-options.js';

const DIAGNOSTICS_LOG_BYTES = 2 * 1024 * 1024;

/** The bridge's ports over a CLI context (data folder, database, secrets): what `hoist serve` and the desktop app share. */
export function appPorts(ctx: CliContext, hooks: { watchesChanged(): void; version: string; transferFlags?: TransferOptions }): BridgePorts {
  const signIns = new Map<string, AbortController>();
  const logDir = join(ctx.dataDir, 'logs');
  return {
    logDir,
    destinationViews: (defaultName) => ctx.store.destinations.list().map((d) => destinationView(d, ctx.secrets, ctx.env, defaultName)),
    addDestination: (input) => void destAdd(ctx, input.name, toDestAddOptions(input)),
    removeDestination: (name) => void destRemove(ctx, name),
    async signIn(name, onStatus) {
      const dest = ctx.store.destinations.byName(name);
      if (!dest) throw new HoistError('not-found', `There is no destination named "${name}".`);
      signIns.get(name)?.abort();
      const controller = new AbortController();
      signIns.set(name, controller);
      const flow = await startSignIn(dest, ctx.secrets, ctx.env, {}, controller.signal);
      const report = (status: Omit<SignInStatusView, 'destination'>) => onStatus({ destination: name, ...status });
      flow.wait().then(
        (message) => report({ state: 'signed-in', message }),
        (error: unknown) => report(controller.signal.aborted ? { state: 'cancelled', message: 'Sign-in cancelled; nothing was stored.' } : { state: 'failed', message: userMessage(error) }),
      ).finally(() => {
        if (signIns.get(name) === controller) signIns.delete(name);
      });
      return flow.view;
    },
    cancelSignIn: (name) => signIns.get(name)?.abort(new HoistError('cancelled', 'Sign-in cancelled; nothing was stored.')),
    async abortSessions(jobIds) {
      for (const id of jobIds) {
        const job = ctx.store.jobs.get(id);
        const dest = job && ctx.store.destinations.byId(job.destinationId);
        if (dest) await abortServerSession(ctx.store, id, await protocolFor(dest, ctx.secrets, ctx.env)).catch(() => undefined);
      }
    },
    revealPath: (path) => showInFileManager(path, 'file', ctx.env),
    openFolder: (path) => showInFileManager(path, 'folder', ctx.env),
    diagnostics: () => ({ fileName: `hoist-diagnostics-${new Date().toISOString().slice(0, 19).replaceAll(':', '-')}.txt`, text: diagnosticsText(ctx, logDir, hooks.version) }),
    watchesChanged: hooks.watchesChanged,
    applySettings(patch) {
      // A flag given to this process (--bwlimit, --stall-timeout) wins over the setting until it stops.
      const flags = hooks.transferFlags ?? {};
      applyTransferOptions({
        bwlimit: flags.bwlimit === undefined ? patch.bandwidthLimit : undefined,
        stallTimeoutSec: flags.stallTimeoutSec === undefined ? patch.stallTimeoutSec : undefined,
      });
    },
  };
}

function toDestAddOptions(input: DestinationInput): DestAddOptions {
  const { name: _name, fragmentSizeBytes, partSizeBytes, ...rest } = input;
  return {
    ...rest,
    ...(fragmentSizeBytes !== undefined ? { fragmentSize: String(fragmentSizeBytes) } : {}),
    ...(partSizeBytes !== undefined ? { partSize: String(partSizeBytes) } : {}),
  };
}

/** Versions, destinations (no secrets) and the tail of the event log, which holds ids, sizes and reasons only. */
function diagnosticsText(ctx: CliContext, logDir: string, version: string): string {
  const destinations = ctx.store.destinations.list().map((d) => `  ${d.name}: ${d.provider} ${typeof d.config.endpoint === 'string' ? new URL(d.config.endpoint).host : ''}`);
  const jobs = ctx.store.jobs.countsByState();
  return [
    `Hoist ${version} diagnostics, ${new Date().toISOString()}`,
    `Node ${process.version}, ${process.platform} ${process.arch}`,
    `Data folder: ${ctx.dataDir}`,
    `Uploads by state: ${Object.entries(jobs).map(([state, n]) => `${state} ${n}`).join(', ') || 'none'}`,
    'Destinations:',
    ...destinations,
    '',
    'Event log (newest last):',
    scrub(tail(join(logDir, 'hoist.log'), DIAGNOSTICS_LOG_BYTES)),
  ].join('\n');
}

/** The log never holds a token; this is a second guard for anything shaped like one. */
const scrub = (text: string): string => text.replace(/(Bearer\s+)\S+/gi, '$1[removed]').replace(/((?:token|secret|key)=)[^&\s"]+/gi, '$1[removed]');

function tail(path: string, maxBytes: number): string {
  try {
    const size = statSync(path).size;
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return '(no log yet)';
  }
}
