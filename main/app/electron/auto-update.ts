import { updateFeedUrl, UPDATE_FEED_KEY } from './update-feed.js';

interface UpdaterLike {
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdatesAndNotify(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  logger: unknown;
}

/**
 * electron-updater on a generic feed, off until a feed address is set (HOIST_UPDATE_URL, or the `updates.feedUrl`
 * setting). Loaded only when on: the module reads the app's files at import. A failed check is logged, never shown.
 */
export async function startAutoUpdate(input: { isPackaged: boolean; readSetting(key: string): string | undefined; log(line: string): void }): Promise<void> {
  const url = updateFeedUrl({ env: process.env, stored: input.readSetting(UPDATE_FEED_KEY), isPackaged: input.isPackaged });
  if (url === null) return;
  const module = (await import('electron-updater')) as unknown as { autoUpdater?: UpdaterLike; default?: { autoUpdater: UpdaterLike } };
  const updater = module.autoUpdater ?? module.default?.autoUpdater;
  if (!updater) return;
  updater.logger = null;
  updater.on('error', (error) => input.log(`hoist: update check failed: ${error.message}`));
  updater.setFeedURL({ provider: 'generic', url });
  await updater.checkForUpdatesAndNotify().catch((error: unknown) => input.log(`hoist: update check failed: ${error instanceof Error ? error.message : String(error)}`));
}
