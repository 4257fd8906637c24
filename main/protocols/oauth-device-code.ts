import * as z from 'zod';
import { HoistError } from '../domain/hoist-error.js';
import { UploadFailure } from '../domain/failure.js';
import { parseJson, safeHost } from './http.js';
import { microsoftBase, OAuthRefused, oauthFailure, postForm, postTokenForm, tokenUrlOf, type MicrosoftOAuthConfig, type TokenGrant } from './oauth-client.js';

/** What the user needs to sign in on another device, and what we poll with. */
export interface DeviceCodeChallenge {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  expiresInSec: number;
  intervalSec: number;
  /** The server's own instruction ("To sign in, use a web browser to open the page … and enter the code …"). */
  message: string;
}

export interface DevicePollDeps {
  nowMs: () => number;
  /** Resolves after ms, or rejects with the signal's reason when it aborts first (Ctrl-C). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

const challengeSchema = z.object({
  device_code: z.string().min(1),
  user_code: z.string().min(1),
  verification_uri: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  interval: z.coerce.number().nonnegative().optional(),
  message: z.string().optional(),
});

/** RFC 8628 §3.5: the default poll interval, and how much a slow_down adds to it. */
const DEFAULT_INTERVAL_SEC = 5;
const SLOW_DOWN_STEP_SEC = 5;
/** Transient failures of a poll (network, 5xx) tolerated in a row before giving up. */
const MAX_TRANSIENT_POLL_FAILURES = 5;

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** POST {authority}/{tenant}/oauth2/v2.0/devicecode: starts the OAuth 2.0 device authorization grant. */
export async function requestDeviceCode(config: MicrosoftOAuthConfig, signal: AbortSignal): Promise<DeviceCodeChallenge> {
  const url = `${microsoftBase(config)}/devicecode`;
  const reply = await postForm(url, { client_id: config.clientId, scope: config.scope }, signal);
  if (reply.status !== 200) {
    const failure = oauthFailure(reply, url);
    if (failure instanceof OAuthRefused) throw new HoistError('auth-failed', `Microsoft refused to start the sign-in: ${failure.message}`);
    throw new HoistError('auth-failed', `Cannot start the sign-in: ${failure.message}`);
  }
  const parsed = challengeSchema.safeParse(parseJson(reply.text));
  if (!parsed.success) throw new HoistError('server-malformed-reply', `${safeHost(url)} sent a device code reply Hoist does not understand.`);
  const c = parsed.data;
  return {
    deviceCode: c.device_code,
    userCode: c.user_code,
    verificationUri: c.verification_uri,
    expiresInSec: c.expires_in,
    intervalSec: c.interval ?? DEFAULT_INTERVAL_SEC,
    message: c.message ?? `To sign in, open ${c.verification_uri} and enter the code ${c.user_code}`,
  };
}

/**
 * Polls the token endpoint until the user approved (tokens), declined, or the code expired. Waits `interval` between
 * polls, 5 s longer after each slow_down, and never past the code's expiry.
 */
export async function pollDeviceCode(
  config: MicrosoftOAuthConfig,
  challenge: DeviceCodeChallenge,
  deps: DevicePollDeps,
  signal: AbortSignal,
): Promise<TokenGrant> {
  const deadlineMs = deps.nowMs() + challenge.expiresInSec * 1000;
  let intervalMs = challenge.intervalSec * 1000;
  let transientFailures = 0;
  const form: Record<string, string> = { grant_type: DEVICE_CODE_GRANT, client_id: config.clientId, device_code: challenge.deviceCode };
  if (config.clientSecret) form.client_secret = config.clientSecret;
  for (;;) {
    const waitMs = Math.min(intervalMs, Math.max(0, deadlineMs - deps.nowMs()));
    await deps.sleep(waitMs, signal);
    if (deps.nowMs() >= deadlineMs) throw expired();
    try {
      return await postTokenForm(tokenUrlOf(config), form, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      if (error instanceof UploadFailure) {
        if (++transientFailures > MAX_TRANSIENT_POLL_FAILURES) throw new HoistError('auth-failed', `Sign-in stopped: ${error.message}`);
        continue;
      }
      if (!(error instanceof OAuthRefused)) throw error;
      transientFailures = 0;
      switch (error.error) {
        case 'authorization_pending':
          continue;
        case 'slow_down':
          intervalMs += SLOW_DOWN_STEP_SEC * 1000;
          continue;
        case 'expired_token':
        case 'code_expired':
          throw expired();
        case 'access_denied':
        case 'authorization_declined':
          throw new HoistError('auth-failed', 'The sign-in was declined, so Hoist got no access. Run hoist login again to retry.');
        default:
          throw new HoistError('auth-failed', `Microsoft refused the sign-in: ${error.message}`);
      }
    }
  }
}

function expired(): HoistError {
  return new HoistError('auth-failed', 'The sign-in code expired before it was used. Run hoist login again for a new code.');
}
