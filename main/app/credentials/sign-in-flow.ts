import type { SignInView } from '../../../preload/contract/views.js';
import { HoistError, userMessage } from '../../domain/hoist-error.js';
import { UploadFailure } from '../../domain/failure.js';
import { OAuthRefused, type BoxOAuthConfig, type MicrosoftOAuthConfig, type TokenGrant } from '../../protocols/oauth-client.js';
import { boxAuthorizeUrl, createPkce, exchangeBoxCode, newOAuthState } from '../../protocols/oauth-box.js';
import { pollDeviceCode, requestDeviceCode } from '../../protocols/oauth-device-code.js';
import { startLoopbackReceiver } from '../../protocols/oauth-loopback.js';
import { sleepUnlessAborted } from '../../protocols/abortable-sleep.js';
import type { DestinationRow } from '../../store/destinations-repo.js';
import type { SecretStore } from '../secret-store.js';
import { credentialsFor } from './credentials-registry.js';
import { oauthConfigFor, oauthTokensKey } from './oauth-token-source.js';

export interface SignInOptions {
  /** Box: loopback port for the redirect (default: any free port). */
  port?: number;
  /** Box: how long to wait for the browser, in seconds (default 300). */
  waitSec?: number;
  nowMs?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A sign-in waiting for the user: what to show them, and how it ends. */
export interface SignInFlow {
  view: SignInView;
  /**
   * Waits for the user (call it once `view` is shown): resolves with the sentence to show once the tokens are stored;
   * rejects with a HoistError (or the abort reason).
   */
  wait(): Promise<string>;
}

export const DEFAULT_BROWSER_WAIT_SEC = 300;
const TOKEN_EXCHANGE_TIMEOUT_MS = 60_000;

/**
 * Starts signing a destination in: Graph with the device code flow (a code to enter on any device), Box in a browser on
 * this machine with a loopback redirect. Shared by `hoist login` and the window; both only display `view`.
 */
export async function startSignIn(dest: DestinationRow, secrets: SecretStore, env: NodeJS.ProcessEnv, options: SignInOptions, signal: AbortSignal): Promise<SignInFlow> {
  const config = oauthConfigFor(dest, secrets, env);
  const manager = credentialsFor(dest, secrets, env);
  const nowMs = options.nowMs ?? Date.now;
  const stored = (grant: TokenGrant) => {
    manager.saveGrant(grant);
    const place = secrets.placeOf(oauthTokensKey(dest.name));
    const where = place === 'keychain' ? 'in the OS keychain' : place === 'encrypted-file' ? 'encrypted with the OS keychain' : 'in a file only you can read';
    const renewal = grant.refreshToken ? 'Hoist renews the access token on its own' : 'the server gave no refresh token, so sign in again when the access token expires';
    return `Signed in: destination "${dest.name}" is ready (tokens stored ${where}; ${renewal}).`;
  };
  if (config.provider === 'graph') return deviceCode(dest.name, config, options, nowMs, signal, stored);
  return browser(dest.name, config, options, nowMs, signal, stored);
}

async function deviceCode(
  name: string,
  config: MicrosoftOAuthConfig,
  options: SignInOptions,
  nowMs: () => number,
  signal: AbortSignal,
  stored: (grant: TokenGrant) => string,
): Promise<SignInFlow> {
  const challenge = await requestDeviceCode(config, signal);
  const view: SignInView = {
    kind: 'device-code',
    destination: name,
    userCode: challenge.userCode,
    verificationUrl: challenge.verificationUri,
    expiresAtMs: nowMs() + challenge.expiresInSec * 1000,
    message: challenge.message,
  };
  return { view, wait: () => pollDeviceCode(config, challenge, { nowMs, sleep: options.sleep ?? sleepUnlessAborted }, signal).then(stored) };
}

async function browser(
  name: string,
  config: BoxOAuthConfig,
  options: SignInOptions,
  nowMs: () => number,
  signal: AbortSignal,
  stored: (grant: TokenGrant) => string,
): Promise<SignInFlow> {
  const state = newOAuthState();
  const pkce = createPkce();
  const receiver = await startLoopbackReceiver({ state, ...(options.port !== undefined ? { port: options.port } : {}) });
  const waitSec = options.waitSec ?? DEFAULT_BROWSER_WAIT_SEC;
  const url = boxAuthorizeUrl(config, { redirectUri: receiver.redirectUri, state, pkce });
  const wait = async () => {
    try {
      const callback = await receiver.waitForCallback(waitSec * 1000, signal);
      try {
        const request = { code: callback.code, redirectUri: receiver.redirectUri, codeVerifier: pkce.verifier };
        const grant = await exchangeBoxCode(config, request, AbortSignal.any([signal, AbortSignal.timeout(TOKEN_EXCHANGE_TIMEOUT_MS)]));
        const message = stored(grant);
        callback.finish({ isSignedIn: true });
        return message;
      } catch (error) {
        const failure = exchangeFailure(error, signal);
        callback.finish({ isSignedIn: false, message: failure.message });
        throw failure;
      }
    } finally {
      await receiver.close();
    }
  };
  return { view: { kind: 'browser', destination: name, url, expiresAtMs: nowMs() + waitSec * 1000 }, wait };
}

function exchangeFailure(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason;
  if (error instanceof OAuthRefused) return new HoistError('auth-failed', `Box refused the sign-in (${error.message}). Run hoist login again.`);
  if (error instanceof UploadFailure) return new HoistError('auth-failed', `Could not finish the sign-in: ${error.message}. Run hoist login again.`);
  if ((error as Error).name === 'TimeoutError') return new HoistError('auth-failed', 'Box did not answer the sign-in within a minute. Run hoist login again.');
  return error instanceof Error ? error : new Error(userMessage(error));
}
