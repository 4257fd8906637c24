import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { GraphEmulator, type GraphEmulatorOptions } from '../emulators/graph-emulator.js';
import { loginDestination, registerLoginCommand, type LoginIo } from '../../main/app/cli/login-command.js';
import { credentialsFor } from '../../main/app/credentials/credentials-registry.js';
import { CredentialStore } from '../../main/app/credentials/credential-store.js';
import type { OAuthTokenSource } from '../../main/app/credentials/oauth-token-source.js';
import { HoistError } from '../../main/domain/hoist-error.js';
import { GraphProtocol } from '../../main/protocols/graph-protocol.js';
import type { DestinationRow } from '../../main/store/destinations-repo.js';
import { makeOAuthWorld, type OAuthWorld } from '../support/oauth-harness.js';
import { removeDir, sha256File, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
const FRAGMENT = 327_680 * 2;

interface Setup {
  dir: string;
  graph: GraphEmulator;
  world: OAuthWorld;
  dest: DestinationRow;
  stderr: string[];
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(opts: Partial<GraphEmulatorOptions> = {}, token: Partial<OAuthTokenSource> = {}): Promise<Setup> {
  const dir = tempDir('oauth-graph');
  cleanups.push(() => removeDir(dir));
  const graph = await GraphEmulator.start({ storageDir: join(dir, 'server'), ...opts });
  cleanups.push(() => graph.close());
  const world = makeOAuthWorld(dir);
  cleanups.push(() => world.ctx.store.close());
  const dest = world.addDestination(
    'onedrive',
    'graph',
    { endpoint: graph.graphBaseUrl, conflictBehavior: 'replace', fragmentSizeBytes: FRAGMENT },
    { kind: 'oauth', clientId: 'graph-test-client', authority: graph.authorityUrl, ...token },
  );
  return { dir, graph, world, dest, stderr: [] };
}

/** The user: approves the code shown on stderr once `polls` polls have been answered "pending". */
function userApprovesAfter(s: Setup, polls: number, asked: number[]): LoginIo {
  return {
    stderr: (text) => s.stderr.push(text),
    sleep: async (ms, signal) => {
      if (signal.aborted) throw signal.reason;
      asked.push(ms);
      if (asked.length === polls + 1) s.graph.approveDeviceCode(userCodeOf(s));
    },
  };
}

function userCodeOf(s: Setup): string {
  const code = /enter the code (\S+) to authenticate/.exec(s.stderr.join(''))?.[1];
  if (!code) throw new Error(`no code printed: ${s.stderr.join('')}`);
  return code;
}

async function signIn(s: Setup): Promise<void> {
  await loginDestination(s.world.ctx, 'onedrive', {}, userApprovesAfter(s, 1, []), new AbortController().signal);
}

function graphProtocol(s: Setup): GraphProtocol {
  const { ctx } = s.world;
  return new GraphProtocol({
    endpoint: s.graph.graphBaseUrl,
    conflictBehavior: 'replace',
    fragmentSizeBytes: FRAGMENT,
    accessToken: () => credentialsFor(s.dest, ctx.secrets, ctx.env).getAccessToken(),
  });
}

describe('hoist login: Microsoft device code flow against the Graph emulator', () => {
  it('prints the server message, is approved after the first poll, stores the tokens and never prints them', async () => {
    const s = await setup({}, { tenant: 'contoso.onmicrosoft.com' });
    const asked: number[] = [];
    const line = await loginDestination(s.world.ctx, 'onedrive', {}, userApprovesAfter(s, 1, asked), new AbortController().signal);

    const printed = s.stderr.join('');
    expect(printed).toMatch(new RegExp(`^To sign in, use a web browser to open the page ${s.graph.url}/devicelogin and enter the code [A-Z0-9]{8} to authenticate\\.\\n`));
    expect(asked).toEqual([5000, 5000]);
    expect(s.graph.signIn.deviceCodes()).toEqual([expect.objectContaining({ state: 'redeemed', polls: 2, tenant: 'contoso.onmicrosoft.com', scope: 'offline_access Files.ReadWrite.All' })]);
    expect(line).toBe('Signed in: destination "onedrive" is ready (tokens stored in a file only you can read; Hoist renews the access token on its own).');

    const tokens = new CredentialStore(s.world.ctx.secrets, 'onedrive').load()!;
    expect(tokens.accessToken).toMatch(/^graph-access\./);
    expect(tokens.refreshToken).toMatch(/^graph-refresh\./);
    expect(tokens.scope).toBe('Files.ReadWrite.All');
    expect(tokens.expiresAtMs - tokens.issuedAtMs).toBe(3599_000);
    expect(printed + line).not.toContain(tokens.accessToken);
    expect(printed + line).not.toContain(tokens.refreshToken);
    // The stored token works: a file goes up with it.
    const file = join(s.dir, 'small.bin');
    writeRandomFile(file, 1000);
    const job = await s.world.addJob(s.dest, file, '/small.bin');
    expect(await s.world.scheduler(() => graphProtocol(s)).run([job])).toEqual([expect.objectContaining({ state: 'done' })]);
  });

  it('honours slow_down: the interval grows by 5 s and stays there', async () => {
    const s = await setup();
    s.graph.signIn.slowDownNextPolls(1);
    const asked: number[] = [];
    await loginDestination(s.world.ctx, 'onedrive', {}, userApprovesAfter(s, 2, asked), new AbortController().signal);
    expect(asked).toEqual([5000, 10_000, 10_000]);
    expect(s.graph.signIn.stats.polls).toBe(3);
  });

  it('a declined sign-in gives a clear error and stores nothing', async () => {
    const s = await setup();
    const io: LoginIo = {
      stderr: (text) => s.stderr.push(text),
      sleep: async () => s.graph.signIn.deny(userCodeOf(s)),
    };
    const error = await loginDestination(s.world.ctx, 'onedrive', {}, io, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HoistError);
    expect(error).toMatchObject({ code: 'auth-failed', message: 'The sign-in was declined, so Hoist got no access. Run hoist login again to retry.' });
    expect(new CredentialStore(s.world.ctx.secrets, 'onedrive').load()).toBeUndefined();
  });

  it('waits no longer than the code lives: client-side bound and the server’s expired_token', async () => {
    const s = await setup({ deviceCodeTtlMs: 12_000 });
    const clock = { now: 1_000_000 };
    const asked: number[] = [];
    const io: LoginIo = {
      stderr: (text) => s.stderr.push(text),
      nowMs: () => clock.now,
      sleep: async (ms) => {
        asked.push(ms);
        clock.now += ms;
      },
    };
    const error = await loginDestination(s.world.ctx, 'onedrive', {}, io, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'auth-failed', message: 'The sign-in code expired before it was used. Run hoist login again for a new code.' });
    expect(asked).toEqual([5000, 5000, 2000]);

    const server = await setup();
    const absentUser: LoginIo = {
      stderr: (text) => server.stderr.push(text),
      sleep: async () => server.graph.signIn.expire(userCodeOf(server)),
    };
    await expect(loginDestination(server.world.ctx, 'onedrive', {}, absentUser, new AbortController().signal)).rejects.toThrow(/sign-in code expired/);
    expect(server.graph.signIn.deviceCodes()[0]!.polls).toBe(1);
  });

  it('Ctrl-C while waiting cancels cleanly: the command rejects with the cancel reason and stores nothing', async () => {
    const s = await setup({ deviceCodeIntervalSec: 1 });
    const controller = new AbortController();
    const login = loginDestination(s.world.ctx, 'onedrive', {}, { stderr: (text) => s.stderr.push(text) }, controller.signal);
    await waitFor(() => (s.graph.signIn.deviceCodes()[0]?.polls ?? 0) >= 1, 10_000, 'the first poll');
    const startedMs = Date.now();
    controller.abort(new HoistError('cancelled', 'Sign-in cancelled; nothing was stored.'));
    await expect(login).rejects.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - startedMs).toBeLessThan(500);
    expect(new CredentialStore(s.world.ctx.secrets, 'onedrive').load()).toBeUndefined();
  });

  it('`hoist login NAME` is wired through commander: message on stderr, result on stdout', async () => {
    const s = await setup({ deviceCodeIntervalSec: 1 });
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    cleanups.push(() => vi.restoreAllMocks());
    const program = new Command('hoist').exitOverride();
    registerLoginCommand(program, () => s.world.ctx);
    const run = program.parseAsync(['login', 'onedrive'], { from: 'user' });
    await waitFor(() => /enter the code/.test(err.join('')), 10_000, 'the sign-in message');
    s.stderr.push(...err);
    s.graph.approveDeviceCode(userCodeOf(s));
    await run;
    vi.restoreAllMocks();
    expect(out.join('')).toMatch(/^Signed in: destination "onedrive" is ready/);
    expect(new CredentialStore(s.world.ctx.secrets, 'onedrive').load()).toBeDefined();
  });
});

describe('refresh during a Graph upload', () => {
  it('the token expires mid-upload, then the session does: the new session is created after a refresh on 401', async () => {
    // The server lies about the lifetime (3600 s advertised, 1.5 s real), so only the 401 path can save the upload.
    const s = await setup({ accessTokenTtlMs: 1_500, tokenExpiresInSec: 3600, throughputBytesPerSec: 3 * MiB });
    await signIn(s);
    const first = new CredentialStore(s.world.ctx.secrets, 'onedrive').load()!;
    const file = join(s.dir, 'big.bin');
    writeRandomFile(file, 9 * MiB + 7);
    const job = await s.world.addJob(s.dest, file, '/Backups/big.bin');
    const run = s.world.scheduler(() => graphProtocol(s)).run([job]);
    await waitFor(() => (s.graph.sessions()[0]?.receivedBytes ?? 0) >= 3 * MiB && Date.now() - first.issuedAtMs > 2_000, 20_000, 'progress after the token expired');
    s.graph.expireAllSessions();

    expect(await run).toEqual([expect.objectContaining({ state: 'done' })]);
    expect(s.graph.items()[0]!.sha256).toBe(await sha256File(file));
    const creates = s.graph.requests.filter((r) => r.op === 'graph.create').map((r) => r.status);
    expect(creates).toEqual([200, 401, 200]);
    expect(s.graph.signIn.stats.refreshes).toBe(1);
    expect(s.world.refreshHookCalls).toBe(1);
    expect(s.world.events.some((e) => e.type === 'job-retrying' && /401 InvalidAuthenticationToken.*signed in again/.test(e.reason))).toBe(true);
    const now = new CredentialStore(s.world.ctx.secrets, 'onedrive').load()!;
    expect(now.accessToken).not.toBe(first.accessToken);
    expect(now.refreshToken).not.toBe(first.refreshToken);
    // The bytes of the expired session were already on the server; the new one got the whole file once.
    expect(s.graph.sessions().map((x) => x.state)).toEqual(['expired', 'completed']);
  });

  it('a token that is due is refreshed before the request, so no request meets a 401', async () => {
    // Honest 2 s lifetime: the manager refreshes at half-life, before the next file's createUploadSession.
    const s = await setup({ accessTokenTtlMs: 2_000, throughputBytesPerSec: 4 * MiB });
    await signIn(s);
    const a = join(s.dir, 'a.bin');
    const b = join(s.dir, 'b.bin');
    writeRandomFile(a, 6 * MiB);
    writeRandomFile(b, 1 * MiB);
    const jobs = [await s.world.addJob(s.dest, a, '/a.bin'), await s.world.addJob(s.dest, b, '/b.bin')];
    const scheduler = s.world.scheduler(() => graphProtocol(s));
    expect(await scheduler.run([jobs[0]!])).toEqual([expect.objectContaining({ state: 'done' })]);
    expect(await scheduler.run([jobs[1]!])).toEqual([expect.objectContaining({ state: 'done' })]);
    expect(s.graph.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(s.graph.signIn.stats.refreshes).toBe(1);
    expect(s.world.refreshHookCalls).toBe(0);
  });

  it('a refused refresh fails the upload as an auth failure and asks for a new sign-in', async () => {
    const s = await setup();
    await signIn(s);
    s.graph.signIn.revokeRefreshTokens();
    s.graph.expireAccessToken();
    const file = join(s.dir, 'c.bin');
    writeRandomFile(file, 1 * MiB);
    const job = await s.world.addJob(s.dest, file, '/c.bin');
    const [outcome] = await s.world.scheduler(() => graphProtocol(s)).run([job]);
    expect(outcome).toMatchObject({ state: 'failed' });
    expect(s.world.ctx.store.jobs.get(job)).toMatchObject({ errorCode: 'auth-failed' });
    expect(s.graph.signIn.stats.refusedRefreshes).toBe(1);
    await expect(credentialsFor(s.dest, s.world.ctx.secrets, s.world.ctx.env).forceRefresh()).rejects.toThrow(
      'Destination "onedrive" needs a new sign-in: the sign-in server refused the refresh token (invalid_grant). Sign in again with: hoist login onedrive',
    );
  });
});

describe('secrets file', () => {
  it('holds the tokens under oauth:NAME only', async () => {
    const s = await setup();
    await signIn(s);
    const all = JSON.parse(readFileSync(join(s.world.ctx.dataDir, 'secrets.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(all)).toEqual(['oauth:onedrive']);
  });
});
