import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_NAMES, EVENT_NAMES, listenerName, type CommandName, type HoistDesktopBridge, type HoistEvent, type IpcResult } from '../../preload/contract/index.js';
import { buildBridge, type IpcRendererLike } from '../../preload/build-bridge.js';
import type { BridgePorts } from '../../main/bridge/bridge-ports.js';
import { BridgeService } from '../../main/bridge/bridge-service.js';
import { serveIpcBridge, type IpcContentsLike, type IpcFrameLike, type IpcInvokeEventLike, type IpcMainLike } from '../../main/bridge/transports/ipc-transport.js';
import { makeScheduler, openContext, type CliContext } from '../../main/app/cli/cli-context.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import { isAppUrl } from '../../main/app/electron/app-protocol.js';

/**
 * The preload's bridge wired to main's IPC handlers through an in-memory channel pair: the real code on both sides,
 * only Electron's transport replaced. Arguments, results and events are structured-cloned on the way, as Electron does.
 */
type Handler = (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<IpcResult>;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

class FakeContents implements IpcContentsLike {
  private static nextId = 1;
  readonly id = FakeContents.nextId++;
  private destroyedListeners: Array<() => void> = [];
  private rendererListeners: Array<(event: unknown, ...args: unknown[]) => void> = [];
  isGone = false;
  readonly batches: HoistEvent[][] = [];
  send(channel: string, ...args: unknown[]): void {
    if (channel === 'hoist:events') this.batches.push(args[0] as HoistEvent[]);
    for (const l of this.rendererListeners) l({ sender: 'ipc-renderer-event' }, ...structuredClone(args));
  }
  isDestroyed = () => this.isGone;
  once(_event: 'destroyed', listener: () => void): void {
    this.destroyedListeners.push(listener);
  }
  destroy(): void {
    this.isGone = true;
    for (const l of this.destroyedListeners) l();
  }
  /** The renderer side of this window: `ipcRenderer` as the preload sees it, calling from `frame`. */
  renderer(ipcMain: FakeIpcMain, frame: () => IpcFrameLike | null): IpcRendererLike {
    return {
      invoke: async (channel, ...args) => {
        const handler = ipcMain.handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        return structuredClone(await handler({ sender: this, senderFrame: frame() }, ...structuredClone(args)));
      },
      on: (_channel, listener) => this.rendererListeners.push(listener),
    };
  }
}

const APP_PAGE: IpcFrameLike = { url: 'app://hoist/index.html', parent: null };
const fakeWebUtils = { getPathForFile: (file: never) => (file as { localPath?: string }).localPath ?? '' };

let base: string;
let ctx: CliContext;
let service: BridgeService;
let ipcMain: FakeIpcMain;
let stop: () => void;
const windows = new Set<IpcContentsLike>();
const calls: string[] = [];

const ports: BridgePorts = {
  logDir: '/var/log/hoist-test',
  destinationViews: (defaultName) =>
    ctx.store.destinations.list().map((d) => ({ name: d.name, provider: d.provider, settings: {}, auth: { kind: 'none' }, isDefault: d.name === defaultName, isEncryptedAtRest: false })),
  addDestination: (input) => void ctx.store.destinations.add(input.name, input.provider, {}, Date.now()),
  removeDestination: (name) => void ctx.store.destinations.remove(name),
  signIn: async (name) => ({ kind: 'device-code', destination: name, userCode: 'ABCD', verificationUrl: 'https://microsoft.com/devicelogin', expiresAtMs: Date.now() + 60_000, message: 'enter ABCD' }),
  cancelSignIn: () => void calls.push('cancelSignIn'),
  abortSessions: async () => void calls.push('abortSessions'),
  revealPath: () => void calls.push('revealPath'),
  openFolder: () => void calls.push('openFolder'),
  diagnostics: () => ({ fileName: 'diag.txt', text: 'Hoist diagnostics' }),
  watchesChanged: () => void calls.push('watchesChanged'),
  applySettings: () => void calls.push('applySettings'),
};

function openWindow(frame: () => IpcFrameLike | null = () => APP_PAGE): { contents: FakeContents; bridge: HoistDesktopBridge } {
  const contents = new FakeContents();
  windows.add(contents);
  return { contents, bridge: buildBridge(contents.renderer(ipcMain, frame), fakeWebUtils) };
}

/** Resolves once a batch sent to `contents` holds a matching event (bounded: the hub flushes every 20 ms here). */
async function eventArrives(contents: FakeContents, match: (e: HoistEvent) => boolean): Promise<HoistEvent> {
  for (let i = 0; i < 250; i++) {
    const found = contents.batches.flat().find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the event did not arrive');
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'hoist-ipc-bridge-'));
  mkdirSync(join(base, 'files'));
  mkdirSync(join(base, 'watched'));
  for (const name of ['a.bin', 'b.bin']) writeFileSync(join(base, 'files', name), name.repeat(100));
  ctx = openContext(join(base, 'data'), {});
  const od = ctx.store.destinations.add('od', 'graph', {}, Date.now());
  const job = ctx.store.jobs.create({ destinationId: od.id, localPath: join(base, 'files', 'a.bin'), remotePath: '/a.bin', sizeBytes: 500, mtimeMs: 1, inode: null }, Date.now());
  ctx.store.jobs.complete(job.id, { id: 'item-1', webUrl: 'https://contoso-my.sharepoint.com/a.bin' }, Date.now());
  service = new BridgeService({ store: ctx.store, scheduler: makeScheduler(ctx, () => undefined), files: diskFileSource, ports, dataDir: ctx.dataDir, nowMs: Date.now, pid: process.pid, fileIntake: 'paths', flushEveryMs: 20 });
  ipcMain = new FakeIpcMain();
  stop = serveIpcBridge({ ipcMain, service, isAppUrl, isAppWindow: (contents) => windows.has(contents) });
});
afterAll(() => {
  stop?.();
  service?.close();
  ctx?.store.close();
  rmSync(base, { recursive: true, force: true });
});

describe('the bridge over Electron IPC (preload builder ⇄ main handlers)', () => {
  it('registers one handler per contract command and exposes every command and on… function', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(COMMAND_NAMES.map((n) => `hoist:cmd:${n}`).sort());
    const { bridge } = openWindow();
    for (const name of COMMAND_NAMES) expect(typeof bridge[name], name).toBe('function');
    for (const name of EVENT_NAMES) expect(typeof bridge[listenerName(name)], name).toBe('function');
  });

  it('every command reaches the service and answers', async () => {
    const { bridge } = openWindow();
    const reached = new Set<CommandName>();
    const call = async <K extends CommandName>(name: K, ...args: Parameters<HoistDesktopBridge[K]>): Promise<Awaited<ReturnType<HoistDesktopBridge[K]>>> => {
      reached.add(name);
      return (await (bridge[name] as (...a: unknown[]) => Promise<unknown>)(...args)) as Awaited<ReturnType<HoistDesktopBridge[K]>>;
    };
    const snapshot = await call('snapshot');
    expect(snapshot).toMatchObject({ fileIntake: 'paths', finishedCount: 1 });
    const [done] = await call('listFinished');
    expect(done).toMatchObject({ name: 'a.bin', state: 'done' });
    await expect(call('getParts', done!.id)).resolves.toMatchObject({ jobId: done!.id });
    await call('releaseParts', done!.id);
    const added = await call('addFiles', [join(base, 'files', 'b.bin')], 'od');
    expect(added.jobIds).toHaveLength(1);
    const newId = added.jobIds[0]!;
    expect(await call('pauseJobs', [newId])).toBe(1);
    expect(await call('resumeJobs', [newId])).toBe(1);
    expect(await call('pauseAllFor', 3_600_000)).toBe(1);
    expect(await call('resumeJobs', 'all')).toBe(1);
    expect(await call('retryJobs', 'all')).toBe(0);
    expect(await call('cancelJobs', [newId])).toBe(1);
    expect(await call('clearFinished')).toBe(2);
    expect((await call('listDestinations')).map((d) => d.name)).toEqual(['local', 'od']);
    expect(await call('addDestination', { name: 'box2', provider: 'box', token: 't', folderId: '0' })).toMatchObject({ name: 'box2' });
    await call('removeDestination', 'box2');
    expect(await call('signIn', 'od')).toMatchObject({ kind: 'device-code' });
    await call('cancelSignIn', 'od');
    const watch = await call('addWatch', { dir: join(base, 'watched'), destination: 'od' });
    expect(await call('pauseWatch', watch.id)).toMatchObject({ isPaused: true });
    expect(await call('resumeWatch', watch.id)).toMatchObject({ isPaused: false });
    await call('removeWatch', watch.id);
    expect(await call('updateSettings', { filesAtOnce: 4 })).toMatchObject({ filesAtOnce: 4 });
    expect(await call('remoteLink', done!.id)).toEqual({ url: 'https://contoso-my.sharepoint.com/a.bin', reason: null });
    await call('revealFile', done!.id);
    await call('openLog');
    expect(await call('exportDiagnostics')).toEqual({ fileName: 'diag.txt', text: 'Hoist diagnostics' });
    expect(calls).toEqual(expect.arrayContaining(['cancelSignIn', 'revealPath', 'openFolder', 'watchesChanged', 'applySettings']));
    // A command added to the contract must be exercised here too.
    expect([...reached].sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it('refuses calls from a foreign page, a subframe, a gone frame or another contents, and runs nothing', async () => {
    const before = JSON.stringify(ctx.store.jobs.countsByState());
    const foreign = [
      openWindow(() => ({ url: 'https://evil.example/', parent: null })),
      openWindow(() => ({ url: 'file:///tmp/index.html', parent: null })),
      openWindow(() => ({ url: 'app://hoist/index.html', parent: APP_PAGE })),
      openWindow(() => null),
    ];
    const stray = new FakeContents();
    const strayBridge = buildBridge(stray.renderer(ipcMain, () => APP_PAGE), fakeWebUtils);
    for (const bridge of [...foreign.map((w) => w.bridge), strayBridge]) {
      await expect(bridge.pauseAllFor(60_000)).rejects.toMatchObject({ name: 'BridgeError', code: 'invalid-argument', message: 'Calls are accepted only from the Hoist window.' });
      await expect(bridge.snapshot()).rejects.toThrow(/only from the Hoist window/);
    }
    expect(JSON.stringify(ctx.store.jobs.countsByState())).toBe(before);
    expect(ctx.store.settings).toBeDefined();
  });

  it('refuses malformed arguments with the schema’s sentence, and changes nothing', async () => {
    const { bridge, contents } = openWindow();
    const before = JSON.stringify(ctx.store.db.prepare('SELECT * FROM jobs').all());
    const raw = contents.renderer(ipcMain, () => APP_PAGE);
    const bad: Array<[CommandName, unknown[]]> = [
      ['getParts', ['1']],
      ['addFiles', [['relative/file.bin']]],
      ['pauseAllFor', [-5]],
      ['pauseJobs', ['everything']],
      ['updateSettings', [{ theme: 'neon' }]],
      ['snapshot', [1]],
    ];
    for (const [name, args] of bad) {
      const result = (await raw.invoke(`hoist:cmd:${name}`, ...args)) as IpcResult;
      expect(result, `${name} ${JSON.stringify(args)}`).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(new RegExp(`^${name}: `)) } });
    }
    await expect(bridge.getParts(-1)).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(bridge.getParts(99_999)).rejects.toMatchObject({ code: 'not-found', message: 'There is no upload 99999.' });
    expect(JSON.stringify(ctx.store.db.prepare('SELECT * FROM jobs').all())).toBe(before);
  });

  it('delivers events to on… listeners until each unsubscribes; the event object never reaches them', async () => {
    const { bridge, contents } = openWindow();
    await bridge.snapshot();
    const heard = new Map<string, unknown[][]>();
    const offs = EVENT_NAMES.map((name) => {
      const subscribe = bridge[listenerName(name)] as (l: (...a: unknown[]) => void) => () => void;
      return subscribe((...args) => heard.set(name, [...(heard.get(name) ?? []), args]));
    });
    // The same function subscribed twice is two subscriptions, ended one at a time.
    const twice: unknown[] = [];
    const onSettings = (s: unknown) => twice.push(s);
    const offA = bridge.onSettingsChanged(onSettings);
    const offB = bridge.onSettingsChanged(onSettings);

    await bridge.updateSettings({ filesAtOnce: 2 });
    await eventArrives(contents, (e) => e.name === 'settingsChanged' && e.payload.filesAtOnce === 2);
    expect(heard.get('settingsChanged')?.at(-1)).toEqual([expect.objectContaining({ filesAtOnce: 2 })]);
    expect(twice).toHaveLength(2);
    offA();
    await bridge.updateSettings({ filesAtOnce: 3 });
    await eventArrives(contents, (e) => e.name === 'settingsChanged' && e.payload.filesAtOnce === 3);
    expect(twice).toHaveLength(3);
    offB();

    for (const off of offs) off();
    const heardBefore = JSON.stringify([...heard]);
    await bridge.updateSettings({ filesAtOnce: 5 });
    await bridge.addFiles([join(base, 'files', 'a.bin')], 'od');
    await eventArrives(contents, (e) => e.name === 'settingsChanged' && e.payload.filesAtOnce === 5);
    await eventArrives(contents, (e) => e.name === 'jobsAdded');
    expect(JSON.stringify([...heard])).toBe(heardBefore);
    expect(twice).toHaveLength(3);
    expect(() => bridge.onProgress('not a function' as never)).toThrow(/takes a function/);
  });

  it('a closed window is a closed client: nothing more is sent to it', async () => {
    const { bridge, contents } = openWindow();
    await bridge.snapshot();
    contents.destroy();
    const sent = contents.batches.length;
    await bridge.updateSettings({ filesAtOnce: 6 }).catch(() => undefined);
    const { contents: other, bridge: otherBridge } = openWindow();
    await otherBridge.updateSettings({ filesAtOnce: 7 });
    await eventArrives(other, (e) => e.name === 'settingsChanged' && e.payload.filesAtOnce === 7);
    expect(contents.batches.length).toBe(sent);
  });

  it('pathsOf gives the local paths of files, leaving out ones without', () => {
    const { bridge } = openWindow();
    expect(bridge.pathsOf([{ localPath: '/home/u/a.mov' }, { name: 'made-in-page.txt' }, { localPath: '/home/u/b' }])).toEqual(['/home/u/a.mov', '/home/u/b']);
  });
});
