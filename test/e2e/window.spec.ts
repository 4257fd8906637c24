import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { writeRandomFile } from '../support/cli.js';
import { hoist, startServe, tempDir, type ServeProcess } from './serve-harness.js';

const MiB = 1024 * 1024;
const TOKEN = 'graph-test-token';
/** 4 × 320 KiB: a 24 MiB file is 20 parts, enough to watch the strip fill. */
const FRAGMENT = 1_310_720;
const ENV = { GRAPH_TOKEN: TOKEN, HOIST_WATCH_QUIET_MS: '300', HOIST_RETRY_BASE_MS: '50', HOIST_RETRY_MAX_MS: '500' };

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface World {
  em: GraphEmulator;
  dir: ReturnType<typeof tempDir>;
  dataDir: string;
  watched: string;
  serve?: ServeProcess;
}

async function world(emOptions: { throughputBytesPerSec?: number; sessionTtlMs?: number } = {}): Promise<World> {
  const dir = tempDir('window');
  const em = await GraphEmulator.start({ storageDir: join(dir.path, 'server'), ...emOptions });
  const dataDir = join(dir.path, 'data');
  const watched = join(dir.path, 'watched');
  mkdirSync(watched);
  await hoist(dataDir, ['dest', 'add', 'OneDrive', '--provider', 'graph', '--endpoint', em.graphBaseUrl, '--token-env', 'GRAPH_TOKEN', '--fragment-size', String(FRAGMENT)]);
  return { em, dir, dataDir, watched };
}

async function teardown(w: World | undefined): Promise<void> {
  if (!w) return;
  await w.serve?.stop();
  await w.em.close();
  w.dir.remove();
}

const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name.replace('.', '\\.')},`) });
const progressOf = async (page: Page, name: string) => Number(await page.getByRole('progressbar', { name: `Progress of ${name}` }).getAttribute('aria-valuenow'));

/** Finished jobs sit in a group collapsed by default: open it to see them. */
async function showFinished(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: /^Finished/ });
  await expect(toggle).toBeVisible({ timeout: 60_000 });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

let w: World | undefined;
test.afterEach(async () => {
  await teardown(w);
  w = undefined;
});

test('a watched file uploads with a live bar and part strip, pauses across a daemon restart with an expiry warning, and resumes on the same session', async ({ page }) => {
  w = await world({ throughputBytesPerSec: 6 * MiB, sessionTtlMs: 20 * 60_000 });
  await hoist(w.dataDir, ['watch', 'add', w.watched, '--dest', 'OneDrive', '--remote-dir', '/Sync']);
  w.serve = await startServe(w.dataDir, ENV);
  await page.goto(w.serve.url);
  await expect(page.getByText('Drop files here, or watch a folder')).toBeVisible();

  const file = join(w.watched, 'film.bin');
  writeRandomFile(file, 24 * MiB);
  await expect(row(page, 'film.bin')).toBeVisible();
  await expect.poll(() => progressOf(page, 'film.bin')).toBeGreaterThan(5);
  await page.getByRole('button', { name: 'Show parts of film.bin' }).click();
  const strip = page.getByRole('group', { name: 'Parts of film.bin' });
  await expect(strip.getByRole('img', { name: 'Part 1 of 20: done' })).toBeVisible();
  await expect(strip.getByRole('img', { name: /^Part \d+ of 20: (sending|pending)/ }).first()).toBeVisible();
  const before = await progressOf(page, 'film.bin');
  await expect.poll(() => progressOf(page, 'film.bin')).toBeGreaterThan(before);

  await page.getByRole('button', { name: 'Pause film.bin' }).click();
  await expect(row(page, 'film.bin')).toHaveAccessibleName(/film\.bin, Paused/);
  const receivedAtPause = () => w!.em.sessions()[0]!.bytesReceivedTotal;
  await page.waitForTimeout(300); // the request in flight is torn down
  const atPause = receivedAtPause();
  await page.waitForTimeout(1500);
  expect(receivedAtPause()).toBe(atPause);
  expect(w.em.sessions()[0]!.receivedBytes).toBeLessThan(24 * MiB);

  // The daemon goes down and comes back on the same address; the tab reconnects, and the job is still paused.
  const port = w.serve.port;
  expect(await w.serve.stop()).toBe(0);
  w.serve = await startServe(w.dataDir, ENV, port);
  await page.reload();
  await expect(row(page, 'film.bin')).toHaveAccessibleName(/film\.bin, Paused/);
  const warnings = page.getByRole('region', { name: 'Warnings' });
  await expect(warnings).toContainText(/film\.bin.*expires in \d+ min/);
  await expect(row(page, 'film.bin')).toContainText(/Session expires in \d+ min/);

  await page.getByRole('button', { name: 'Resume film.bin' }).click();
  await showFinished(page);
  await expect(row(page, 'film.bin')).toHaveAccessibleName(/film\.bin, Done/, { timeout: 60_000 });
  const item = w.em.items().find((i) => i.path === '/Sync/film.bin');
  expect(item?.sha256).toBe(sha256(file));
  expect(w.em.sessions()).toHaveLength(1);
  await expect(warnings).toHaveCount(0);
});

test('files given to the tab stream to the daemon; a sign-in failure lands in Needs attention and Retry all finishes them', async ({ page }) => {
  w = await world();
  // The emulator accepts another token than the destination sends: every upload is refused as signed out.
  w.em.setAccessToken('the-right-token');
  w.serve = await startServe(w.dataDir, ENV);
  await page.goto(w.serve.url);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('combobox', { name: 'Default destination' }).selectOption('OneDrive');
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Queue/ }).click();

  const a = join(w.dir.path, 'report.pdf');
  const b = join(w.dir.path, 'photo.raw');
  writeRandomFile(a, 3 * MiB + 5);
  writeRandomFile(b, 300_000);
  await page.getByLabel('Choose files to upload').setInputFiles([a, b]);
  await expect(row(page, 'report.pdf')).toHaveAccessibleName(/report\.pdf, Failed/);
  await expect(row(page, 'photo.raw')).toHaveAccessibleName(/photo\.raw, Failed/);
  await expect(page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Needs attention/ })).toContainText('2');
  await expect(page.getByText(/Signed out of OneDrive/)).toBeVisible();
  await page.getByRole('button', { name: 'Show error of report.pdf' }).click();
  await expect(page.getByText(/401/).first()).toBeVisible();

  w.em.setAccessToken(TOKEN);
  await page.getByRole('button', { name: 'Retry all', exact: true }).click();
  await showFinished(page);
  await expect(row(page, 'report.pdf')).toHaveAccessibleName(/report\.pdf, Done/);
  await expect(row(page, 'photo.raw')).toHaveAccessibleName(/photo\.raw, Done/);
  expect(w.em.items().find((i) => i.path === '/report.pdf')?.sha256).toBe(sha256(a));
  expect(w.em.items().find((i) => i.path === '/photo.raw')?.sha256).toBe(sha256(b));
  // The daemon's own copies of streamed files go once they are uploaded.
  const status = JSON.parse(await hoist(w.dataDir, ['status', '--json'])) as { jobs: Array<{ localPath: string }> };
  expect(status.jobs).toHaveLength(2);
  await expect.poll(() => status.jobs.filter((j) => existsSync(j.localPath)).length).toBe(0);
});

test('Pause all holds every upload and Resume all finishes them', async ({ page }) => {
  w = await world({ throughputBytesPerSec: 3 * MiB });
  await hoist(w.dataDir, ['watch', 'add', w.watched, '--dest', 'OneDrive']);
  w.serve = await startServe(w.dataDir, ENV);
  await page.goto(w.serve.url);
  const names = ['one.bin', 'two.bin', 'three.bin'];
  for (const name of names) writeRandomFile(join(w.watched, name), 6 * MiB);
  for (const name of names) await expect(row(page, name)).toBeVisible();
  await expect.poll(() => progressOf(page, 'one.bin')).toBeGreaterThan(0);

  await page.getByRole('button', { name: 'Pause all' }).click();
  for (const name of names) await expect(row(page, name)).toHaveAccessibleName(new RegExp(`${name.replace('.', '\\.')}, Paused`));
  // Bytes already on their way may still land (a loaded machine can take a moment to abort): the flow must stop within
  // a couple of seconds and then stay stopped.
  const received = () => w.em.sessions().reduce((sum, s) => sum + s.bytesReceivedTotal, 0);
  let held = received();
  await expect
    .poll(
      async () => {
        const before = received();
        await page.waitForTimeout(300);
        held = received();
        return held === before;
      },
      { timeout: 3_000, intervals: [0] },
    )
    .toBe(true);
  await page.waitForTimeout(1200);
  expect(received()).toBe(held);

  await page.getByRole('button', { name: 'Resume all' }).click();
  await showFinished(page);
  for (const name of names) await expect(row(page, name)).toHaveAccessibleName(new RegExp(`${name.replace('.', '\\.')}, Done`), { timeout: 60_000 });
  for (const name of names) expect(w.em.items().find((i) => i.path === `/${name}`)?.sha256).toBe(sha256(join(w.watched, name)));
});

test('a destination added from the window is stored and usable', async ({ page }) => {
  w = await world();
  w.serve = await startServe(w.dataDir, ENV);
  await page.goto(w.serve.url);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Destinations' }).click();
  await page.getByRole('button', { name: 'Add destination' }).click();
  const form = page.getByRole('form', { name: 'Add destination' });
  await form.getByRole('radio', { name: /OneDrive/ }).check();
  await form.getByLabel('Name', { exact: true }).fill('Team');
  await form.getByLabel(/^Endpoint/).fill(w.em.graphBaseUrl);
  await form.getByRole('radio', { name: 'Token', exact: true }).check();
  await form.getByLabel(/^Access token/).fill(TOKEN);
  await form.getByRole('button', { name: 'Add destination' }).click();
  await expect(page.getByRole('button', { name: 'Remove Team' })).toBeVisible();
  const listed = JSON.parse(await hoist(w.dataDir, ['dest', 'list', '--json'])) as { destinations: Array<{ name: string; provider: string; settings: { endpoint?: string } }> };
  expect(listed.destinations.find((d) => d.name === 'Team')).toMatchObject({ provider: 'graph', settings: { endpoint: w.em.graphBaseUrl } });
  // The token went to the secret store, never into the database or the page.
  expect(readFileSync(join(w.dataDir, 'hoist.db')).includes(Buffer.from(TOKEN))).toBe(false);

  const file = join(w.dir.path, 'team.bin');
  writeRandomFile(file, 2 * MiB);
  await hoist(w.dataDir, ['upload', file, '--dest', 'Team', '--remote-dir', '/Shared']);
  expect(w.em.items().find((i) => i.path === '/Shared/team.bin')?.sha256).toBe(sha256(file));
  // An upload run by another process shows up in the window, read from the database.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Queue/ }).click();
  await showFinished(page);
  await expect(row(page, 'team.bin')).toHaveAccessibleName(/team\.bin, Done/);
});


test('Pause for 1 hour holds uploads until Resume all; network settings apply at once and a wrong limit is refused in words', async ({ page }) => {
  w = await world({ throughputBytesPerSec: 3 * MiB });
  await hoist(w.dataDir, ['watch', 'add', w.watched, '--dest', 'OneDrive']);
  w.serve = await startServe(w.dataDir, ENV);
  await page.goto(w.serve.url);
  writeRandomFile(join(w.watched, 'long.bin'), 12 * MiB);
  await expect.poll(() => progressOf(page, 'long.bin')).toBeGreaterThan(0);

  // Keyboard only: open the menu with the arrow key, move to the second item, choose it.
  await page.getByRole('button', { name: 'Pause for…' }).focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Pause all for 1 hour' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Pause all for 8 hours' })).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(row(page, 'long.bin')).toHaveAccessibleName(/long\.bin, Paused/);
  await expect(page.getByRole('main').getByText(/^Paused until \d\d:\d\d \(1 upload\)$/)).toBeVisible();
  const status = JSON.parse(await hoist(w.dataDir, ['status', '--json'])) as { jobs: Array<{ pausedUntilMs: number | null }> };
  const until = status.jobs[0]!.pausedUntilMs!;
  expect(until - Date.now()).toBeGreaterThan(59 * 60_000);
  expect(until - Date.now()).toBeLessThanOrEqual(60 * 60_000);

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
  const limit = page.getByRole('textbox', { name: 'Upload speed limit' });
  await limit.fill('3 apples');
  await limit.press('Enter');
  await expect(page.getByRole('alert')).toContainText(/3 apples/);
  await expect(limit).toHaveAttribute('aria-invalid', 'true');
  await limit.fill('1M');
  await limit.press('Enter');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByText(/limit 1\.0 MB\/s/)).toBeVisible();
  await page.getByRole('spinbutton', { name: 'Stall timeout (seconds)' }).fill('20');
  await page.getByRole('spinbutton', { name: 'Stall timeout (seconds)' }).press('Enter');
  await page.getByRole('checkbox', { name: 'Keep their sessions alive' }).check();
  await page.reload();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('textbox', { name: 'Upload speed limit' })).toHaveValue('1M');
  await expect(page.getByRole('spinbutton', { name: 'Stall timeout (seconds)' })).toHaveValue('20');
  await expect(page.getByRole('checkbox', { name: 'Keep their sessions alive' })).toBeChecked();

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Queue/ }).click();
  await page.getByRole('button', { name: 'Resume all' }).click();
  await showFinished(page);
  await expect(row(page, 'long.bin')).toHaveAccessibleName(/long\.bin, Done/, { timeout: 60_000 });
  expect(w.em.items().find((i) => i.path === '/long.bin')?.sha256).toBe(sha256(join(w.watched, 'long.bin')));
});
