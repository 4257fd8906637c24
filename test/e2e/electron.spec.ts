import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findElectronBinary } from '../../main/app/electron/launch-check.js';
import { ensureElectronNative } from '../../main/app/electron/native-binding.js';
import { writeSettings } from '../../main/bridge/settings.js';
import { Store } from '../../main/store/store.js';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { writeRandomFile } from '../support/cli.js';
import { hoist, tempDir } from './serve-harness.js';

/**
 * The core scenario of the window, in the real desktop app: Electron's own main process, preload, IPC and window. Where
 * no Electron binary exists (it is downloaded from GitHub, outside the npm registry) the test is skipped with the
 * reason, never faked; window.spec.ts runs the same scenario against `hoist serve` in Chromium.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const ELECTRON_PACKAGE = join(ROOT, 'node_modules', 'electron');
const readText = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
const binary = findElectronBinary(ELECTRON_PACKAGE, process.env, process.platform, { exists: existsSync, readText });
const SKIP_REASON = binary.kind === 'missing' ? `no Electron binary here (${binary.reason}; expected at ${binary.path}); window.spec.ts runs this scenario against hoist serve` : '';
if (SKIP_REASON) console.log(`electron.spec.ts: skipped: ${SKIP_REASON}`);

const MiB = 1024 * 1024;
const TOKEN = 'graph-test-token';
/** 4 × 320 KiB: a 24 MiB file is 20 parts. */
const FRAGMENT = 1_310_720;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name.replace('.', '\\.')},`) });
const progressOf = async (page: Page, name: string) => Number(await page.getByRole('progressbar', { name: `Progress of ${name}` }).getAttribute('aria-valuenow'));

test.skip(binary.kind === 'missing', SKIP_REASON);

let app: ElectronApplication | undefined;
let cleanup: Array<() => Promise<void> | void> = [];
test.afterEach(async () => {
  await app?.close().catch(() => undefined);
  app = undefined;
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

test('the desktop app: a file given at launch uploads part by part, stays paused across quit and relaunch, and finishes when resumed', async () => {
  test.setTimeout(240_000);
  if (binary.kind === 'missing') return;
  for (const built of ['dist/main/app/electron/main.js', 'dist/preload/preload.cjs', 'dist/renderer/index.html']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run npm run build first`);
  }
  const electronVersion = (JSON.parse(readFileSync(join(ELECTRON_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
  const nativeBinding = await ensureElectronNative(ROOT, electronVersion, (line) => console.log(line));

  const dir = tempDir('electron');
  cleanup.push(() => dir.remove());
  const em = await GraphEmulator.start({ storageDir: join(dir.path, 'server'), throughputBytesPerSec: 6 * MiB, sessionTtlMs: 20 * 60_000 });
  cleanup.push(() => em.close());
  const dataDir = join(dir.path, 'data');
  await hoist(dataDir, ['dest', 'add', 'OneDrive', '--provider', 'graph', '--endpoint', em.graphBaseUrl, '--token-env', 'GRAPH_TOKEN', '--fragment-size', String(FRAGMENT)]);
  // Files given at launch go to the default destination.
  const store = Store.open(join(dataDir, 'hoist.db'));
  writeSettings(store, { defaultDestination: 'OneDrive' });
  store.close();
  const file = join(dir.path, 'film.bin');
  writeRandomFile(file, 24 * MiB);

  const launch = async (files: string[]) => {
    const sandboxArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    app = await electron.launch({
      executablePath: binary.path,
      args: [...sandboxArgs, ROOT, ...files],
      cwd: dir.path,
      env: { ...process.env, HOIST_DATA_DIR: dataDir, HOIST_KEYCHAIN: 'off', HOIST_NATIVE_BINDING: nativeBinding, GRAPH_TOKEN: TOKEN, HOIST_RETRY_BASE_MS: '50', HOIST_RETRY_MAX_MS: '500' },
    });
    return app.firstWindow();
  };

  let page = await launch(['film.bin']);
  // The window is locked down: sandboxed, isolated, no Node, its own app:// origin.
  const prefs = await app!.evaluate(({ BrowserWindow }) => {
    const p = BrowserWindow.getAllWindows()[0]!.webContents.getLastWebPreferences();
    return p ? { sandbox: p.sandbox, contextIsolation: p.contextIsolation, nodeIntegration: p.nodeIntegration } : null;
  });
  expect(prefs).toEqual({ sandbox: true, contextIsolation: true, nodeIntegration: false });
  await expect(page).toHaveURL('app://hoist/index.html');
  expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');

  await expect(row(page, 'film.bin')).toBeVisible();
  await expect.poll(() => progressOf(page, 'film.bin')).toBeGreaterThan(5);
  await page.getByRole('button', { name: 'Show parts of film.bin' }).click();
  const strip = page.getByRole('group', { name: 'Parts of film.bin' });
  await expect(strip.getByRole('img', { name: 'Part 1 of 20: done' })).toBeVisible();
  const before = await progressOf(page, 'film.bin');
  await expect.poll(() => progressOf(page, 'film.bin')).toBeGreaterThan(before);

  await page.getByRole('button', { name: 'Pause film.bin' }).click();
  await expect(row(page, 'film.bin')).toHaveAccessibleName(/film\.bin, Paused/);
  expect(em.sessions()[0]!.receivedBytes).toBeLessThan(24 * MiB);

  // Quit (as the tray's Quit does) and start again without the file: the job is still there, still paused.
  await app!.close();
  app = undefined;
  page = await launch([]);
  await expect(row(page, 'film.bin')).toHaveAccessibleName(/film\.bin, Paused/);

  await page.getByRole('button', { name: 'Resume film.bin' }).click();
  const finished = page.getByRole('button', { name: /^Finished/ });
  await expect(finished).toBeVisible({ timeout: 60_000 });
  if ((await finished.getAttribute('aria-expanded')) !== 'true') await finished.click();
  await expect(row(page, 'film.bin')).toHaveAccessibleName(/film\.bin, Done/, { timeout: 60_000 });
  expect(em.items().find((i) => i.path === '/film.bin')?.sha256).toBe(sha256(file));
  // Resumed on the same server session: nothing was sent twice from the start.
  expect(em.sessions()).toHaveLength(1);
});
