import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import { writeRandomFile } from '../support/cli.js';
import { hoist, startServe, tempDir } from './serve-harness.js';

const MiB = 1024 * 1024;
const SHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');

/** Every button and every form control has an accessible name (a control named only by an icon would fail). */
async function expectNamedControls(page: Page, screen: string): Promise<void> {
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('button, input, select, textarea, [role="button"], [role="progressbar"]')]
      .filter((el) => (el as HTMLElement).offsetParent !== null || el.getAttribute('type') === 'file')
      .filter((el) => {
        const labelled = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
        const text = (el.textContent ?? '').trim();
        const hasLabel = el.id !== '' && document.querySelector(`label[for="${el.id}"]`) !== null;
        return !labelled && !text && !hasLabel && el.closest('label') === null;
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  expect(unnamed, `controls without a name on ${screen}`).toEqual([]);
}

async function shoot(page: Page, screen: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `${screen}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('every screen, light and dark, with named controls (screenshots in test-results/screenshots)', async ({ page }) => {
  mkdirSync(SHOTS, { recursive: true });
  const dir = tempDir('screens');
  const em = await GraphEmulator.start({ storageDir: join(dir.path, 'server'), throughputBytesPerSec: 2 * MiB, sessionTtlMs: 20 * 60_000 });
  const dataDir = join(dir.path, 'data');
  const videos = join(dir.path, 'Videos');
  mkdirSync(videos);
  const env = { GRAPH_TOKEN: 'graph-test-token', WRONG_TOKEN: 'expired', HOIST_WATCH_QUIET_MS: '300' };
  const serve = await startServe(dataDir, env);
  try {
    await page.goto(serve.url);
    await expect(page.getByText('Drop files here, or watch a folder')).toBeVisible();
    await shoot(page, 'empty-queue');

    await hoist(dataDir, ['dest', 'add', 'OneDrive', '--provider', 'graph', '--endpoint', em.graphBaseUrl, '--token-env', 'GRAPH_TOKEN', '--fragment-size', '1310720']);
    await hoist(dataDir, ['dest', 'add', 'Box', '--provider', 'box', '--endpoint', em.graphBaseUrl, '--token-env', 'WRONG_TOKEN']);
    await hoist(dataDir, ['watch', 'add', videos, '--dest', 'OneDrive', '--remote-dir', '/Videos']);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('combobox', { name: 'Default destination' }).selectOption('OneDrive');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Queue/ }).click();

    // One upload to pause (its session then warns), one running with its parts shown, one finished, one failed.
    writeRandomFile(join(videos, 'interview.wav'), 12 * MiB);
    await expect.poll(async () => Number(await page.getByRole('progressbar', { name: 'Progress of interview.wav' }).getAttribute('aria-valuenow'))).toBeGreaterThan(10);
    await page.getByRole('button', { name: 'Pause interview.wav' }).click();
    writeRandomFile(join(videos, 'notes.txt'), 200_000);
    await expect(page.getByRole('button', { name: /^Finished/ })).toBeVisible();
    writeRandomFile(join(videos, 'holiday-2026-full-resolution-master.mov'), 60 * MiB);
    const box = join(dir.path, 'slides.key');
    writeRandomFile(box, 1 * MiB);
    await page.getByRole('combobox', { name: 'Upload to' }).selectOption('Box');
    await page.getByLabel('Choose files to upload').setInputFiles([box]);
    await expect(page.getByRole('row', { name: /^slides\.key, Failed/ })).toBeVisible();
    await page.getByRole('combobox', { name: 'Upload to' }).selectOption({ index: 0 });
    await page.getByRole('button', { name: 'Show parts of holiday-2026-full-resolution-master.mov' }).click();
    await expect(page.getByRole('img', { name: /^Part 1 of 48: done/ })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Warnings' })).toContainText('expires');
    await expectNamedControls(page, 'queue');
    await shoot(page, 'queue');
    await page.getByRole('button', { name: 'Pause for…' }).click();
    await expect(page.getByRole('menuitem', { name: 'Pause all for 1 hour' })).toBeFocused();
    await shoot(page, 'pause-for-menu');
    await page.keyboard.press('Escape');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Needs attention/ }).click();
    await page.getByRole('button', { name: 'Show error of slides.key' }).click();
    await expectNamedControls(page, 'needs attention');
    await shoot(page, 'needs-attention');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Destinations' }).click();
    await expect(page.getByRole('heading', { name: 'Destinations' })).toBeVisible();
    await expectNamedControls(page, 'destinations');
    await shoot(page, 'destinations');
    await page.getByRole('button', { name: 'Add destination' }).click();
    await expectNamedControls(page, 'add destination');
    await shoot(page, 'destinations-add');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Watched folders' }).click();
    await expect(page.getByRole('heading', { name: 'Watched folders' })).toBeVisible();
    await expectNamedControls(page, 'watched folders');
    await shoot(page, 'watched-folders');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    await expectNamedControls(page, 'settings');
    await shoot(page, 'settings');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Queue/ }).click();
    await page.getByRole('button', { name: 'Cancel holiday-2026-full-resolution-master.mov' }).click();
    await expect(page.getByRole('dialog', { name: /Cancel holiday/ })).toBeVisible();
    await shoot(page, 'cancel-dialog');
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);

    await page.goto(`${serve.origin}/`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await shoot(page, 'no-token');
  } finally {
    await serve.stop();
    await em.close();
    dir.remove();
  }
});
