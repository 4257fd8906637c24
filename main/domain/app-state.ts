import type { AppStateView, JobCountsView } from '../../preload/contract/views.js';

export interface AppStateInput {
  counts: JobCountsView;
  /** A timed pause in force until then. */
  pausedUntilMs: number | null;
  waitingNetwork: Array<{ destination: string; sinceMs: number }>;
  rateLimited: Array<{ destination: string; untilMs: number }>;
  bandwidthLimitBytesPerSec: number | null;
  nowMs: number;
  /** Local wall-clock time of day, e.g. "14:32" (injected: the machine's time zone is not a pure input). */
  clock: (ms: number) => string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The app in one word and one sentence; the title, favicon and tray only display it. It is never "idle" while work is
 * pending: what needs the user comes first, then what holds the queue (network, rate limit), then progress, then pauses.
 */
export function appState(input: AppStateInput): AppStateView {
  const { counts, nowMs, clock } = input;
  const pending = counts.uploading + counts.queued;
  const pausedUntilMs = input.pausedUntilMs !== null && input.pausedUntilMs > nowMs ? input.pausedUntilMs : null;
  const rateLimited = input.rateLimited.filter((r) => r.untilMs > nowMs);
  const base = { counts, pausedUntilMs, waitingNetwork: input.waitingNetwork, rateLimited, bandwidthLimitBytesPerSec: input.bandwidthLimitBytesPerSec };
  const progress = pending > 0 ? `uploading ${counts.uploading} of ${pending}` : '';
  const also = (text: string) => (text ? ` · ${text}` : '');

  if (counts.failed > 0) {
    return { ...base, kind: 'needs-attention', summary: `${plural(counts.failed, 'upload needs', 'uploads need')} attention${also(progress)}` };
  }
  if (pending > 0 && input.waitingNetwork.length > 0) {
    const since = Math.min(...input.waitingNetwork.map((w) => w.sinceMs));
    return { ...base, kind: 'waiting-network', summary: `Waiting for network since ${clock(since)}` };
  }
  if (pending > 0 && rateLimited.length > 0) {
    const first = rateLimited.reduce((a, b) => (b.untilMs < a.untilMs ? b : a));
    return { ...base, kind: 'rate-limited', summary: `Rate limited by ${first.destination} until ${clock(first.untilMs)}` };
  }
  if (pausedUntilMs !== null) {
    return { ...base, kind: 'paused', summary: `Paused until ${clock(pausedUntilMs)}${pending + counts.paused > 0 ? ` (${plural(pending + counts.paused, 'upload')})` : ''}` };
  }
  if (pending > 0) {
    return { ...base, kind: 'uploading', summary: counts.uploading > 0 ? `Uploading ${counts.uploading} of ${pending}` : `${plural(pending, 'upload')} waiting to start` };
  }
  if (counts.paused > 0) return { ...base, kind: 'paused', summary: `${plural(counts.paused, 'upload')} paused` };
  return { ...base, kind: 'idle', summary: counts.done > 0 ? 'All uploads done' : 'No uploads' };
}
