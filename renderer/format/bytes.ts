/** Sizes in binary units with one decimal, speeds in decimal units: what the design promises users ("1.2 GiB", "12.3 MB/s"). */

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;
const DECIMAL_SPEEDS = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'] as const;

const safe = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);

/** The binary unit a size is shown in (0 = bytes, 3 = GiB). */
function binaryExponent(bytes: number): number {
  let exponent = 0;
  let value = safe(bytes);
  while (value >= 1024 && exponent < BINARY_UNITS.length - 1) {
    value /= 1024;
    exponent += 1;
  }
  // 1023.97 KiB would print as "1024.0 KiB": show it in the next unit instead.
  if (exponent > 0 && exponent < BINARY_UNITS.length - 1 && Number(value.toFixed(1)) >= 1024) exponent += 1;
  return exponent;
}

function inUnit(bytes: number, exponent: number): string {
  if (exponent === 0) return String(Math.round(safe(bytes)));
  return (safe(bytes) / 1024 ** exponent).toFixed(1);
}

/** "512 B", "1.2 GiB". */
export function formatBytes(bytes: number): string {
  const exponent = binaryExponent(bytes);
  return `${inUnit(bytes, exponent)} ${BINARY_UNITS[exponent]}`;
}

/** "2.5 of 4.0 GiB": both numbers in the unit of the total, so they read as one quantity. */
export function formatBytesOf(doneBytes: number, totalBytes: number): string {
  const exponent = binaryExponent(totalBytes);
  return `${inUnit(Math.min(doneBytes, totalBytes), exponent)} of ${inUnit(totalBytes, exponent)} ${BINARY_UNITS[exponent]}`;
}

/** "12.3 MB/s", "850.0 kB/s", "0 B/s". */
export function formatSpeed(bytesPerSec: number): string {
  let value = safe(bytesPerSec);
  let exponent = 0;
  while (value >= 1000 && exponent < DECIMAL_SPEEDS.length - 1) {
    value /= 1000;
    exponent += 1;
  }
  if (exponent > 0 && exponent < DECIMAL_SPEEDS.length - 1 && Number(value.toFixed(1)) >= 1000) {
    value /= 1000;
    exponent += 1;
  }
  return exponent === 0 ? `${Math.round(value)} B/s` : `${value.toFixed(1)} ${DECIMAL_SPEEDS[exponent]}`;
}

/** Whole percent, rounded down so "100 %" only ever means everything arrived. */
export function percentOf(doneBytes: number, totalBytes: number): number {
  if (totalBytes <= 0) return doneBytes > 0 ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((safe(doneBytes) * 100) / totalBytes)));
}

const counter = new Intl.NumberFormat('en-US');

/** "1,203". */
export function formatCount(n: number): string {
  return counter.format(n);
}

/** "1 upload", "3 uploads". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
