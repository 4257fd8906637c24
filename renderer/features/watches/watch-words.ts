import type { WatchStatusView } from '../../../preload/contract/index.js';

/** A watched folder's status in words. */
export const WATCH_STATUS_WORDS: Record<WatchStatusView, { text: string; tone: 'active' | 'muted' | 'warning' | 'error' | 'done' }> = {
  idle: { text: 'Not watched by a running Hoist', tone: 'muted' },
  starting: { text: 'Starting', tone: 'active' },
  scanning: { text: 'Scanning for changes', tone: 'active' },
  watching: { text: 'Watching', tone: 'done' },
  polling: { text: 'Watching by polling', tone: 'warning' },
  missing: { text: 'Folder missing', tone: 'error' },
  paused: { text: 'Paused', tone: 'muted' },
  stopped: { text: 'Stopped', tone: 'muted' },
};

/** Splits a typed list of ignore patterns (one per line or comma-separated). */
export function parsePatterns(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
}
