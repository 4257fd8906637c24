/**
 * The Microsoft identity platform endpoints the Graph emulator needs for sign-in (an addition to the Graph emulator):
 * `POST /{tenant}/oauth2/v2.0/devicecode` and `POST /{tenant}/oauth2/v2.0/token` (device_code and refresh_token
 * grants). A device code stays pending until the test approves or denies it, as a user on another device would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ThroughputCap } from './faults.js';
import { consumeBody } from './graph-body.js';
import type { Outcome, RequestContext } from './graph-session-model.js';
import { newOpaqueToken, oauthErrorBody, parseForm } from './oauth-wire.js';

export interface GraphOAuthSettings {
  /** The emulator's own URL: verification_uri is `{baseUrl}/devicelogin`. */
  baseUrl: string;
  clientId: string;
  /** What token replies advertise as expires_in. */
  tokenExpiresInSec: number;
  deviceCodeIntervalSec: number;
  deviceCodeTtlMs: number;
}

export interface DeviceCodeView {
  userCode: string;
  state: 'pending' | 'approved' | 'denied' | 'redeemed';
  polls: number;
  tenant: string;
  scope: string;
}

interface DeviceCode extends DeviceCodeView {
  deviceCode: string;
  expiresAtMs: number;
}

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The emulator options sign-in reads (see GraphEmulatorOptions). */
export interface GraphOAuthOptions {
  oauthClientId?: string;
  accessTokenTtlMs?: number;
  tokenExpiresInSec?: number;
  deviceCodeIntervalSec?: number;
  deviceCodeTtlMs?: number;
}

export class GraphOAuth {
  /** Live counters: device codes started, polls, refreshes granted and refused. */
  readonly stats = { deviceCodeRequests: 0, polls: 0, refreshes: 0, refusedRefreshes: 0 };
  private readonly codes = new Map<string, DeviceCode>();
  private readonly refreshTokens = new Set<string>();
  private slowDowns = 0;

  /** `issue` makes a new access token the accepted one and returns it. */
  constructor(
    private readonly settings: GraphOAuthSettings,
    private readonly issue: () => string,
  ) {}

  deviceCode(form: Record<string, string>, tenant: string): Outcome {
    this.stats.deviceCodeRequests++;
    if (form.client_id !== this.settings.clientId) return unknownClient(form.client_id);
    if (!form.scope) return aadError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const userCode = randomBytes(6).toString('base64url').replace(/[-_]/g, 'X').slice(0, 8).toUpperCase();
    const code: DeviceCode = {
      deviceCode: newOpaqueToken('graph-device-code'),
      userCode,
      state: 'pending',
      polls: 0,
      tenant,
      scope: form.scope,
      expiresAtMs: Date.now() + this.settings.deviceCodeTtlMs,
    };
    this.codes.set(code.deviceCode, code);
    const verificationUri = `${this.settings.baseUrl}/devicelogin`;
    return {
      status: 200,
      plain: true,
      body: {
        user_code: userCode,
        device_code: code.deviceCode,
        verification_uri: verificationUri,
        expires_in: Math.round(this.settings.deviceCodeTtlMs / 1000),
        interval: this.settings.deviceCodeIntervalSec,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
      },
    };
  }

  token(form: Record<string, string>): Outcome {
    if (form.client_id !== this.settings.clientId) return unknownClient(form.client_id);
    switch (form.grant_type) {
      case DEVICE_CODE_GRANT:
        return this.pollDeviceCode(form);
      case 'refresh_token':
        return this.refresh(form);
      default:
        return aadError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type ?? ''}'.`);
    }
  }

  static create(opts: GraphOAuthOptions, baseUrl: string, issue: () => string): GraphOAuth {
    const ttlSec = opts.accessTokenTtlMs === undefined ? undefined : Math.floor(opts.accessTokenTtlMs / 1000);
    const settings: GraphOAuthSettings = {
      baseUrl,
      clientId: opts.oauthClientId ?? 'graph-test-client',
      tokenExpiresInSec: opts.tokenExpiresInSec ?? ttlSec ?? 3599,
      deviceCodeIntervalSec: opts.deviceCodeIntervalSec ?? 5,
      deviceCodeTtlMs: opts.deviceCodeTtlMs ?? 15 * 60_000,
    };
    return new GraphOAuth(settings, issue);
  }

  approve(userCode: string): void {
    this.byUserCode(userCode).state = 'approved';
  }

  deny(userCode: string): void {
    this.byUserCode(userCode).state = 'denied';
  }

  /** The user never came: the code is past its lifetime. */
  expire(userCode: string): void {
    this.byUserCode(userCode).expiresAtMs = Date.now();
  }

  /** The next n polls answer slow_down (a client polling too fast). */
  slowDownNextPolls(n: number): void {
    this.slowDowns = n;
  }

  /** Every refresh token issued so far stops working (the user revoked the sessions, or a password changed). */
  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
  }

  deviceCodes(): DeviceCodeView[] {
    return [...this.codes.values()].map(({ userCode, state, polls, tenant, scope }) => ({ userCode, state, polls, tenant, scope }));
  }

  private pollDeviceCode(form: Record<string, string>): Outcome {
    this.stats.polls++;
    const code = this.codes.get(form.device_code ?? '');
    if (!code || code.state === 'redeemed') return aadError('invalid_grant', 70000, 'The provided value for the input parameter device_code is not valid.');
    code.polls++;
    if (Date.now() >= code.expiresAtMs) return aadError('expired_token', 70020, 'The provided value for the input parameter device_code has expired.');
    if (code.state === 'denied') return aadError('authorization_declined', 70000, 'The user declined the authorization request.');
    if (this.slowDowns > 0) {
      this.slowDowns--;
      return aadError('slow_down', 70016, 'The client is polling too quickly. Slow down.');
    }
    if (code.state === 'pending') return aadError('authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    code.state = 'redeemed';
    return this.grant(code.scope);
  }

  private refresh(form: Record<string, string>): Outcome {
    const token = form.refresh_token ?? '';
    if (!this.refreshTokens.has(token)) {
      this.stats.refusedRefreshes++;
      return aadError('invalid_grant', 70043, 'The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.');
    }
    this.stats.refreshes++;
    return this.grant(form.scope ?? 'offline_access Files.ReadWrite.All');
  }

  private grant(scope: string): Outcome {
    const refreshToken = newOpaqueToken('graph-refresh');
    this.refreshTokens.add(refreshToken);
    const hasOffline = scope.split(/\s+/).includes('offline_access');
    return {
      status: 200,
      plain: true,
      body: {
        token_type: 'Bearer',
        scope: scope.split(/\s+/).filter((s) => s !== 'offline_access').join(' '),
        expires_in: this.settings.tokenExpiresInSec,
        ext_expires_in: this.settings.tokenExpiresInSec,
        access_token: this.issue(),
        ...(hasOffline ? { refresh_token: refreshToken } : {}),
      },
    };
  }

  private byUserCode(userCode: string): DeviceCode {
    const code = [...this.codes.values()].find((c) => c.userCode === userCode);
    if (!code) throw new Error(`graph emulator: no device code with user code ${userCode}`);
    return code;
  }
}

/** Reads an application/x-www-form-urlencoded body (through the throughput cap, counted like every body). */
export async function readForm(ctx: RequestContext, cap: ThroughputCap): Promise<Record<string, string>> {
  ctx.isBodyConsumed = true;
  const chunks: Buffer[] = [];
  await consumeBody(ctx.req, cap, (chunk) => {
    ctx.countBody(chunk.length);
    if (chunks.length < 64) chunks.push(chunk);
  });
  return parseForm(Buffer.concat(chunks));
}

function unknownClient(clientId: string | undefined): Outcome {
  return aadError(
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId ?? ''}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant.`,
  );
}

/** Entra ID's error shape: AADSTS code first in the description, then trace ids on further lines. */
function aadError(error: string, code: number, message: string): Outcome {
  const traceId = randomUUID();
  return {
    status: 400,
    plain: true,
    body: oauthErrorBody(error, `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`, {
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: traceId,
      correlation_id: randomUUID(),
    }),
  };
}
