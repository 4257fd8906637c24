/**
 * Smoothed transfer speed and ETA: an exponentially weighted average with a half-life, so one stalled second neither
 * zeroes the speed nor makes the ETA jump (Uppy's StatusBar uses a 2 s half-life).
 */
export interface RateState {
  bytesPerSec: number;
  lastAtMs: number;
  pendingBytes: number;
}

export const newRate = (nowMs: number): RateState => ({ bytesPerSec: 0, lastAtMs: nowMs, pendingBytes: 0 });

export function addBytes(state: RateState, bytes: number, nowMs: number, halfLifeMs = 2_000): RateState {
  const pending = state.pendingBytes + bytes;
  const elapsedMs = nowMs - state.lastAtMs;
  // Too short a window gives noise; keep accumulating until at least 100 ms passed.
  if (elapsedMs < 100) return { ...state, pendingBytes: pending };
  const instant = (pending * 1000) / elapsedMs;
  const weight = 1 - 0.5 ** (elapsedMs / halfLifeMs);
  const bytesPerSec = state.bytesPerSec === 0 ? instant : state.bytesPerSec + (instant - state.bytesPerSec) * weight;
  return { bytesPerSec, lastAtMs: nowMs, pendingBytes: 0 };
}

/** Seconds left, or undefined when no speed is known yet. */
export function etaSeconds(remainingBytes: number, state: RateState): number | undefined {
  if (state.bytesPerSec <= 0) return undefined;
  return Math.ceil(remainingBytes / state.bytesPerSec);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
