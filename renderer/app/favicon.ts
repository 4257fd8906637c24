import type { AppStateKind } from '../../preload/contract/index.js';

// One badge per app state, so the browser tab tells at a glance what the tray will tell in Electron.
const GLYPH: Record<AppStateKind, { fill: string; mark: string }> = {
  idle: { fill: '#2e7d32', mark: '<path d="M9 16.5l4.5 4.5L23 11.5" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/>' },
  uploading: { fill: '#1565c0', mark: '<path d="M16 23V10M10.5 15.5 16 10l5.5 5.5" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/>' },
  paused: { fill: '#616161', mark: '<path d="M12.5 10v12M19.5 10v12" stroke="#fff" stroke-width="3.2" stroke-linecap="round"/>' },
  'waiting-network': { fill: '#b26a00', mark: '<path d="M10 16h.01M16 16h.01M22 16h.01" stroke="#fff" stroke-width="3.6" stroke-linecap="round"/>' },
  'rate-limited': { fill: '#b26a00', mark: '<path d="M16 9.5V16l4 3" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/>' },
  'needs-attention': { fill: '#c62828', mark: '<path d="M16 9v8.5M16 22.5v.01" stroke="#fff" stroke-width="3.4" stroke-linecap="round"/>' },
};

/** The favicon of an app state, as an SVG data: URL (the page's CSP allows data: images). */
export function faviconUrl(kind: AppStateKind): string {
  const { fill, mark } = GLYPH[kind];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="${fill}"/>${mark}</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
