import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HoistError } from '../../domain/hoist-error.js';
import { isLoopbackHost } from '../receive/request-guard.js';
import type { Receiver } from '../receive/receiver.js';

export interface ReceiveOptions {
  dir: string;
  port: number;
  host: string;
  token?: string;
  tokenEnv?: string;
  expireDays?: number;
}

export const DEFAULT_RECEIVE_PORT = 1080;

/** `hoist receive`: a tus server that saves uploads into a folder, until Ctrl-C / SIGTERM. */
export function registerReceiveCommand(program: Command): void {
  program
    .command('receive')
    .description('receive uploads over tus into a folder (for a tus destination, or any tus client) until stopped')
    .requiredOption('--dir <dir>', 'folder for the received files (created if missing)')
    .option('--port <n>', 'TCP port; 0 picks a free one', parsePort, DEFAULT_RECEIVE_PORT)
    .option('--host <address>', 'address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 is every network and needs a token', '127.0.0.1')
    .option('--token <token>', 'require Authorization: Bearer <token> on every request (visible in the process list: prefer --token-env)')
    .option('--token-env <variable>', 'read the required bearer token from this environment variable')
    .option('--expire-days <n>', 'discard unfinished uploads this many days after they started (default 7)', parseDays)
    .action(async (opts: ReceiveOptions) => {
      const receiver = await openReceiver(opts, process.env, (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`${line}\n`));
      await stopSignal();
      await receiver.close();
      process.stdout.write('Stopped; unfinished uploads can resume when the receiver runs again.\n');
    });
}

/** Starts the receiver from command-line options and prints where clients should upload. */
export async function openReceiver(opts: ReceiveOptions, env: NodeJS.ProcessEnv, out: (line: string) => void, warn: (line: string) => void): Promise<Receiver> {
  const token = tokenFrom(opts, env);
  const isLocal = isLoopbackHost(opts.host);
  if (!isLocal && !token) {
    throw new HoistError('invalid-argument', `--host ${opts.host} makes the receiver reachable from the network: give --token-env <variable> (or --token) so only your clients can upload.`);
  }
  // Loaded on demand: @tus/server is heavy and every other command can do without it.
  const { startReceiver } = await import('../receive/receiver.js');
  const receiver = await startReceiver({
    dir: opts.dir,
    port: opts.port,
    host: opts.host,
    token,
    expirationMs: opts.expireDays !== undefined ? opts.expireDays * 24 * 60 * 60 * 1000 : undefined,
    log: (line) => out(`${new Date().toISOString()} ${line}`),
  });
  if (!isLocal) warn(`Warning: listening on ${opts.host}: the receiver is reachable from the network. Every request must carry the bearer token; use TLS (a reverse proxy) on untrusted networks.`);
  out(`Receiving into ${resolve(opts.dir)}`);
  out(`tus endpoint: ${receiver.url}${isLocal ? '' : ` (from other machines: this machine's address instead of ${new URL(receiver.url).hostname})`}`);
  out('Press Ctrl-C to stop.');
  return receiver;
}

function tokenFrom(opts: ReceiveOptions, env: NodeJS.ProcessEnv): string | undefined {
  if (opts.token !== undefined && opts.tokenEnv !== undefined) throw new HoistError('invalid-argument', 'Give --token or --token-env, not both.');
  if (opts.tokenEnv !== undefined) {
    const value = env[opts.tokenEnv];
    if (!value) throw new HoistError('invalid-argument', `The environment variable ${opts.tokenEnv} (--token-env) is empty or unset.`);
    return value;
  }
  if (opts.token !== undefined && opts.token.trim() === '') throw new HoistError('invalid-argument', '--token is empty.');
  return opts.token;
}

function stopSignal(): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new HoistError('invalid-argument', `--port expects a whole number from 0 to 65535, got "${value}"`);
  return n;
}

function parseDays(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3650) throw new HoistError('invalid-argument', `--expire-days expects a positive number of days, got "${value}"`);
  return n;
}
