import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Store } from '../../main/store/store.js';
import { hoist, startServe, tempDir, type ServeProcess } from './serve-harness.js';

const JOBS = 10_000;

let serve: ServeProcess | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
let other: Server | undefined;
test.afterEach(async () => {
  await serve?.stop();
  other?.close();
  dir?.remove();
  serve = undefined;
  other = undefined;
  dir = undefined;
});

/** A data folder holding `JOBS` finished uploads and a few paused ones, written straight into its database. */
async function seeded(): Promise<string> {
  dir = tempDir('scale');
  const dataDir = join(dir.path, 'data');
  await hoist(dataDir, ['dest', 'list']);
  const store = Store.open(join(dataDir, 'hoist.db'));
  try {
    const dest = store.destinations.byName('local')!;
    store.db.transaction(() => {
      for (let i = 1; i <= JOBS; i++) {
        const name = `photo-${String(i).padStart(5, '0')}.jpg`;
        const job = store.jobs.create({ destinationId: dest.id, localPath: `/home/ana/Pictures/${name}`, remotePath: `/Pictures/${name}`, sizeBytes: 2_000_000 + i, mtimeMs: i, inode: null }, i);
        if (i > JOBS - 5) store.jobs.pauseIds([job.id], i);
        else store.jobs.complete(job.id, { id: `item-${i}` }, i);
      }
    })();
  } finally {
    store.close();
  }
  return dataDir;
}

test('10,000 jobs render and scroll, with only the visible rows in the page', async ({ page }) => {
  const dataDir = await seeded();
  serve = await startServe(dataDir, {});
  await page.goto(serve.url);
  await expect(page.getByRole('row', { name: /^photo-09999\.jpg, Paused/ })).toBeVisible();
  await page.getByRole('button', { name: /^Finished/ }).click();
  // Finished uploads, newest first.
  await expect(page.getByRole('row', { name: /^photo-09995\.jpg, Done/ })).toBeVisible();
  const grid = page.getByRole('grid', { name: 'Uploads' });
  await expect(grid).toHaveAttribute('aria-rowcount', String(JOBS + 2));
  expect(await page.getByRole('row').count()).toBeLessThan(100);
  await page.locator('.queue-scroll').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(page.getByRole('row', { name: /^photo-00001\.jpg, Done/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /^photo-09995\.jpg/ })).toHaveCount(0);
  expect(await page.getByRole('row').count()).toBeLessThan(100);
});

test('without its token the page shows no job, and a page of another origin gets nothing from the bridge', async ({ page }) => {
  const dataDir = await seeded();
  serve = await startServe(dataDir, {});
  await page.goto(`${serve.origin}/`);
  await expect(page.getByRole('heading', { name: /Open the address hoist serve printed/ })).toBeVisible();
  await expect(page.getByRole('row')).toHaveCount(0);
  await expect(page.getByText(/photo-\d+/)).toHaveCount(0);

  // A web page the user happens to have open, on another origin, that knows (or guessed) the token.
  other = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', () => resolve()));
  await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
  const seen = await page.evaluate(async (url) => {
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        events.push('open');
        ws.send(JSON.stringify({ t: 'call', id: 1, command: 'snapshot', args: [] }));
      };
      ws.onmessage = (m) => events.push(`message ${String(m.data).slice(0, 40)}`);
      ws.onerror = () => events.push('error');
      ws.onclose = () => resolve();
      setTimeout(() => resolve(), 5_000);
    });
    return events;
  }, `ws://127.0.0.1:${serve.port}/bridge?token=${serve.token}`);
  expect(seen).toEqual(['error']);
});
