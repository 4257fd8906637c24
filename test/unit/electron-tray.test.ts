import { describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import type { JobCountsView } from '../../preload/contract/views.js';
import { appState } from '../../main/domain/app-state.js';
import { hasTraySupport, trayState, windowCloseAction, TRAY_PAUSES_MS, type TrayMenuItem } from '../../main/app/electron/tray-state.js';
import { encodePng } from '../../main/app/electron/png.js';
import { drawBadge, drawStateIcon } from '../../main/app/electron/tray-icon.js';

const NOW = Date.UTC(2026, 0, 5, 9, 0);
const counts = (c: Partial<JobCountsView> = {}): JobCountsView => ({ uploading: 0, queued: 0, paused: 0, failed: 0, done: 0, ...c });
const state = (c: Partial<JobCountsView> = {}, extra: { pausedUntilMs?: number | null; waitingNetwork?: Array<{ destination: string; sinceMs: number }> } = {}) =>
  appState({ counts: counts(c), pausedUntilMs: extra.pausedUntilMs ?? null, waitingNetwork: extra.waitingNetwork ?? [], rateLimited: [], bandwidthLimitBytesPerSec: null, nowMs: NOW, clock: () => '10:00' });

const items = (menu: ReturnType<typeof trayState>['menu']) => Object.fromEntries(menu.filter((i): i is TrayMenuItem => i !== 'separator').map((i) => [i.command, i]));

describe('tray state from the app state', () => {
  it('always has a context menu with show, pause all, pause 1 h / 8 h, resume all and quit', () => {
    const menu = trayState(state(), { isStartAtLogin: false }).menu;
    expect(menu.filter((i) => i !== 'separator').map((i) => (i as TrayMenuItem).label)).toEqual([
      'Show window',
      'Pause all',
      'Pause for 1 hour',
      'Pause for 8 hours',
      'Resume all',
      'Start at login',
      'Quit Hoist',
    ]);
    expect(TRAY_PAUSES_MS).toEqual({ 'pause-1h': 3_600_000, 'pause-8h': 28_800_000 });
  });

  it('idle: nothing to pause or resume; icon idle; tooltip carries the summary', () => {
    const tray = trayState(state({ done: 4 }), { isStartAtLogin: false });
    expect(tray.icon).toBe('idle');
    expect(tray.tooltip).toBe('Hoist — All uploads done');
    expect(tray.badgeCount).toBe(0);
    const m = items(tray.menu);
    expect([m['pause-all']!.isEnabled, m['resume-all']!.isEnabled, m['pause-1h']!.isEnabled, m['show-window']!.isEnabled, m.quit!.isEnabled]).toEqual([false, false, true, true, true]);
  });

  it('uploading: Pause all enabled, Resume all not', () => {
    const tray = trayState(state({ uploading: 2, queued: 3 }), { isStartAtLogin: true });
    expect(tray.icon).toBe('uploading');
    expect(tray.tooltip).toBe('Hoist — Uploading 2 of 5');
    const m = items(tray.menu);
    expect(m['pause-all']!.isEnabled).toBe(true);
    expect(m['resume-all']!.isEnabled).toBe(false);
    expect(m['start-at-login']!.isChecked).toBe(true);
  });

  it('paused (by hand or for a while): Resume all enabled; a timed pause with nothing paused yet also resumes', () => {
    expect(items(trayState(state({ paused: 2 }), { isStartAtLogin: false }).menu)['resume-all']!.isEnabled).toBe(true);
    const timed = trayState(state({}, { pausedUntilMs: NOW + 3_600_000 }), { isStartAtLogin: false });
    expect(timed.icon).toBe('paused');
    expect(timed.tooltip).toBe('Hoist — Paused until 10:00');
    expect(items(timed.menu)['resume-all']!.isEnabled).toBe(true);
    expect(items(timed.menu)['pause-all']!.isEnabled).toBe(false);
  });

  it('failures: needs-attention icon and the failure count as the badge; waiting for network has its own icon', () => {
    const failing = trayState(state({ failed: 3, uploading: 1 }), { isStartAtLogin: false });
    expect(failing.icon).toBe('needs-attention');
    expect(failing.badgeCount).toBe(3);
    expect(items(failing.menu)['pause-all']!.isEnabled).toBe(true);
    expect(trayState(state({ uploading: 1 }, { waitingNetwork: [{ destination: 'OneDrive', sinceMs: NOW }] }), { isStartAtLogin: false }).icon).toBe('waiting-network');
  });

  it('cuts a tooltip to the 127 characters Windows shows', () => {
    const long = { ...state({ uploading: 1 }), summary: 'x'.repeat(300) };
    const tooltip = trayState(long, { isStartAtLogin: false }).tooltip;
    expect(tooltip).toHaveLength(127);
    expect(tooltip.endsWith('…')).toBe(true);
  });
});

describe('closing the window', () => {
  it('hides to the tray, quits where there is no tray, and closes during a quit', () => {
    expect(windowCloseAction({ isQuitting: false, hasTray: true })).toBe('hide');
    expect(windowCloseAction({ isQuitting: false, hasTray: false })).toBe('quit');
    expect(windowCloseAction({ isQuitting: true, hasTray: true })).toBe('close');
    expect(windowCloseAction({ isQuitting: true, hasTray: false })).toBe('close');
  });

  it('knows which desktops show a tray: plain GNOME and no desktop do not; HOIST_TRAY overrides', () => {
    expect(hasTraySupport('win32', {})).toBe(true);
    expect(hasTraySupport('darwin', {})).toBe(true);
    expect(hasTraySupport('linux', { XDG_CURRENT_DESKTOP: 'GNOME' })).toBe(false);
    expect(hasTraySupport('linux', { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' })).toBe(true);
    expect(hasTraySupport('linux', { XDG_CURRENT_DESKTOP: 'KDE' })).toBe(true);
    expect(hasTraySupport('linux', { XDG_CURRENT_DESKTOP: 'XFCE' })).toBe(true);
    expect(hasTraySupport('linux', {})).toBe(false);
    expect(hasTraySupport('linux', { XDG_CURRENT_DESKTOP: 'GNOME', HOIST_TRAY: 'on' })).toBe(true);
    expect(hasTraySupport('win32', { HOIST_TRAY: 'off' })).toBe(false);
  });
});

/** Decodes the PNGs encodePng writes (filter 0 rows) back to RGBA. */
function decodePng(png: Buffer): { width: number; height: number; pixel(x: number, y: number): number[] } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  let offset = 8;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  return { width, height, pixel: (x, y) => [...raw.subarray(y * (width * 4 + 1) + 1 + x * 4, y * (width * 4 + 1) + 1 + x * 4 + 4)] };
}

describe('tray icons drawn in code', () => {
  it('a state icon is its colour around a white glyph, transparent in the corners', () => {
    const png = decodePng(encodePng(drawStateIcon('uploading', 32)));
    expect([png.width, png.height]).toEqual([32, 32]);
    expect(png.pixel(0, 0)[3]).toBe(0);
    expect(png.pixel(6, 16)).toEqual([0x15, 0x65, 0xc0, 255]);
    expect(png.pixel(16, 18)).toEqual([255, 255, 255, 255]);
  });

  it('failures add a red badge in the top right (Linux trays have no badge of their own)', () => {
    const plain = decodePng(encodePng(drawStateIcon('idle', 64)));
    const badged = decodePng(encodePng(drawStateIcon('idle', 64, 3)));
    expect(plain.pixel(56, 9)[3]).toBe(0);
    const [r, g, b, a] = badged.pixel(52, 4);
    expect(a).toBe(255);
    expect([r, g, b]).toEqual([0xc6, 0x28, 0x28]);
    expect(decodePng(encodePng(drawBadge(12, 16))).width).toBe(16);
  });

  it('refuses pixel data of the wrong size', () => {
    expect(() => encodePng({ width: 2, height: 2, rgba: new Uint8Array(3) })).toThrow(/expected 16 bytes/);
  });
});
