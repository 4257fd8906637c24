import type { Command } from 'commander';
import { HoistError, userMessage } from '../../domain/hoist-error.js';
import { UploadFailure } from '../../domain/failure.js';
import { OAuthRefused, type BoxOAuthConfig, type MicrosoftOAuthConfig, type TokenGrant } from '../../protocols/oauth-client.js';
import { boxAuthorizeUrl, createPkce, exchangeBoxCode, newOAuthState } from '../../protocols/oauth-box.js';
import { pollDeviceCode, requestDeviceCode } from '../../protocols/oauth-device-code.js';
import { startLoopbackReceiver } from '../../protocols/oauth-loopback.js';
import { credentialsFor } from '../credentials/credentials-registry.js';
import { oauthConfigFor } from '../credentials/oauth-token-source.js';
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

const DEFAULT_BROWSER_WAIT_SEC = 300;
const TOKEN_EXCHANGE_TIMEOUT_MS = 60_000;

/**
 * `hoist login NAME`: signs a graph destination in with the device code flow, a box destination with the browser and
 * a loopback redirect, and stores the tokens. Resolves with the line to print on stdout.
 */
export async function loginDestination(ctx: CliContext, name: string, options: LoginOptions, io: LoginIo, signal: AbortSignal): Promise<string> {
  const dest = ctx.store.destinations.byName(name);
  if (!dest) throw new HoistError('not-found', `No destination named "${name}". Add it first with: hoist dest add ${name} --provider graph --client-id ID`);
  const config = oauthConfigFor(dest, ctx.secrets, ctx.env);
  const manager = credentialsFor(dest, ctx.secrets, ctx.env);
  const store = (grant: TokenGrant) => manager.saveGrant(grant);
  const grant = config.provider === 'graph' ? await deviceCodeSignIn(config, io, signal) : await browserSignIn(config, options, io, signal, store);
  if (config.provider === 'graph') store(grant);
  const where = ctx.secrets.isEncryptedAtRest ? 'encrypted with the OS keychain' : 'in a file only you can read';
  const renewal = grant.refreshToken ? 'Hoist renews the access token on its own' : 'the server gave no refresh token, so sign in again when the access token expires';
  return `Signed in: destination "${name}" is ready (tokens stored ${where}; ${renewal}).`;
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

async function deviceCodeSignIn(config: MicrosoftOAuthConfig, io: LoginIo, signal: AbortSignal): Promise<TokenGrant> {
  const challenge = await requestDeviceCode(config, signal);
  io.stderr(`${challenge.message}\n`);
  io.stderr(`Waiting for you to finish signing in (the code is valid for ${Math.round(challenge.expiresInSec / 60)} minutes; Ctrl-C cancels)...\n`);
  return pollDeviceCode(config, challenge, { nowMs: io.nowMs ?? Date.now, sleep: io.sleep ?? abortableSleep }, signal);
}

async function browserSignIn(
  config: BoxOAuthConfig,
  options: LoginOptions,
  io: LoginIo,
  signal: AbortSignal,
  store: (grant: TokenGrant) => void,
): Promise<TokenGrant> {
  const state = newOAuthState();
  const pkce = createPkce();
  const receiver = await startLoopbackReceiver({ state, ...(options.port !== undefined ? { port: options.port } : {}) });
  try {
    const url = boxAuthorizeUrl(config, { redirectUri: receiver.redirectUri, state, pkce });
    io.stderr(`To sign in to Box, open this address in a browser and allow access:\n  ${url}\n`);
    if (options.browser !== false) (io.openBrowser ?? openBrowser)(url);
    const waitSec = options.wait ?? DEFAULT_BROWSER_WAIT_SEC;
    const span = waitSec >= 60 ? `${Math.round(waitSec / 60)} min` : `${Math.round(waitSec)} s`;
    io.stderr(`Waiting for the browser (up to ${span}; Ctrl-C cancels)...\n`);
    const callback = await receiver.waitForCallback(waitSec * 1000, signal);
    try {
      const request = { code: callback.code, redirectUri: receiver.redirectUri, codeVerifier: pkce.verifier };
      const grant = await exchangeBoxCode(config, request, AbortSignal.any([signal, AbortSignal.timeout(TOKEN_EXCHANGE_TIMEOUT_MS)]));
      store(grant);
      callback.finish({ isSignedIn: true });
      return grant;
    } catch (error) {
      const failure = exchangeFailure(error, signal);
      callback.finish({ isSignedIn: false, message: failure.message });
      throw failure;
    }
  } finally {
    await receiver.close();
  }
}

function exchangeFailure(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason;
  if (error instanceof OAuthRefused) return new HoistError('auth-failed', `Box refused the sign-in (${error.message}). Run hoist login again.`);
  if (error instanceof UploadFailure) return new HoistError('auth-failed', `Could not finish the sign-in: ${error.message}. Run hoist login again.`);
  if ((error as Error).name === 'TimeoutError') return new HoistError('auth-failed', 'Box did not answer the sign-in within a minute. Run hoist login again.');
  return error instanceof Error ? error : new Error(userMessage(error));
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
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
