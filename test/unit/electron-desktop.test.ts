import { describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JobCountsView } from '../../preload/contract/views.js';
import { appState } from '../../main/domain/app-state.js';
import { NO_BATCH, nextBatchBytes, progressBarFor, shouldKeepAwake } from '../../main/app/electron/taskbar-progress.js';
import { DEFAULT_WINDOW_SIZE, MIN_WINDOW_SIZE, parsePlacement, placeWindow } from '../../main/app/electron/window-bounds.js';
import { autostartCommand, autostartEntryPath, autostartEntryText, quoteExecArg } from '../../main/app/electron/autostart.js';
import { filesFromArgv } from '../../main/app/electron/launch-files.js';
import { updateFeedUrl } from '../../main/app/electron/update-feed.js';
import { lockHeldDialog, settleWithin, startupErrorText } from '../../main/app/electron/app-lifecycle.js';
import { isNativeBuildCurrent, nativeBindingFor, packedAddonPath } from '../../main/app/electron/native-binding.js';

const NOW = Date.UTC(2026, 0, 5, 9, 0);
const MiB = 1024 * 1024;
const state = (c: Partial<JobCountsView> = {}, extra: { pausedUntilMs?: number | null; waiting?: boolean } = {}) =>
  appState({
    counts: { uploading: 0, queued: 0, paused: 0, failed: 0, done: 0, ...c },
    pausedUntilMs: extra.pausedUntilMs ?? null,
    waitingNetwork: extra.waiting ? [{ destination: 'OneDrive', sinceMs: NOW }] : [],
    rateLimited: [],
    bandwidthLimitBytesPerSec: null,
    nowMs: NOW,
    clock: () => '10:00',
  });

describe('taskbar progress and keep-awake', () => {
  it('measures the batch: the share sent of what was left when it started, plus files added since', () => {
    let batch = nextBatchBytes(NO_BATCH, 100 * MiB);
    expect(batch).toEqual({ totalBytes: 100 * MiB, remainingBytes: 100 * MiB });
    batch = nextBatchBytes(batch, 60 * MiB);
    expect(progressBarFor(state({ uploading: 1 }), batch)).toEqual({ progress: 0.4, mode: 'normal' });
    batch = nextBatchBytes(batch, 160 * MiB); // a 100 MiB file was added
    expect(batch.totalBytes).toBe(200 * MiB);
    expect(progressBarFor(state({ uploading: 2 }), batch).progress).toBeCloseTo(0.2);
    expect(nextBatchBytes(batch, 0)).toEqual(NO_BATCH);
  });

  it('modes: none when nothing is pending, paused while held, error with failures, indeterminate before bytes are known', () => {
    const half = { totalBytes: 10, remainingBytes: 5 };
    expect(progressBarFor(state({ done: 3 }), NO_BATCH)).toEqual({ progress: -1, mode: 'none' });
    expect(progressBarFor(state({ paused: 2 }), half)).toEqual({ progress: -1, mode: 'none' });
    expect(progressBarFor(state({ paused: 2 }, { pausedUntilMs: NOW + 60_000 }), half)).toEqual({ progress: 0.5, mode: 'paused' });
    expect(progressBarFor(state({ uploading: 1 }, { waiting: true }), half)).toEqual({ progress: 0.5, mode: 'paused' });
    expect(progressBarFor(state({ uploading: 1, failed: 1 }), half)).toEqual({ progress: 0.5, mode: 'error' });
    expect(progressBarFor(state({ queued: 1 }), NO_BATCH)).toEqual({ progress: 2, mode: 'indeterminate' });
  });

  it('keeps the machine awake only while uploads run, not idle or paused', () => {
    expect(shouldKeepAwake(state({ uploading: 1 }))).toBe(true);
    expect(shouldKeepAwake(state({ uploading: 1, failed: 2 }))).toBe(true);
    expect(shouldKeepAwake(state({ queued: 3 }))).toBe(false);
    expect(shouldKeepAwake(state({ paused: 3 }))).toBe(false);
    expect(shouldKeepAwake(state({ uploading: 1 }, { pausedUntilMs: NOW + 1 }))).toBe(false);
    expect(shouldKeepAwake(state())).toBe(false);
  });
});

describe('window placement', () => {
  const laptop = { x: 0, y: 0, width: 1440, height: 870 };
  const monitor = { x: 1440, y: 0, width: 2560, height: 1400 };

  it('opens at the default size centred on the primary display the first time', () => {
    expect(placeWindow(null, [laptop, monitor])).toEqual({ bounds: { x: 170, y: 75, ...DEFAULT_WINDOW_SIZE }, isMaximized: false });
  });

  it('keeps a saved place that is on a display, and its maximised state', () => {
    const saved = { bounds: { x: 1600, y: 100, width: 1200, height: 800 }, isMaximized: true };
    expect(placeWindow(saved, [laptop, monitor])).toEqual(saved);
  });

  it('pulls a window hanging off a display back onto it and shrinks it to fit', () => {
    expect(placeWindow({ bounds: { x: 1000, y: -50, width: 800, height: 2000 }, isMaximized: false }, [laptop]).bounds).toEqual({ x: 640, y: 0, width: 800, height: 870 });
  });

  it('re-centres a window whose display was unplugged, and never goes under the minimum size', () => {
    const placed = placeWindow({ bounds: { x: 3000, y: 200, width: 300, height: 200 }, isMaximized: false }, [laptop]);
    expect(placed.bounds).toEqual({ x: (1440 - MIN_WINDOW_SIZE.width) / 2, y: (870 - MIN_WINDOW_SIZE.height) / 2, ...MIN_WINDOW_SIZE });
  });

  it('reads only a well-formed stored placement', () => {
    expect(parsePlacement(undefined)).toBeNull();
    expect(parsePlacement('{oops')).toBeNull();
    expect(parsePlacement(JSON.stringify({ bounds: { x: 0, y: 0, width: -5, height: 10 } }))).toBeNull();
    expect(parsePlacement(JSON.stringify({ bounds: { x: 1, y: 2, width: 3, height: 4 }, isMaximized: 'yes' }))).toEqual({ bounds: { x: 1, y: 2, width: 3, height: 4 }, isMaximized: false });
  });
});

describe('start at login (XDG autostart on Linux)', () => {
  it('writes the entry under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(autostartEntryPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/ann')).toBe('/cfg/autostart/hoist.desktop');
    expect(autostartEntryPath({}, '/home/ann')).toBe('/home/ann/.config/autostart/hoist.desktop');
  });

  it('starts the AppImage file itself, or electron with the app folder in development, hidden in the tray', () => {
    expect(autostartCommand({ execPath: '/tmp/.mount_x/hoist', env: { APPIMAGE: '/home/ann/Hoist.AppImage' }, isDefaultApp: false, appPath: '/x' })).toEqual(['/home/ann/Hoist.AppImage', '--hidden']);
    expect(autostartCommand({ execPath: '/repo/node_modules/electron/dist/electron', env: {}, isDefaultApp: true, appPath: '/repo' })).toEqual(['/repo/node_modules/electron/dist/electron', '/repo', '--hidden']);
    expect(autostartCommand({ execPath: '/opt/Hoist/hoist-desktop', env: {}, isDefaultApp: false, appPath: '/opt/Hoist/resources/app.asar' })).toEqual(['/opt/Hoist/hoist-desktop', '--hidden']);
  });

  it('quotes Exec arguments as the Desktop Entry spec says', () => {
    expect(quoteExecArg('/opt/Hoist/hoist-desktop')).toBe('/opt/Hoist/hoist-desktop');
    expect(quoteExecArg('/home/ann/My Apps/Hoist.AppImage')).toBe('"/home/ann/My Apps/Hoist.AppImage"');
    expect(quoteExecArg('/a/$HOME/"q"`x`\\y')).toBe('"/a/\\$HOME/\\"q\\"\\`x\\`\\\\y"');
    expect(quoteExecArg('100%')).toBe('100%%');
  });

  it('the entry: type, name, the escaped Exec line, enabled', () => {
    const text = autostartEntryText(['/home/ann/My Apps/Hoist.AppImage', '--hidden']);
    expect(text.split('\n')).toEqual([
      '[Desktop Entry]',
      'Type=Application',
      'Version=1.0',
      'Name=Hoist',
      'Comment=Resumable uploads of big files',
      'Exec="/home/ann/My Apps/Hoist.AppImage" --hidden',
      'Terminal=false',
      'X-GNOME-Autostart-enabled=true',
      'Hidden=false',
      '',
    ]);
    // A backslash is escaped for the quoting, then again for the string value.
    expect(autostartEntryText(['/a\\b c'])).toContain('Exec="/a\\\\\\\\b c"');
    expect(() => autostartEntryText(['/a\nb'])).toThrow(/line break/);
  });
});

describe('files named at launch or by a second launch', () => {
  const exists = (path: string) => !path.includes('missing');
  it('skips switches and, in development, the app folder; resolves relative paths against the launch folder', () => {
    const argv = ['/electron', '--inspect=0', '--remote-debugging-port=0', '/repo', 'film.bin', '/data/b.bin', '--no-sandbox', 'film.bin'];
    expect(filesFromArgv(argv, { cwd: '/home/ann', isDefaultApp: true, exists })).toEqual({ paths: ['/home/ann/film.bin', '/data/b.bin'], missing: [] });
  });

  it('a packaged app has no app folder argument; missing files are reported, and -- ends the switches', () => {
    expect(filesFromArgv(['/opt/Hoist/hoist-desktop', '-psn_0_1234', 'missing.bin', 'a.bin'], { cwd: '/w', isDefaultApp: false, exists })).toEqual({ paths: ['/w/a.bin'], missing: ['/w/missing.bin'] });
    expect(filesFromArgv(['/hoist', '--', '-odd-name.bin'], { cwd: '/w', isDefaultApp: false, exists })).toEqual({ paths: ['/w/-odd-name.bin'], missing: [] });
    expect(filesFromArgv(['/hoist', '--hidden'], { cwd: '/w', isDefaultApp: false, exists })).toEqual({ paths: [], missing: [] });
  });
});

describe('updates, native build, quitting, startup errors', () => {
  it('updates are off until a feed is set, only in a packaged app, only over https (or loopback http)', () => {
    expect(updateFeedUrl({ env: {}, stored: undefined, isPackaged: true })).toBeNull();
    expect(updateFeedUrl({ env: { HOIST_UPDATE_URL: 'https://dl.example.com/hoist' }, stored: undefined, isPackaged: false })).toBeNull();
    expect(updateFeedUrl({ env: { HOIST_UPDATE_URL: 'https://dl.example.com/hoist' }, stored: 'https://other.example.com/', isPackaged: true })).toBe('https://dl.example.com/hoist/');
    expect(updateFeedUrl({ env: {}, stored: 'https://other.example.com/feed/', isPackaged: true })).toBe('https://other.example.com/feed/');
    expect(updateFeedUrl({ env: { HOIST_UPDATE_URL: 'http://dl.example.com/' }, stored: undefined, isPackaged: true })).toBeNull();
    expect(updateFeedUrl({ env: { HOIST_UPDATE_URL: 'http://127.0.0.1:8080/' }, stored: undefined, isPackaged: true })).toBe('http://127.0.0.1:8080/');
    expect(updateFeedUrl({ env: { HOIST_UPDATE_URL: 'not a url' }, stored: undefined, isPackaged: true })).toBeNull();
  });

  it('loads the Electron build of better-sqlite3 in development only; a new Electron or module version rebuilds', () => {
    expect(nativeBindingFor({ env: { HOIST_NATIVE_BINDING: '/x.node' }, isPackaged: false, appPath: '/repo', exists: () => false })).toBe('/x.node');
    expect(nativeBindingFor({ env: {}, isPackaged: false, appPath: '/repo', exists: () => true })).toBe('/repo/.electron-native/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(nativeBindingFor({ env: {}, isPackaged: false, appPath: '/repo', exists: () => false })).toBeUndefined();
    expect(nativeBindingFor({ env: { HOIST_NATIVE_BINDING: '/x.node' }, isPackaged: true, appPath: '/repo', exists: () => true })).toBeUndefined();
    const stamp = { electronVersion: '45.6.0', betterSqlite3Version: '12.9.0', platform: 'linux', arch: 'x64' };
    expect(isNativeBuildCurrent(JSON.stringify(stamp), stamp)).toBe(true);
    expect(isNativeBuildCurrent(JSON.stringify({ ...stamp, electronVersion: '45.5.0' }), stamp)).toBe(false);
    expect(isNativeBuildCurrent(undefined, stamp)).toBe(false);
    expect(isNativeBuildCurrent('garbage', stamp)).toBe(false);
    expect(packedAddonPath({ platform: 'linux', appOutDir: '/r/linux-unpacked', productFilename: 'Hoist' })).toBe('/r/linux-unpacked/resources/app.asar.unpacked/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(packedAddonPath({ platform: 'darwin', appOutDir: '/r/mac', productFilename: 'Hoist' })).toBe('/r/mac/Hoist.app/Contents/Resources/app.asar.unpacked/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  });

  it('quit waits for the daemon to stop, but only so long', async () => {
    vi.useFakeTimers();
    try {
      const stuck = settleWithin(new Promise(() => undefined), 10_000);
      await vi.advanceTimersByTimeAsync(9_999);
      const quick = settleWithin(Promise.reject(new Error('stopped badly')), 10_000);
      await vi.advanceTimersByTimeAsync(1);
      await expect(stuck).resolves.toBe('timed-out');
      await expect(quick).resolves.toBe('done');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a data folder held by hoist serve offers its window; startup errors are one sentence, not a stack', () => {
    const withUrl = lockHeldDialog({ pid: 4242, pidStart: null, startedAtMs: 0, url: 'http://127.0.0.1:7325/#token=abc' }, '/home/ann/.config/hoist');
    expect(withUrl).toMatchObject({ buttons: ['Open in browser', 'Quit'], openIndex: 0 });
    expect(withUrl.detail).toContain('Process 4242');
    expect(lockHeldDialog({ pid: 1, pidStart: null, startedAtMs: 0, url: null }, '/d')).toMatchObject({ buttons: ['Quit'], openIndex: null });
    const abi = new Error("The module '/x/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 140.");
    expect(startupErrorText(abi)).toMatch(/built for Node\.js, not for this Electron.*npm start.*npx hoist serve/);
    const plain = new Error('Hoist cannot write its data folder /x (EACCES).\n    at openContext (cli-context.ts:40)');
    expect(startupErrorText(plain)).toBe('Hoist could not start: Hoist cannot write its data folder /x (EACCES).');
  });
});

describe('the Electron shell stays thin (nothing under vitest may load electron)', () => {
  const ROOT = resolve(import.meta.dirname, '../..');
  const dir = join(ROOT, 'main/app/electron');
  const importsElectron = (file: string) => /^\s*import\b[^;]*?['"]electron(-updater)?['"]|import\(\s*['"]electron(-updater)?['"]\s*\)|require\(\s*['"]electron(-updater)?['"]\s*\)\s*[;,)]/m.test(readFileSync(file, 'utf8'));
  // The Electron-only files: wiring of the pure modules below to Electron's APIs. Anything else must stay pure.
  const THIN = ['main.ts', 'main-window.ts', 'tray.ts', 'desktop-feedback.ts', 'login-item.ts', 'auto-update.ts'];

  it('only the thin wiring files import electron', () => {
    const offenders = readdirSync(dir).filter((f) => f.endsWith('.ts') && !THIN.includes(f) && importsElectron(join(dir, f)));
    expect(offenders).toEqual([]);
    expect(THIN.every((f) => importsElectron(join(dir, f)))).toBe(true);
  });

  it('no test file imports a thin file or electron', () => {
    const tests: string[] = [];
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(folder, entry.name));
        else if (entry.name.endsWith('.test.ts')) tests.push(join(folder, entry.name));
      }
    };
    walk(join(ROOT, 'test'));
    const thinImport = new RegExp(`electron/(${THIN.map((f) => f.replace('.ts', '')).join('|')})\\.js`);
    const offenders = tests.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return /from\s+['"]electron['"]/.test(text) || thinImport.test(text);
    });
    expect(offenders).toEqual([]);
  });
});
