import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BoxEmulator, type BoxEmulatorOptions } from '../emulators/box-emulator.js';
import { loginDestination, type LoginIo, type LoginOptions } from '../../main/app/cli/login-command.js';
import { credentialsFor } from '../../main/app/credentials/credentials-registry.js';
import { CredentialStore } from '../../main/app/credentials/credential-store.js';
import { clientSecretKey, type OAuthTokenSource } from '../../main/app/credentials/oauth-token-source.js';
import { HoistError } from '../../main/domain/hoist-error.js';
import { BoxProtocol } from '../../main/protocols/box-protocol.js';
import { createPkce, exchangeBoxCode } from '../../main/protocols/oauth-box.js';
import { OAuthRefused, refreshAccessToken, type BoxOAuthConfig } from '../../main/protocols/oauth-client.js';
import type { DestinationRow } from '../../main/store/destinations-repo.js';
import { fastSleep, makeOAuthWorld, type OAuthWorld } from '../support/oauth-harness.js';
import { removeDir, sha256File, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const CLIENT_ID = 'box-test-client';
const CLIENT_SECRET = 'box-test-secret';

interface Setup {
  dir: string;
  box: BoxEmulator;
  world: OAuthWorld;
  dest: DestinationRow;
  stderr: string[];
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(opts: Partial<BoxEmulatorOptions> = {}, token: Partial<OAuthTokenSource> = {}): Promise<Setup> {
  const dir = tempDir('oauth-box');
  cleanups.push(() => removeDir(dir));
  const box = await BoxEmulator.start({ storageDir: join(dir, 'server'), ...opts });
  cleanups.push(() => box.close());
  const world = makeOAuthWorld(dir, { BOX_CLIENT_SECRET: CLIENT_SECRET });
  cleanups.push(() => world.ctx.store.close());
  const dest = world.addDestination(
    'box',
    'box',
    { uploadEndpoint: box.uploadBaseUrl, apiEndpoint: box.apiBaseUrl, folderId: '0' },
    { kind: 'oauth', clientId: CLIENT_ID, authorizeUrl: box.authorizeUrl, tokenUrl: box.tokenUrl, ...token },
  );
  // What `dest add --client-secret` stores (tests with clientSecretEnv read BOX_CLIENT_SECRET instead).
  world.ctx.secrets.set(clientSecretKey('box'), CLIENT_SECRET);
  return { dir, box, world, dest, stderr: [] };
}

/** Plays the user's browser: opens the authorize URL, follows Box's redirect to the loopback server, reads the page. */
async function browse(authorizeUrl: string, extraQuery = ''): Promise<{ redirect: URL; status: number; page: string }> {
  const answer = await fetch(authorizeUrl + extraQuery, { redirect: 'manual' });
  expect(answer.status).toBe(302);
  const redirect = new URL(answer.headers.get('location')!);
  const page = await fetch(redirect);
  return { redirect, status: page.status, page: await page.text() };
}

/** A login whose "browser" is `browse`; resolves with the login's line and what the browser saw. */
async function loginWithBrowser(s: Setup, options: LoginOptions = {}, extraQuery = '', signal = new AbortController().signal) {
  let browser: ReturnType<typeof browse> | undefined;
  const io: LoginIo = {
    stderr: (text) => s.stderr.push(text),
    openBrowser: (url) => {
      browser = browse(url, extraQuery);
    },
  };
  const login = loginDestination(s.world.ctx, 'box', options, io, signal);
  const line = await login.catch((e: unknown) => e);
  return { line, browser: await browser! };
}

function printedUrl(s: Setup): URL {
  const match = /^ {2}(http\S+)$/m.exec(s.stderr.join(''));
  if (!match) throw new Error(`no URL printed: ${s.stderr.join('')}`);
  return new URL(match[1]!);
}

function boxProtocol(s: Setup): BoxProtocol {
  const { ctx } = s.world;
  return new BoxProtocol({
    uploadEndpoint: s.box.uploadBaseUrl,
    apiEndpoint: s.box.apiBaseUrl,
    folderId: '0',
    conflictPolicy: 'version',
    maxParallelParts: 2,
    sleep: fastSleep,
    accessToken: () => credentialsFor(s.dest, ctx.secrets, ctx.env).getAccessToken(),
  });
}

const boxConfig = (s: Setup): BoxOAuthConfig => ({ provider: 'box', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authorizeUrl: s.box.authorizeUrl, tokenUrl: s.box.tokenUrl });

describe('hoist login: Box authorization code + PKCE with a loopback redirect', () => {
  it('prints the authorize URL, receives the redirect on 127.0.0.1, exchanges the code and stores the tokens', async () => {
    const s = await setup();
    const { line, browser } = await loginWithBrowser(s);

    expect(line).toBe('Signed in: destination "box" is ready (tokens stored in a file only you can read; Hoist renews the access token on its own).');
    const url = printedUrl(s);
    expect(`${url.origin}${url.pathname}`).toBe(s.box.authorizeUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/),
      state: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(browser.redirect.searchParams.get('state')).toBe(url.searchParams.get('state'));
    expect(browser.status).toBe(200);
    expect(browser.page).toContain('You can close this tab');
    expect(s.box.signIn.stats).toMatchObject({ authorizations: 1, codeExchanges: 1 });

    const tokens = new CredentialStore(s.world.ctx.secrets, 'box').load()!;
    expect(tokens.accessToken).toMatch(/^box-access\./);
    expect(tokens.refreshToken).toMatch(/^box-refresh\./);
    expect(s.stderr.join('') + String(line)).not.toContain(tokens.accessToken);
    expect(s.stderr.join('')).not.toContain(CLIENT_SECRET);
    // The loopback server is gone once the login finished.
    await expect(fetch(browser.redirect)).rejects.toThrow();
  });

  it('reads the client secret from the environment variable named at dest add', async () => {
    const s = await setup({}, { clientSecretEnv: 'BOX_CLIENT_SECRET' });
    s.world.ctx.secrets.delete(clientSecretKey('box'));
    const { line } = await loginWithBrowser(s);
    expect(line).toMatch(/^Signed in/);
  });

  it('a denied authorization ends the login with a clear error; the browser is told too; nothing is stored', async () => {
    const s = await setup();
    const { line, browser } = await loginWithBrowser(s, {}, '&deny=1');
    expect(line).toBeInstanceOf(HoistError);
    expect(line).toMatchObject({ code: 'auth-failed', message: 'The sign-in was not completed: access_denied – The user denied access to your application.' });
    expect(browser.status).toBe(400);
    expect(browser.page).toContain('Access was not granted (access_denied)');
    expect(new CredentialStore(s.world.ctx.secrets, 'box').load()).toBeUndefined();
  });

  it('a redirect with another state is turned away and does not end the wait', async () => {
    const s = await setup();
    let forged: Response | undefined;
    const io: LoginIo = {
      stderr: (text) => s.stderr.push(text),
      openBrowser: (url) => {
        const redirectUri = new URL(url).searchParams.get('redirect_uri')!;
        void (async () => {
          forged = await fetch(`${redirectUri}?code=stolen&state=forged`);
          await browse(url);
        })();
      },
    };
    expect(await loginDestination(s.world.ctx, 'box', {}, io, new AbortController().signal)).toMatch(/^Signed in/);
    expect(forged?.status).toBe(400);
    expect(s.box.signIn.stats.codeExchanges).toBe(1);
  });

  it('--no-browser only prints the URL, and the wait is bounded', async () => {
    const s = await setup();
    let opened = 0;
    const io: LoginIo = { stderr: (text) => s.stderr.push(text), openBrowser: () => opened++ };
    const startedMs = Date.now();
    await expect(loginDestination(s.world.ctx, 'box', { browser: false, wait: 0.3 }, io, new AbortController().signal)).rejects.toMatchObject({
      code: 'auth-failed',
      message: 'No answer came back from the browser within 1 second. Run hoist login again.',
    });
    expect(Date.now() - startedMs).toBeLessThan(2_000);
    expect(opened).toBe(0);
    await expect(fetch(new URL(printedUrl(s).searchParams.get('redirect_uri')!))).rejects.toThrow();
  });

  it('Ctrl-C while waiting for the browser cancels cleanly and frees the port', async () => {
    const s = await setup();
    const controller = new AbortController();
    const io: LoginIo = { stderr: (text) => s.stderr.push(text), openBrowser: () => undefined };
    const login = loginDestination(s.world.ctx, 'box', { port: 0 }, io, controller.signal);
    await waitFor(() => /Waiting for the browser/.test(s.stderr.join('')), 5_000, 'the wait');
    controller.abort(new HoistError('cancelled', 'Sign-in cancelled; nothing was stored.'));
    await expect(login).rejects.toMatchObject({ code: 'cancelled' });
    await expect(fetch(new URL(printedUrl(s).searchParams.get('redirect_uri')!))).rejects.toThrow();
    expect(new CredentialStore(s.world.ctx.secrets, 'box').load()).toBeUndefined();
  });

  it('the emulated Box verifies PKCE and single-use codes, and rotates refresh tokens', async () => {
    const s = await setup();
    const config = boxConfig(s);
    const signal = new AbortController().signal;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const codeFor = async (challenge: string) => {
      const answer = await fetch(`${s.box.authorizeUrl}?response_type=code&client_id=${CLIENT_ID}&redirect_uri=${encodeURIComponent(redirectUri)}&state=x&code_challenge=${challenge}&code_challenge_method=S256`, { redirect: 'manual' });
      return new URL(answer.headers.get('location')!).searchParams.get('code')!;
    };
    const pkce = createPkce();
    const wrong = await exchangeBoxCode(config, { code: await codeFor(pkce.challenge), redirectUri, codeVerifier: createPkce().verifier }, signal).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OAuthRefused);
    expect(wrong).toMatchObject({ error: 'invalid_grant', description: 'The code_verifier does not match the code_challenge' });

    const code = await codeFor(pkce.challenge);
    const grant = await exchangeBoxCode(config, { code, redirectUri, codeVerifier: pkce.verifier }, signal);
    await expect(exchangeBoxCode(config, { code, redirectUri, codeVerifier: pkce.verifier }, signal)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(exchangeBoxCode({ ...config, clientSecret: 'nope' }, { code: await codeFor(pkce.challenge), redirectUri, codeVerifier: pkce.verifier }, signal)).rejects.toMatchObject({
      error: 'invalid_client',
    });

    const next = await refreshAccessToken(config, grant.refreshToken!, signal);
    expect(next.refreshToken).not.toBe(grant.refreshToken);
    await expect(refreshAccessToken(config, grant.refreshToken!, signal)).rejects.toMatchObject({ error: 'invalid_grant', description: 'Refresh token has expired' });
    expect((await refreshAccessToken(config, next.refreshToken!, signal)).accessToken).toMatch(/^box-access\./);
  });
});

describe('refresh during a Box upload (every part carries the bearer token)', () => {
  // Above Box's 20,000,000-byte chunked minimum; 2 MiB parts make many part requests over the upload.
  const SIZE = 21_000_005;
  const chunked: Partial<BoxEmulatorOptions> = { partSizeBytes: () => 2 * MiB };

  async function startUpload(s: Setup) {
    await loginWithBrowser(s);
    const file = join(s.dir, 'big.bin');
    writeRandomFile(file, SIZE);
    const job = await s.world.addJob(s.dest, file, '/big.bin');
    return { file, run: s.world.scheduler(() => boxProtocol(s)).run([job]) };
  }

  it('tokens living 1 s over a 4 s upload: refreshed before expiry several times, one session, nothing sent twice', async () => {
    const s = await setup({ ...chunked, accessTokenTtlMs: 1_000, throughputBytesPerSec: 5 * MiB });
    const { file, run } = await startUpload(s);

    expect(await run).toEqual([expect.objectContaining({ state: 'done' })]);
    expect(s.box.files()[0]!.sha256).toBe(await sha256File(file));
    const sessions = s.box.sessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ state: 'committed', partsStored: 11 });
    expect(sessions[0]!.bytesReceivedTotal).toBe(SIZE);
    expect(s.box.signIn.stats.refreshes).toBeGreaterThanOrEqual(3);
    expect(s.box.requests.filter((r) => r.status === 401)).toEqual([]);
  });

  it('a token the server expires early: each 401 expired_token is answered with a refresh, progress is kept', async () => {
    // Advertised 3600 s, so only the 401 path notices; the test expires the token twice mid-upload.
    const s = await setup({ ...chunked, tokenExpiresInSec: 3600, throughputBytesPerSec: 5 * MiB });
    const { file, run } = await startUpload(s);
    const stored = () => s.box.sessions()[0]?.partsStored ?? 0;
    await waitFor(() => stored() >= 3, 20_000, 'a few parts');
    s.box.expireAccessToken();
    await waitFor(() => stored() >= 6 && s.box.signIn.stats.refreshes >= 1, 20_000, 'more parts after the first refresh');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    s.box.expireAccessToken();

    expect(await run).toEqual([expect.objectContaining({ state: 'done' })]);
    expect(s.box.files()[0]!.sha256).toBe(await sha256File(file));
    const sessions = s.box.sessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.state).toBe('committed');
    // Parts in flight when the token died were finished, not re-sent: the bytes crossed the wire once.
    expect(sessions[0]!.bytesReceivedTotal).toBe(SIZE);
    expect(s.box.signIn.stats.refreshes).toBe(2);
    expect(s.world.refreshHookCalls).toBe(2);
    const refused = s.box.requests.filter((r) => r.status === 401);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((r) => r.bodyBytes === 0)).toBe(true);
    expect(s.world.events.filter((e) => e.type === 'job-retrying' && /expired.*signed in again/.test(e.reason))).toHaveLength(2);
  });
});
