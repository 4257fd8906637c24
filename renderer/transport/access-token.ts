import { tokenFromFragment } from './token-fragment.js';

const STORAGE_KEY = 'hoist.accessToken';

/**
 * The access token `hoist serve` printed in the page address. It moves to sessionStorage at once and leaves the
 * visible URL, so it is not shown over a shoulder, bookmarked or shared with a copied link; a reload keeps it.
 */
export function takeAccessToken(): string | null {
  const { token, rest } = tokenFromFragment(window.location.hash);
  if (token !== null) {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, token);
    } catch {
      // Storage can be disabled; the token then lasts as long as this page.
    }
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${rest}`);
    return token;
  }
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
