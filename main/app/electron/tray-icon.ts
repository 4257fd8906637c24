import type { AppStateKind } from '../../../preload/contract/views.js';
import type { RgbaImage } from './png.js';

type Point = readonly [number, number];
/** A stroked polyline in a 32-unit square (one point: a dot). */
interface Stroke {
  points: readonly Point[];
  width: number;
}

// The favicon's glyphs (renderer/app/favicon.ts), as polylines: the tray says what the browser tab says.
const GLYPHS: Record<AppStateKind, { fill: string; strokes: Stroke[] }> = {
  idle: { fill: '#2e7d32', strokes: [{ points: [[9, 16.5], [13.5, 21], [23, 11.5]], width: 3 }] },
  uploading: { fill: '#1565c0', strokes: [{ points: [[16, 23], [16, 10]], width: 3 }, { points: [[10.5, 15.5], [16, 10], [21.5, 15.5]], width: 3 }] },
  paused: { fill: '#616161', strokes: [{ points: [[12.5, 10], [12.5, 22]], width: 3.2 }, { points: [[19.5, 10], [19.5, 22]], width: 3.2 }] },
  'waiting-network': { fill: '#b26a00', strokes: [{ points: [[10, 16]], width: 3.6 }, { points: [[16, 16]], width: 3.6 }, { points: [[22, 16]], width: 3.6 }] },
  'rate-limited': { fill: '#b26a00', strokes: [{ points: [[16, 9.5], [16, 16], [20, 19]], width: 3 }] },
  'needs-attention': { fill: '#c62828', strokes: [{ points: [[16, 9], [16, 17.5]], width: 3.4 }, { points: [[16, 22.5]], width: 3.4 }] },
};

const BADGE_RED = '#c62828';

// Seven-segment digits in a 4 × 7 box: segments a b c d e f g.
const SEGMENTS: Record<string, readonly [Point, Point]> = {
  a: [[0, 0], [4, 0]], b: [[4, 0], [4, 3.5]], c: [[4, 3.5], [4, 7]], d: [[0, 7], [4, 7]], e: [[0, 3.5], [0, 7]], f: [[0, 0], [0, 3.5]], g: [[0, 3.5], [4, 3.5]],
};
const DIGITS = ['abcdef', 'bc', 'abged', 'abgcd', 'fgbc', 'afgcd', 'afgedc', 'abc', 'abcdefg', 'abcdfg'];

const hex = (color: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];

function segmentDistance(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

function strokeDistance(p: Point, stroke: Stroke): number {
  const { points } = stroke;
  if (points.length === 1) return Math.hypot(p[0] - points[0]![0], p[1] - points[0]![1]) - stroke.width / 2;
  let best = Infinity;
  for (let i = 1; i < points.length; i++) best = Math.min(best, segmentDistance(p, points[i - 1]!, points[i]!));
  return best - stroke.width / 2;
}

/** A shape to paint: its signed distance (units; negative inside) at a point, and its colour. */
type Layer = { distance: (p: Point) => number; color: [number, number, number] };

function paint(size: number, layers: readonly Layer[]): RgbaImage {
  const rgba = new Uint8Array(size * size * 4);
  const pxPerUnit = size / 32;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p: Point = [((x + 0.5) * 32) / size, ((y + 0.5) * 32) / size];
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const layer of layers) {
        // Antialiased edge: coverage falls from 1 to 0 across one pixel.
        const coverage = Math.max(0, Math.min(1, 0.5 - layer.distance(p) * pxPerUnit));
        if (coverage === 0) continue;
        const outA = coverage + a * (1 - coverage);
        [r, g, b] = [0, 1, 2].map((i) => (layer.color[i]! * coverage + [r, g, b][i]! * a * (1 - coverage)) / outA) as [number, number, number];
        a = outA;
      }
      rgba.set([Math.round(r), Math.round(g), Math.round(b), Math.round(a * 255)], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, rgba };
}

const circle = (cx: number, cy: number, radius: number) => (p: Point) => Math.hypot(p[0] - cx, p[1] - cy) - radius;
const strokes = (list: readonly Stroke[]) => (p: Point) => Math.min(...list.map((s) => strokeDistance(p, s)));

/** The count drawn in a badge centred at (cx, cy): a digit, or "+" past nine. */
function badgeLayers(count: number, cx: number, cy: number, radius: number): Layer[] {
  const white: [number, number, number] = [255, 255, 255];
  const scale = radius / 7;
  const at = (pt: Point): Point => [cx + (pt[0] - 2) * scale, cy + (pt[1] - 3.5) * scale];
  const glyph: Stroke[] =
    count > 9
      ? [{ points: [at([2, 1]), at([2, 6])], width: 1.8 * scale }, { points: [at([-0.5, 3.5]), at([4.5, 3.5])], width: 1.8 * scale }]
      : [...DIGITS[count]!].map((s) => ({ points: SEGMENTS[s]!.map(at), width: 1.6 * scale }));
  return [
    { distance: circle(cx, cy, radius + scale), color: white },
    { distance: circle(cx, cy, radius), color: hex(BADGE_RED) },
    { distance: strokes(glyph), color: white },
  ];
}

/**
 * The tray icon of an app state at `sizePx` (16, 22 or 32 for trays; 512 for installers): the state's glyph on its
 * colour and, with failures, a red badge with their count in the top right (how Linux trays show the failure count,
 * having no badge of their own).
 */
export function drawStateIcon(kind: AppStateKind, sizePx: number, badgeCount = 0): RgbaImage {
  const { fill, strokes: list } = GLYPHS[kind];
  const layers: Layer[] = [
    { distance: circle(16, 16, 15), color: hex(fill) },
    { distance: (p) => Math.max(strokes(list)(p), circle(16, 16, 15)(p)), color: [255, 255, 255] },
  ];
  if (badgeCount > 0) layers.push(...badgeLayers(badgeCount, 24.5, 7.5, 7));
  return paint(sizePx, layers);
}

/** The failure badge alone (Windows draws it over the taskbar button: `setOverlayIcon`). */
export function drawBadge(count: number, sizePx = 16): RgbaImage {
  return paint(sizePx, badgeLayers(Math.max(1, count), 16, 16, 14));
}
