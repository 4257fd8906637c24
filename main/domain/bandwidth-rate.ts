import { HoistError } from './hoist-error.js';

/** The lowest limit accepted: below it a single request would take minutes per 64 KiB. */
export const MIN_RATE_BYTES_PER_SEC = 1024;

const UNIT_BYTES: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** How a rate is written, for error messages and help text. */
export const RATE_FORMS = 'a rate such as 512K, 3M or 1.5G (bytes per second; binary units: K = 1024, M = 1024 K, G = 1024 M)';

/**
 * A rate as rclone writes it: a number with K, M or G (binary: 3M is 3 × 1024 × 1024 bytes per second; "3MiB" is read
 * the same), or "off" for no limit (null). A bare number is refused rather than guessed: rclone reads 512 as 512 KiB/s,
 * a plain reading as 512 bytes per second, a 1024-fold difference either way.
 */
export function parseRate(text: string): number | null {
  const trimmed = text.trim();
  if (/^off$/i.test(trimmed)) return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    throw new HoistError('invalid-argument', `"${trimmed}" has no unit: write ${trimmed}K for ${trimmed} KiB/s, or ${trimmed}M for ${trimmed} MiB/s`);
  }
  const match = /^(\d+(?:\.\d+)?)([kmg])(?:i?b)?$/i.exec(trimmed);
  if (!match) throw new HoistError('invalid-argument', `"${trimmed}" is not a bandwidth limit: give ${RATE_FORMS}, off, or a timetable such as "08:00,1M 18:00,off"`);
  const bytesPerSec = Math.round(Number(match[1]) * UNIT_BYTES[match[2]!.toLowerCase()]!);
  if (bytesPerSec < MIN_RATE_BYTES_PER_SEC) {
    throw new HoistError('invalid-argument', `"${trimmed}" is below the lowest limit, 1K (1024 bytes per second); use off for no limit`);
  }
  return bytesPerSec;
}

/** "3 MiB/s", "512 KiB/s", "1.5 GiB/s": the rate as people read it. */
export function formatRate(bytesPerSec: number): string {
  const [unit, size] = bytesPerSec >= UNIT_BYTES.g! ? ['GiB', UNIT_BYTES.g!] : bytesPerSec >= UNIT_BYTES.m! ? ['MiB', UNIT_BYTES.m!] : ['KiB', UNIT_BYTES.k!];
  const value = bytesPerSec / size;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}/s`;
}
