/** The environment variable that turns automatic updates on: the address of a generic electron-updater feed. */
export const UPDATE_FEED_ENV = 'HOIST_UPDATE_URL';

/** The settings key that may hold the feed instead (set by an installer or an administrator). */
export const UPDATE_FEED_KEY = 'updates.feedUrl';

/**
 * The update feed to use, or null: updates are off until a feed is set (the environment wins over the stored setting),
 * only a packaged app updates itself, and only over https (or http on loopback, for a local test feed).
 */
export function updateFeedUrl(input: { env: NodeJS.ProcessEnv; stored: string | undefined; isPackaged: boolean }): string | null {
  if (!input.isPackaged) return null;
  const raw = (input.env[UPDATE_FEED_ENV] ?? input.stored ?? '').trim();
  if (raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const isLoopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback)) return null;
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
