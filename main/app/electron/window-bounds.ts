/** A rectangle in screen coordinates (Electron's `Rectangle`). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the window was when it last moved, as stored in the settings table. */
export interface SavedPlacement {
  bounds: Rect;
  isMaximized: boolean;
}

/** The settings key the placement is stored under. */
export const WINDOW_PLACEMENT_KEY = 'window.placement';

export const DEFAULT_WINDOW_SIZE = { width: 1100, height: 720 } as const;
export const MIN_WINDOW_SIZE = { width: 640, height: 420 } as const;

/** Of a window placed partly off screen, at least this much (its title bar) must stay on a display to keep its place. */
const MIN_VISIBLE = { width: 120, height: 40 } as const;

const isRect = (value: unknown): value is Rect => {
  const r = value as Partial<Rect> | null;
  return typeof r === 'object' && r !== null && [r.x, r.y, r.width, r.height].every((n) => typeof n === 'number' && Number.isFinite(n)) && r.width! > 0 && r.height! > 0;
};

/** The stored placement, or null when there is none or it is not readable (never an error: the default is fine). */
export function parsePlacement(raw: string | undefined): SavedPlacement | null {
  if (raw === undefined) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<SavedPlacement>;
    return isRect(parsed.bounds) ? { bounds: parsed.bounds, isMaximized: parsed.isMaximized === true } : null;
  } catch {
    return null;
  }
}

const overlap = (a: Rect, b: Rect) => ({
  width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
  height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
});

const centredIn = (area: Rect, size: { width: number; height: number }): Rect => {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return { x: area.x + Math.round((area.width - width) / 2), y: area.y + Math.round((area.height - height) / 2), width, height };
};

/**
 * Where to open the window: the saved place when enough of it is on a display that still exists (moved fully onto
 * that display and shrunk to fit it), otherwise the default size centred on the primary display (the first work area).
 * A display unplugged since, or a resolution lowered, never leaves the window off screen.
 */
export function placeWindow(saved: SavedPlacement | null, workAreas: readonly Rect[]): SavedPlacement {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: DEFAULT_WINDOW_SIZE.width, height: DEFAULT_WINDOW_SIZE.height };
  if (saved === null) return { bounds: centredIn(primary, DEFAULT_WINDOW_SIZE), isMaximized: false };
  let best: { area: Rect; visible: number } | null = null;
  for (const area of workAreas) {
    const o = overlap(saved.bounds, area);
    if (o.width >= MIN_VISIBLE.width && o.height >= MIN_VISIBLE.height && (best === null || o.width * o.height > best.visible)) best = { area, visible: o.width * o.height };
  }
  if (best === null) {
    const size = { width: Math.max(MIN_WINDOW_SIZE.width, saved.bounds.width), height: Math.max(MIN_WINDOW_SIZE.height, saved.bounds.height) };
    return { bounds: centredIn(primary, size), isMaximized: saved.isMaximized };
  }
  const { area } = best;
  const width = Math.min(area.width, Math.max(MIN_WINDOW_SIZE.width, saved.bounds.width));
  const height = Math.min(area.height, Math.max(MIN_WINDOW_SIZE.height, saved.bounds.height));
  const x = Math.min(Math.max(saved.bounds.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(saved.bounds.y, area.y), area.y + area.height - height);
  return { bounds: { x, y, width, height }, isMaximized: saved.isMaximized };
}
