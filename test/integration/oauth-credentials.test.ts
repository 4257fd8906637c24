import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SecretStore, type SecretCipher } from '../../main/app/secret-store.js';
import { CredentialStore } from '../../main/app/credentials/credential-store.js';
import { TokenManager } from '../../main/app/credentials/token-manager.js';
import { oauthSourceFrom, saveOAuthSecrets } from '../../main/app/credentials/oauth-setup.js';
import { UploadFailure } from '../../main/domain/failure.js';
import { HoistError } from '../../main/domain/hoist-error.js';
import { OAuthRefused, type OAuthConfig, type TokenGrant } from '../../main/protocols/oauth-client.js';
import { removeDir, tempDir } from '../support/cli.js';

const MIN = 60_000;
const CONFIG: OAuthConfig = { provider: 'box', clientId: 'c', clientSecret: 's', authorizeUrl: 'https://a.test/authorize', tokenUrl: 'https://a.test/token' };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function secrets(cipher?: SecretCipher): { store: SecretStore; file: string; dir: string } {
  const dir = tempDir('oauth-credentials');
  dirs.push(dir);
  return { store: new SecretStore(dir, cipher), file: join(dir, 'secrets.json'), dir };
}

/** A token endpoint that rotates refresh tokens like Box, counts calls, and can be told to fail. */
function fakeServer() {
  let n = 0;
  const server = {
    calls: 0,
    used: [] as string[],
    fail: undefined as Error | undefined,
    gate: undefined as Promise<void> | undefined,
    grant: async (_config: OAuthConfig, refreshToken: string): Promise<TokenGrant> => {
      server.calls++;
      server.used.push(refreshToken);
      await server.gate;
      if (server.fail) throw server.fail;
      n++;
      return { accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresInSec: 3600, scope: undefined };
    },
  };
  return server;
}

function manager(store: SecretStore, clock: { now: number }, server: ReturnType<typeof fakeServer>, name = 'box') {
  return new TokenManager({ config: CONFIG, store: new CredentialStore(store, name), nowMs: () => clock.now, refreshGrant: server.grant });
}

const signedIn = { accessToken: 'access-0', refreshToken: 'refresh-0', expiresInSec: 3600, scope: undefined };

describe('token manager', () => {
  it('hands out the stored token while fresh and refreshes 5 minutes before expiry, storing the rotated refresh token', async () => {
    const { store } = secrets();
    const clock = { now: 0 };
    const server = fakeServer();
    const m = manager(store, clock, server);
    m.saveGrant(signedIn);
    clock.now = 54 * MIN;
    expect(await m.getAccessToken()).toBe('access-0');
    expect(server.calls).toBe(0);
    clock.now = 55 * MIN;
    expect(await m.getAccessToken()).toBe('access-1');
    expect(server.used).toEqual(['refresh-0']);
    const stored = JSON.parse(store.get('oauth:box')!) as Record<string, unknown>;
    expect(stored).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1', expiresAtMs: 55 * MIN + 3600_000, issuedAtMs: 55 * MIN });
    // The next refresh uses the rotated token, never the spent one.
    clock.now = 200 * MIN;
    expect(await m.getAccessToken()).toBe('access-2');
    expect(server.used).toEqual(['refresh-0', 'refresh-1']);
  });

  it('single flight: concurrent callers share one refresh', async () => {
    const { store } = secrets();
    const clock = { now: 0 };
    const server = fakeServer();
    let open!: () => void;
    server.gate = new Promise<void>((resolve) => (open = resolve));
    const m = manager(store, clock, server);
    m.saveGrant(signedIn);
    clock.now = 59 * MIN;
    const callers = Array.from({ length: 10 }, () => m.getAccessToken());
    const forced = m.forceRefresh();
    open();
    expect(await Promise.all(callers)).toEqual(Array(10).fill('access-1'));
    expect(await forced).toBe(true);
    expect(server.calls).toBe(1);
  });

  it('forceRefresh refreshes a token the server refused, but a second 401 right after a refresh does not rotate again', async () => {
    const { store } = secrets();
    const clock = { now: 0 };
    const server = fakeServer();
    const m = manager(store, clock, server);
    m.saveGrant(signedIn);
    clock.now = 10 * MIN;
    expect(await m.forceRefresh()).toBe(true);
    expect(await m.getAccessToken()).toBe('access-1');
    clock.now += 500;
    expect(await m.forceRefresh()).toBe(true);
    expect(server.calls).toBe(1);
    clock.now += 1_000;
    expect(await m.forceRefresh()).toBe(true);
    expect(await m.getAccessToken()).toBe('access-2');
  });

  it('not signed in, no refresh token, or a refused refresh: a clear "hoist login NAME" error', async () => {
    const { store } = secrets();
    const clock = { now: 0 };
    const server = fakeServer();
    const m = manager(store, clock, server, 'work');
    await expect(m.getAccessToken()).rejects.toThrow('Destination "work" is not signed in. Sign in with: hoist login work');

    m.saveGrant({ ...signedIn, refreshToken: undefined });
    clock.now = 59 * MIN;
    await expect(m.getAccessToken()).rejects.toMatchObject({ code: 'auth-failed', message: expect.stringMatching(/no refresh token.*Sign in again with: hoist login work$/) });

    m.saveGrant(signedIn);
    server.fail = new OAuthRefused('invalid_grant', 'Invalid refresh token', 400);
    const refused = await m.forceRefresh().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HoistError);
    expect((refused as HoistError).code).toBe('auth-failed');
    expect((refused as HoistError).message).toBe(
      'Destination "work" needs a new sign-in: the sign-in server refused the refresh token (invalid_grant). Sign in again with: hoist login work',
    );
    expect(JSON.stringify(refused)).not.toContain('refresh-0');
  });

  it('the sign-in server being down does not stop uploads while the token is still valid', async () => {
    const { store } = secrets();
    const clock = { now: 0 };
    const server = fakeServer();
    const m = manager(store, clock, server);
    m.saveGrant(signedIn);
    server.fail = new UploadFailure({ kind: 'retry', reason: 'network error talking to a.test: ECONNREFUSED' });
    clock.now = 56 * MIN;
    expect(await m.getAccessToken()).toBe('access-0');
    // Within 15 s of the failure the refresh is not hammered.
    clock.now += 5_000;
    expect(await m.getAccessToken()).toBe('access-0');
    expect(server.calls).toBe(1);
    // Expired and still unreachable: the classified transient failure reaches the scheduler (it retries later).
    clock.now = 61 * MIN;
    await expect(m.getAccessToken()).rejects.toBeInstanceOf(UploadFailure);
    server.fail = undefined;
    expect(await m.getAccessToken()).toBe('access-1');
  });

  it('adopts tokens another process refreshed (rotation race) instead of signing the user out', async () => {
    const { store } = secrets();
    const clock = { now: 0 };
    const server = fakeServer();
    const here = manager(store, clock, server);
    here.saveGrant(signedIn);
    expect(await here.getAccessToken()).toBe('access-0');
    // The desktop app (another manager on the same file) refreshes first and rotates refresh-0 away.
    clock.now = 56 * MIN;
    const there = manager(store, clock, server);
    expect(await there.getAccessToken()).toBe('access-1');
    // Our cached copy is due: we read the store first and take its fresh token without a second refresh.
    expect(await here.getAccessToken()).toBe('access-1');
    expect(server.calls).toBe(1);
  });
});

describe('secret store at rest', () => {
  const xorCipher = (isAvailable: boolean): SecretCipher => ({
    isAvailable,
    encrypt: (s) => Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ 0x5a)).toString('base64'),
    decrypt: (s) => Buffer.from(Buffer.from(s, 'base64').map((b) => b ^ 0x5a)).toString('utf8'),
  });

  it('with a cipher: values are not stored as plain text, read back intact, and the file is mode 0600', () => {
    const { store, file, dir } = secrets(xorCipher(true));
    expect(store.isEncryptedAtRest).toBe(true);
    const m = new TokenManager({ config: CONFIG, store: new CredentialStore(store, 'box') });
    m.saveGrant({ accessToken: 'very-secret-access', refreshToken: 'very-secret-refresh', expiresInSec: 3600, scope: undefined });
    store.set('destination:api', 'api-key-123');
    const raw = readFileSync(file, 'utf8');
    expect(raw).not.toContain('very-secret');
    expect(raw).not.toContain('api-key-123');
    expect(JSON.parse(raw)).toMatchObject({ 'destination:api': { enc: expect.any(String) }, 'oauth:box': { enc: expect.any(String) } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new SecretStore(dir, xorCipher(true)).get('destination:api')).toBe('api-key-123');
    // A process without the keychain (the CLI reading the desktop app's store) gets a clear error, not garbage.
    expect(() => new SecretStore(dir).get('destination:api')).toThrow(/encrypted with the OS keychain/);
  });

  it('without a cipher, or when the OS has no keychain: plain values in a 0600 file, as before', () => {
    for (const cipher of [undefined, xorCipher(false)]) {
      const { store, file } = secrets(cipher);
      expect(store.isEncryptedAtRest).toBe(false);
      store.set('destination:api', 'api-key-123');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'destination:api': 'api-key-123' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      store.delete('destination:api');
      expect(store.get('destination:api')).toBeUndefined();
    }
  });

  it('a cipher reads values stored before it was available (plain) and encrypts them on the next write', () => {
    const { store, file, dir } = secrets();
    store.set('destination:old', 'plain-old');
    const encrypted = new SecretStore(dir, xorCipher(true));
    expect(encrypted.get('destination:old')).toBe('plain-old');
    encrypted.set('destination:old', encrypted.get('destination:old')!);
    expect(readFileSync(file, 'utf8')).not.toContain('plain-old');
  });
});

describe('dest add sign-in options (oauthSourceFrom)', () => {
  const check = (value: string, flag: string) => {
    if (!/^https:\/\/|^http:\/\/127\./.test(value)) throw new HoistError('invalid-argument', `${flag} must use https`);
    return value.replace(/\/+$/, '');
  };

  it('builds the token source without the client secret; the secret goes to the token store', () => {
    expect(oauthSourceFrom('graph', { clientId: 'app', tenant: 'contoso.onmicrosoft.com', authority: 'https://login.microsoftonline.us/' }, check)).toEqual({
      kind: 'oauth',
      clientId: 'app',
      tenant: 'contoso.onmicrosoft.com',
      authority: 'https://login.microsoftonline.us',
    });
    expect(oauthSourceFrom('box', { clientId: 'app', clientSecret: 's3cret', tokenUrl: 'http://127.0.0.1:9/oauth2/token' }, check)).toEqual({
      kind: 'oauth',
      clientId: 'app',
      tokenUrl: 'http://127.0.0.1:9/oauth2/token',
    });
    expect(oauthSourceFrom('box', { clientId: 'app', clientSecretEnv: 'BOX_SECRET' }, check)).toEqual({ kind: 'oauth', clientId: 'app', clientSecretEnv: 'BOX_SECRET' });
    const { store } = secrets();
    saveOAuthSecrets(store, 'bx', { clientId: 'app', clientSecret: 's3cret' });
    expect(store.get('oauth-client-secret:bx')).toBe('s3cret');
  });

  it('without --client-id there is no sign-in, and sign-in flags alone are a mistake', () => {
    expect(oauthSourceFrom('graph', { token: 't' }, check)).toBeUndefined();
    expect(() => oauthSourceFrom('graph', { tenant: 'common' }, check)).toThrow('--tenant applies only with --client-id (sign-in).');
  });

  it.each([
    ['apideck', { clientId: 'a' }, '--client-id (sign-in) is available for graph and box destinations, not apideck.'],
    ['graph', { clientId: 'a', tokenEnv: 'T' }, 'Give either --client-id (then sign in with hoist login) or --token / --token-env, not both.'],
    ['box', { clientId: 'a' }, "Box sign-in needs the app's client secret: --client-secret SECRET or --client-secret-env VARIABLE."],
    ['box', { clientId: 'a', clientSecret: 's', clientSecretEnv: 'S' }, 'Give either --client-secret or --client-secret-env, not both.'],
    ['box', { clientId: 'a', clientSecret: 's', tenant: 'common' }, '--tenant applies only to graph destinations.'],
    ['graph', { clientId: 'a', authorizeUrl: 'https://x.test/a' }, '--authorize-url applies only to box destinations.'],
    ['graph', { clientId: 'a', authority: 'http://evil.test' }, '--authority must use https'],
    ['graph', { clientId: 'a', tenant: 'a/b' }, '--tenant must be common, organizations, consumers, a tenant id or a domain, got "a/b".'],
  ] as const)('%s %j is refused', (provider, opts, message) => {
    expect(() => oauthSourceFrom(provider, opts, check)).toThrow(message);
  });
});
