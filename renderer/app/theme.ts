/** The page's light or dark theme (no React here: main.tsx sets it before React loads). */

let query: MediaQueryList | undefined;
const darkQuery = () => (query ??= window.matchMedia('(prefers-color-scheme: dark)'));

export const isSystemDark = (): boolean => darkQuery().matches;

export function subscribeDark(notify: () => void): () => void {
  darkQuery().addEventListener('change', notify);
  return () => darkQuery().removeEventListener('change', notify);
}

/** Sets the page's theme; the same value again changes nothing (a new one restyles every element). */
export function applyTheme(theme: 'light' | 'dark'): void {
  if (document.documentElement.dataset.theme !== theme) document.documentElement.dataset.theme = theme;
}

/** The theme before the settings arrive (the system's): set before the first render, which then is not restyled. */
export function applySystemTheme(): void {
  applyTheme(isSystemDark() ? 'dark' : 'light');
}
