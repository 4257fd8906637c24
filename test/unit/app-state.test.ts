import { describe, expect, it } from 'vitest';
import { appState, type AppStateInput } from '../../main/domain/app-state.js';

const NOW = Date.UTC(2026, 11, 3, 14, 0, 0);
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const counts = (c: Partial<AppStateInput['counts']> = {}) => ({ uploading: 0, queued: 0, paused: 0, failed: 0, done: 0, ...c });
const input = (over: Partial<AppStateInput> = {}): AppStateInput => ({
  counts: counts(),
  pausedUntilMs: null,
  waitingNetwork: [],
  rateLimited: [],
  bandwidthLimitBytesPerSec: null,
  nowMs: NOW,
  clock,
  ...over,
});

describe('app state (what the title, favicon and tray display)', () => {
  it('is idle only when nothing is pending, and says whether anything was uploaded', () => {
    expect(appState(input())).toMatchObject({ kind: 'idle', summary: 'No uploads' });
    expect(appState(input({ counts: counts({ done: 4 }) }))).toMatchObject({ kind: 'idle', summary: 'All uploads done' });
  });

  it('is never idle while work is pending, even before anything started', () => {
    expect(appState(input({ counts: counts({ queued: 5 }) }))).toMatchObject({ kind: 'uploading', summary: '5 uploads waiting to start' });
    expect(appState(input({ counts: counts({ uploading: 3, queued: 9, done: 100 }) }))).toMatchObject({ kind: 'uploading', summary: 'Uploading 3 of 12' });
  });

  it('puts what needs the user first, and still says what is uploading', () => {
    const state = appState(input({ counts: counts({ uploading: 2, queued: 1, failed: 1 }) }));
    expect(state).toMatchObject({ kind: 'needs-attention', summary: '1 upload needs attention · uploading 2 of 3' });
    expect(appState(input({ counts: counts({ failed: 2 }) })).summary).toBe('2 uploads need attention');
  });

  it('says when the queue waits for the network, from the earliest destination that lost it', () => {
    const state = appState(
      input({
        counts: counts({ uploading: 2 }),
        waitingNetwork: [
          { destination: 'box', sinceMs: NOW - 60_000 },
          { destination: 'onedrive', sinceMs: NOW - 120_000 },
        ],
      }),
    );
    expect(state).toMatchObject({ kind: 'waiting-network', summary: 'Waiting for network since 13:58' });
  });

  it('shows a rate limit only while it lasts, naming the destination that ends it first', () => {
    const limited = input({ counts: counts({ uploading: 1 }), rateLimited: [{ destination: 'Box', untilMs: NOW + 42_000 }, { destination: 'OneDrive', untilMs: NOW + 90_000 }] });
    expect(appState(limited)).toMatchObject({ kind: 'rate-limited', summary: 'Rate limited by Box until 14:00' });
    const over = appState(input({ counts: counts({ uploading: 1 }), rateLimited: [{ destination: 'Box', untilMs: NOW - 1 }] }));
    expect(over).toMatchObject({ kind: 'uploading', rateLimited: [] });
  });

  it('reports a timed pause with its end, and a hand pause with its count', () => {
    expect(appState(input({ counts: counts({ paused: 3, queued: 2 }), pausedUntilMs: NOW + 2 * 3_600_000 }))).toMatchObject({
      kind: 'paused',
      pausedUntilMs: NOW + 2 * 3_600_000,
      summary: 'Paused until 16:00 (5 uploads)',
    });
    expect(appState(input({ counts: counts({ paused: 1, done: 3 }) }))).toMatchObject({ kind: 'paused', summary: '1 upload paused' });
    // A timed pause that has ended holds nothing.
    expect(appState(input({ counts: counts({ queued: 1 }), pausedUntilMs: NOW - 1 }))).toMatchObject({ kind: 'uploading', pausedUntilMs: null });
  });

  it('carries the counts and the bandwidth limit for the window to show', () => {
    const state = appState(input({ counts: counts({ uploading: 1, done: 2 }), bandwidthLimitBytesPerSec: 5_000_000 }));
    expect(state.counts).toEqual(counts({ uploading: 1, done: 2 }));
    expect(state.bandwidthLimitBytesPerSec).toBe(5_000_000);
  });
});
