import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_NAMES, type CommandName } from '../../preload/contract/commands.js';
import type { DestinationInput, SignInStatusView } from '../../preload/contract/views.js';
import { WS_PATH } from '../../preload/contract/wire.js';
import type { BridgePorts } from '../../main/bridge/bridge-ports.js';
import { BridgeService } from '../../main/bridge/bridge-service.js';
import { startUiServer, type UiServer } from '../../main/bridge/transports/ui-server.js';
import { openContext, makeScheduler, type CliContext } from '../../main/app/cli/cli-context.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import { planParts } from '../../main/domain/part-plan.js';
import { CallFailed, connectBridge, type TestBridgeClient } from '../support/ws-bridge-client.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnop';
let base: string;
let ctx: CliContext;
let service: BridgeService;
let server: UiServer;
let client: TestBridgeClient;
let wsUrl: string;
let httpBase: string;
const calls: Array<[string, unknown[]]> = [];
let signInListener: ((s: SignInStatusView) => void) | undefined;

/** Ports that record what reached them: the service's side effects outside the database. */
const ports: BridgePorts = {
  logDir: '/var/log/hoist-test',
  destinationViews: (defaultName) =>
    ctx.store.destinations.list().map((d) => ({ name: d.name, provider: d.provider, settings: {}, auth: { kind: 'none' }, isDefault: d.name === defaultName, isEncryptedAtRest: false })),
  addDestination: (input: DestinationInput) => {
    calls.push(['addDestination', [input]]);
    ctx.store.destinations.add(input.name, input.provider, {}, Date.now());
  },
  removeDestination: (name) => {
    calls.push(['removeDestination', [name]]);
    ctx.store.destinations.remove(name);
  },
  signIn: async (name, onStatus) => {
    calls.push(['signIn', [name]]);
    signInListener = onStatus;
    return { kind: 'device-code', destination: name, userCode: 'ABCD1234', verificationUrl: 'https://microsoft.com/devicelogin', expiresAtMs: Date.now() + 900_000, message: 'enter ABCD1234' };
  },
  cancelSignIn: (name) => void calls.push(['cancelSignIn', [name]]),
  abortSessions: async (ids) => void calls.push(['abortSessions', [...ids]]),
  revealPath: (path) => void calls.push(['revealPath', [path]]),
  openFolder: (path) => void calls.push(['openFolder', [path]]),
  diagnostics: () => ({ fileName: 'diag.txt', text: 'Hoist diagnostics' }),
  watchesChanged: () => void calls.push(['watchesChanged', []]),
  applySettings: (patch) => void calls.push(['applySettings', [patch]]),
};

const ids = { queued: 0, failed: 0, done: 0, paused: 0 };

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'hoist-bridge-ws-'));
  mkdirSync(join(base, 'files'));
  mkdirSync(join(base, 'watched'));
  for (const name of ['a.bin', 'b.bin', 'c.bin', 'd.bin', 'new.bin']) writeFileSync(join(base, 'files', name), name.repeat(100));
  ctx = openContext(join(base, 'data'), {});
  const od = ctx.store.destinations.add('od', 'graph', {}, Date.now());
  ctx.store.destinations.add('old', 'box', {}, Date.now());
  const job = (name: string) => ctx.store.jobs.create({ destinationId: od.id, localPath: join(base, 'files', name), remotePath: `/${name}`, sizeBytes: 400, mtimeMs: 1, inode: null }, Date.now()).id;
  ids.queued = job('a.bin');
  ids.failed = job('b.bin');
  ids.done = job('c.bin');
  ids.paused = job('d.bin');
  ctx.store.jobs.setState(ids.failed, 'failed', Date.now(), { code: 'auth-failed', message: 'Sign in again with: hoist login od' });
  ctx.store.jobs.complete(ids.done, { id: 'item-1', webUrl: 'https://contoso-my.sharepoint.com/c.bin' }, Date.now());
  ctx.store.jobs.pauseIds([ids.paused], Date.now());
  ctx.store.sessions.open({ jobId: ids.queued, provider: 'graph', sessionUrl: 'u', remoteSessionId: null, partSizeBytes: 100, expiresAtMs: null, extra: {} }, planParts(0, 400, 100), Date.now());
  const scheduler = makeScheduler(ctx, (e) => service.onEngineEvent(e));
  service = new BridgeService({ store: ctx.store, scheduler, files: diskFileSource, ports, dataDir: ctx.dataDir, nowMs: Date.now, pid: process.pid, fileIntake: 'stream', flushEveryMs: 50 });
  server = await startUiServer({ service, host: '127.0.0.1', port: 0, token: TOKEN, staticDir: join(base, 'no-such-build') });
  httpBase = `http://127.0.0.1:${server.port}`;
  wsUrl = `ws://127.0.0.1:${server.port}${WS_PATH}?token=${TOKEN}`;
  client = await connectBridge(wsUrl);
});
afterAll(async () => {
  client?.close();
  await server?.close();
  service?.close();
  ctx?.store.close();
  rmSync(base, { recursive: true, force: true });
});

const dbState = () =>
  JSON.stringify(['jobs', 'destinations', 'watches', 'settings', 'sessions'].map((t) => ctx.store.db.prepare(`SELECT * FROM ${t}`).all()));
const stateOf = (id: number) => ctx.store.jobs.get(id)?.state;
const lastCall = (name: string) => calls.filter(([n]) => n === name).at(-1)?.[1];

describe('the bridge over the WebSocket transport of hoist serve', () => {
  it('every contract command reaches its handler and does what it says', async () => {
    const exercised = new Set<CommandName>();
    const call: TestBridgeClient['call'] = (command, ...args) => {
      exercised.add(command);
      return client.call(command, ...args);
    };

    const snapshot = await call('snapshot');
    expect(snapshot.jobs.map((j) => [j.name, j.state])).toEqual([['a.bin', 'queued'], ['b.bin', 'failed'], ['d.bin', 'paused']]);
    expect(snapshot.finishedCount).toBe(1);
    expect((await call('listFinished')).map((j) => [j.name, j.state])).toEqual([['c.bin', 'done']]);
    expect(snapshot.jobs.find((j) => j.id === ids.failed)?.error).toEqual({ code: 'auth-failed', cause: 'signed-out', message: 'Sign in again with: hoist login od' });
    expect(snapshot).toMatchObject({ fileIntake: 'stream', settings: { filesAtOnce: 3, theme: 'system' }, appState: { kind: 'needs-attention' } });

    const parts = await call('getParts', ids.queued);
    expect(parts.parts.map((p) => `${p.index}:${p.state}`)).toEqual(['0:pending', '1:pending', '2:pending', '3:pending']);
    await call('releaseParts', ids.queued);

    const added = await call('addFiles', [join(base, 'files', 'new.bin')], 'od', '/Inbox');
    expect(added.problems).toEqual([]);
    expect(ctx.store.jobs.get(added.jobIds[0]!)).toMatchObject({ remotePath: '/Inbox/new.bin', state: 'queued' });
    await client.waitForEvent((e) => e.name === 'jobsAdded' && e.payload.jobs.some((j) => j.id === added.jobIds[0]));

    expect(await call('pauseJobs', [ids.queued!])).toBe(1);
    expect(stateOf(ids.queued!)).toBe('paused');
    await client.waitForEvent((e) => e.name === 'jobsChanged' && e.payload.jobs.some((j) => j.id === ids.queued && j.state === 'paused'));
    expect(await call('resumeJobs', [ids.queued!])).toBe(1);
    expect(await call('pauseAllFor', 2 * 3_600_000)).toBe(2);
    expect(ctx.store.jobs.get(ids.queued)).toMatchObject({ state: 'paused', pausedUntilMs: expect.any(Number) });
    await client.waitForEvent((e) => e.name === 'appStateChanged' && e.payload.pausedUntilMs !== null);
    // Resume all ends the timed pause and resumes what was paused by hand too.
    expect(await call('resumeJobs', 'all')).toBe(3);
    expect(ctx.store.jobs.get(ids.queued)).toMatchObject({ state: 'queued', pausedUntilMs: null });
    expect(await call('pauseJobs', [ids.paused])).toBe(1);
    expect(stateOf(ids.queued!)).toBe('queued');

    expect(await call('retryJobs', { cause: 'signed-out' })).toBe(1);
    expect(stateOf(ids.failed!)).toBe('queued');

    expect(await call('cancelJobs', [ids.paused!])).toBe(1);
    expect(stateOf(ids.paused!)).toBe('cancelled');
    await expect.poll(() => lastCall('abortSessions')).toEqual([ids.paused]);

    expect(await call('clearFinished')).toBe(2);
    expect(ctx.store.jobs.get(ids.done!)?.clearedAtMs).not.toBeNull();
    const removed = await client.waitForEvent((e) => e.name === 'jobsRemoved');
    expect(removed.payload).toEqual({ ids: [ids.done, ids.paused] });

    expect((await call('listDestinations')).map((d) => d.name)).toEqual(['local', 'od', 'old']);
    const input: DestinationInput = { name: 'box2', provider: 'box', token: 'secret-token', folderId: '0' };
    expect(await call('addDestination', input)).toMatchObject({ name: 'box2', provider: 'box' });
    expect(lastCall('addDestination')).toEqual([input]);
    await call('removeDestination', 'old');
    expect(lastCall('removeDestination')).toEqual(['old']);

    expect(await call('signIn', 'od')).toMatchObject({ kind: 'device-code', userCode: 'ABCD1234' });
    signInListener?.({ destination: 'od', state: 'signed-in', message: 'Signed in' });
    await client.waitForEvent((e) => e.name === 'signInChanged' && e.payload.state === 'signed-in');
    await call('cancelSignIn', 'od');
    expect(lastCall('cancelSignIn')).toEqual(['od']);

    const watch = await call('addWatch', { dir: join(base, 'watched'), destination: 'od', remoteDir: '/Camera', ignorePatterns: ['*.xmp'] });
    expect(watch).toMatchObject({ destination: 'od', remoteDir: '/Camera', isPaused: false, ignorePatterns: ['*.xmp'] });
    expect(await call('pauseWatch', watch.id)).toMatchObject({ isPaused: true, status: 'paused' });
    expect(await call('resumeWatch', watch.id)).toMatchObject({ isPaused: false });
    await call('removeWatch', watch.id);
    expect(ctx.store.watches.list()).toEqual([]);
    // Added, paused, resumed, removed, and the destination removed above took its watches with it.
    expect(calls.filter(([n]) => n === 'watchesChanged')).toHaveLength(5);

    expect(await call('updateSettings', { filesAtOnce: 5, theme: 'dark', defaultDestination: 'od' })).toMatchObject({ filesAtOnce: 5, theme: 'dark', defaultDestination: 'od' });
    await client.waitForEvent((e) => e.name === 'settingsChanged' && e.payload.theme === 'dark');

    expect(await call('remoteLink', ids.done!)).toEqual({ url: 'https://contoso-my.sharepoint.com/c.bin', reason: null });
    expect(await call('remoteLink', ids.queued!)).toEqual({ url: null, reason: 'The file is not uploaded yet.' });
    await call('revealFile', ids.queued!);
    expect(lastCall('revealPath')).toEqual([join(base, 'files', 'a.bin')]);
    await call('openLog');
    expect(lastCall('openFolder')).toEqual(['/var/log/hoist-test']);
    expect(await call('exportDiagnostics')).toEqual({ fileName: 'diag.txt', text: 'Hoist diagnostics' });

    // A command added to the contract must be added here too.
    expect([...exercised].sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it('refuses malformed and out-of-range arguments with a clear error, and changes nothing', async () => {
    const bad: Array<[CommandName | string, unknown[]]> = [
      ['snapshot', [1]],
      ['listFinished', ['all']],
      ['getParts', ['1']],
      ['getParts', [-1]],
      ['getParts', [1.5]],
      ['releaseParts', []],
      ['addFiles', [[]]],
      ['addFiles', [['relative/file.bin']]],
      ['addFiles', [[join(base, 'files', 'a.bin')], 'bad name!']],
      ['addFiles', [[join(base, 'files', 'a.bin')], 'od', '/up/../../etc']],
      ['pauseJobs', ['everything']],
      ['pauseJobs', [[0]]],
      ['resumeJobs', [[ids.queued, 'x']]],
      ['pauseAllFor', [-5]],
      ['pauseAllFor', ['2h']],
      ['cancelJobs', [{ all: true }]],
      ['retryJobs', [{ cause: 'gremlins' }]],
      ['clearFinished', ['now']],
      ['addDestination', [{ name: 'x y', provider: 'graph' }]],
      ['addDestination', [{ name: 'ftp', provider: 'ftp' }]],
      ['addDestination', [{ name: 'extra', provider: 'graph', isAdmin: true }]],
      ['addDestination', [{ name: 'neg', provider: 's3', partSizeBytes: -5 }]],
      ['removeDestination', [42]],
      ['signIn', ['']],
      ['addWatch', [{ dir: 'relative', destination: 'od' }]],
      ['addWatch', [{ dir: join(base, 'watched'), destination: 'od', remoteDir: '../up' }]],
      ['pauseWatch', [0]],
      ['updateSettings', [{ filesAtOnce: 0 }]],
      ['updateSettings', [{ filesAtOnce: 17 }]],
      ['updateSettings', [{ warningWindowMin: 100_000 }]],
      ['updateSettings', [{ theme: 'neon' }]],
      ['updateSettings', [{ unknownSetting: 1 }]],
      ['remoteLink', [null]],
      ['revealFile', [{}]],
      ['openLog', [true]],
      ['deleteEverything', []],
    ];
    const before = dbState();
    const callsBefore = calls.length;
    let id = 10_000;
    for (const [command, args] of bad) {
      const answer = await client.raw({ t: 'call', id: ++id, command, args }, id);
      expect(answer, `${command} ${JSON.stringify(args)}`).toMatchObject({ t: 'result', ok: false, error: { code: 'invalid-argument' } });
      if (answer.t === 'result' && !answer.ok) {
        expect(answer.error.message).toMatch(command === 'deleteEverything' ? /no command "deleteEverything"/ : new RegExp(`^${command}: (argument \\d|the arguments)`));
        expect(answer.error.message).not.toMatch(/\n\s+at /);
      }
    }
    expect(dbState()).toBe(before);
    expect(calls.length).toBe(callsBefore);
  });

  it('answers a command that fails with a sentence, not a stack trace', async () => {
    await expect(client.call('getParts', 99_999)).rejects.toMatchObject({ code: 'not-found', message: 'There is no upload 99999.' });
    await expect(client.call('addFiles', [join(base, 'files', 'a.bin')], 'nowhere')).rejects.toBeInstanceOf(CallFailed);
    await expect(client.call('updateSettings', { defaultDestination: 'nowhere' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('closes a socket that sends something other than a call', async () => {
    const other = await connectBridge(wsUrl);
    void other.raw('not json', 1).catch(() => undefined);
    expect(await other.closed).toBe(1003);
  });

  it('serves the page shell to anyone but data only with the token, our Host and our Origin', async () => {
    const page = await fetch(`${httpBase}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'; style-src 'self'.*connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
    expect(await page.text()).not.toMatch(/a\.bin|new\.bin/);
    await expect(connectBridge(`ws://127.0.0.1:${server.port}${WS_PATH}`)).rejects.toThrow(/refused with 401/);
    await expect(connectBridge(`ws://127.0.0.1:${server.port}${WS_PATH}?token=wrong`)).rejects.toThrow(/refused with 401/);
    await expect(connectBridge(wsUrl, { Origin: 'http://evil.example' })).rejects.toThrow(/refused with 403/);
    // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 sends its own Host (and Origin).
    await expect(connectBridge(wsUrl, { Host: `evil.example:${server.port}` })).rejects.toThrow(/refused with 403/);
    const rebound = await new Promise<number>((resolve, reject) =>
      request(`${httpBase}/`, { headers: { Host: `evil.example:${server.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end(),
    );
    expect(rebound).toBe(403);
    const ours = await connectBridge(wsUrl, { Origin: `http://localhost:${server.port}` });
    expect((await ours.call('snapshot')).jobs.length).toBeGreaterThan(0);
    ours.close();
  });
});
