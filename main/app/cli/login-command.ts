import type { Command } from 'commander';
import { HoistError } from '../../domain/hoist-error.js';
import { DEFAULT_BROWSER_WAIT_SEC, startSignIn } from '../credentials/sign-in-flow.js';
import type { CliContext } from './cli-context.js';
import { openBrowser } from './open-browser.js';

export interface LoginOptions {
  /** Box: open the authorize page in a browser (default true; `--no-browser` only prints it). */
  browser?: boolean;
  /** Box: loopback port for the redirect (default: any free port). */
  port?: number;
  /** Box: how long to wait for the browser, in seconds (default 300). */
  wait?: number;
}

/** What sign-in needs from its surroundings; tests pass their own. */
export interface LoginIo {
  /** Instructions for the user (never a token). */
  stderr: (text: string) => void;
  openBrowser?: (url: string) => void;
  nowMs?: () => number;
  /** Waits between device code polls; rejects with the signal's reason when it aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * `hoist login NAME`: signs a graph destination in with the device code flow, a box destination with the browser and
 * a loopback redirect, and stores the tokens. Resolves with the line to print on stdout.
 */
export async function loginDestination(ctx: CliContext, name: string, options: LoginOptions, io: LoginIo, signal: AbortSignal): Promise<string> {
  const dest = ctx.store.destinations.byName(name);
  if (!dest) throw new HoistError('not-found', `No destination named "${name}". Add it first with: hoist dest add ${name} --provider graph --client-id ID`);
  const flow = await startSignIn(dest, ctx.secrets, ctx.env, { port: options.port, waitSec: options.wait, nowMs: io.nowMs, sleep: io.sleep }, signal);
  const view = flow.view;
  if (view.kind === 'device-code') {
    io.stderr(`${view.message}\n`);
    const minutes = Math.round((view.expiresAtMs - (io.nowMs ?? Date.now)()) / 60_000);
    io.stderr(`Waiting for you to finish signing in (the code is valid for ${minutes} minutes; Ctrl-C cancels)...\n`);
  } else {
    io.stderr(`To sign in to Box, open this address in a browser and allow access:\n  ${view.url}\n`);
    if (options.browser !== false) (io.openBrowser ?? openBrowser)(view.url);
    const waitSec = options.wait ?? DEFAULT_BROWSER_WAIT_SEC;
    const span = waitSec >= 60 ? `${Math.round(waitSec / 60)} min` : `${Math.round(waitSec)} s`;
    io.stderr(`Waiting for the browser (up to ${span}; Ctrl-C cancels)...\n`);
  }
  return flow.wait();
}

export function registerLoginCommand(program: Command, ctx: () => CliContext): void {
  program
    .command('login <name>')
    .description('sign in to a graph or box destination added with --client-id; tokens are stored and renewed automatically')
    .option('--no-browser', 'box: only print the sign-in address, do not open a browser')
    .option('--port <port>', 'box: receive the browser redirect on this 127.0.0.1 port (default: any free port)', parsePort)
    .option('--wait <seconds>', `box: how long to wait for the browser (default ${DEFAULT_BROWSER_WAIT_SEC})`, parseSeconds)
    .action(async (name: string, options: LoginOptions) => {
      const controller = new AbortController();
      const onInterrupt = () => controller.abort(new HoistError('cancelled', 'Sign-in cancelled; nothing was stored.'));
      process.once('SIGINT', onInterrupt);
      try {
        const line = await loginDestination(ctx(), name, options, { stderr: (text) => process.stderr.write(text) }, controller.signal);
        process.stdout.write(`${line}\n`);
      } finally {
        process.removeListener('SIGINT', onInterrupt);
      }
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new HoistError('invalid-argument', `--port must be a port number from 1 to 65535, got "${value}"`);
  return port;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new HoistError('invalid-argument', `--wait must be a number of seconds from 1 to 3600, got "${value}"`);
  return seconds;
}
