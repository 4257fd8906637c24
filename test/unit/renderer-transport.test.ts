import { describe, expect, it } from 'vitest';
import { BridgeError, WS_PATH, type CallMessage, type EventsMessage, type HoistBridge, type JobView, type ResultMessage } from '../../preload/contract/index.js';
import { tokenFromFragment } from '../../renderer/transport/token-fragment.js';
import { reconnectDelayMs } from '../../renderer/transport/backoff.js';
import type { BridgeLink, LinkStatus } from '../../renderer/transport/bridge-link.js';
import { connectWsBridge, type SocketLike } from '../../renderer/transport/ws-bridge.js';
import { createAppStore } from '../../renderer/store/app-store.js';
import { feedStore } from '../../renderer/store/event-feed.js';
import { finishedOf, job, snapshot } from '../support/renderer-fixtures.js';

/** A socket the test drives by hand. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: CallMessage[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as CallMessage);
  }
  close() {
    this.readyState = 3;
    this.onclose?.({});
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(message: ResultMessage | EventsMessage) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ run: () => void; ms: number }> = [];
  const link = connectWsBridge({
    url: `ws://127.0.0.1:1${WS_PATH}?token=t`,
    openSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    setTimer: (run, ms) => timers.push({ run, ms }),
    clearTimer: () => {},
    random: () => 0.5,
  });
  return { link, sockets, timers };
}

describe('WebSocket bridge', () => {
  it('derives every command and listener from the contract and pairs results with calls by id', async () => {
    const { link, sockets } = harness();
    const socket = sockets[0]!;
    expect(socket.url).toBe('ws://127.0.0.1:1/bridge?token=t');
    socket.open();
    expect(link.status()).toBe('open');
    const paused = link.bridge.pauseJobs([1, 2]);
    const parts = link.bridge.getParts(7);
    expect(socket.sent).toEqual([
      { t: 'call', id: 1, command: 'pauseJobs', args: [[1, 2]] },
      { t: 'call', id: 2, command: 'getParts', args: [7] },
    ]);
    socket.receive({ t: 'result', id: 2, ok: false, error: { code: 'not-found', message: 'There is no job 7.' } });
    socket.receive({ t: 'result', id: 1, ok: true, value: 2 });
    await expect(paused).resolves.toBe(2);
    await expect(parts).rejects.toEqual(new BridgeError('not-found', 'There is no job 7.'));
    expect(typeof (link.bridge as HoistBridge).onSignInChanged).toBe('function');
  });

  it('dispatches event batches to subscribers until they unsubscribe', () => {
    const { link, sockets } = harness();
    sockets[0]!.open();
    const seen: number[][] = [];
    const stop = link.bridge.onJobsRemoved(({ ids }) => seen.push(ids));
    sockets[0]!.receive({ t: 'events', events: [{ name: 'jobsRemoved', payload: { ids: [1] } }, { name: 'jobsRemoved', payload: { ids: [2] } }] });
    stop();
    sockets[0]!.receive({ t: 'events', events: [{ name: 'jobsRemoved', payload: { ids: [3] } }] });
    expect(seen).toEqual([[1], [2]]);
  });

  it('rejects calls in flight with `disconnected` and reconnects with a growing, bounded delay', async () => {
    const { link, sockets, timers } = harness();
    const statuses: LinkStatus[] = [];
    link.onStatus((status) => statuses.push(status));
    sockets[0]!.open();
    const pending = link.bridge.snapshot();
    sockets[0]!.close();
    await expect(pending).rejects.toMatchObject({ code: 'disconnected' });
    await expect(link.bridge.snapshot()).rejects.toMatchObject({ code: 'disconnected' });
    expect(statuses).toEqual(['open', 'reconnecting']);
    expect(timers.map((t) => t.ms)).toEqual([500]);
    timers[0]!.run();
    sockets[1]!.close();
    timers[1]!.run();
    sockets[2]!.close();
    expect(timers.map((t) => t.ms)).toEqual([500, 1000, 2000]);
    timers[2]!.run();
    sockets[3]!.open();
    expect(link.status()).toBe('open');
  });

  it('backs off from 0.5 s to at most 5 s', () => {
    expect(reconnectDelayMs(0, () => 0.5)).toBe(500);
    expect(reconnectDelayMs(3, () => 0.5)).toBe(4000);
    expect(reconnectDelayMs(10, () => 1)).toBe(5000);
    expect(reconnectDelayMs(0, () => 0)).toBe(400);
  });
});

describe('access token', () => {
  it('takes the token out of the fragment and keeps the rest', () => {
    expect(tokenFromFragment('#token=abc123')).toEqual({ token: 'abc123', rest: '' });
    expect(tokenFromFragment('#x=1&token=abc')).toEqual({ token: 'abc', rest: '#x=1' });
    expect(tokenFromFragment('')).toEqual({ token: null, rest: '' });
  });
});

describe('feeding the store', () => {
  function fakeLink() {
    const listeners = new Map<string, (payload: unknown) => void>();
    let statusListener: (s: LinkStatus) => void = () => {};
    let answer: (value: ReturnType<typeof snapshot>) => void = () => {};
    const finishedCalls: Array<{ resolve: (jobs: JobView[]) => void; reject: (error: Error) => void }> = [];
    const bridge = new Proxy({} as HoistBridge, {
      get: (_target, name: string) =>
        name === 'snapshot'
          ? () => new Promise((resolve) => (answer = resolve))
          : name === 'listFinished'
            ? () => new Promise((resolve, reject) => finishedCalls.push({ resolve, reject }))
            : (listener: (payload: unknown) => void) => {
                listeners.set(name, listener);
                return () => listeners.delete(name);
              },
    });
    const link: BridgeLink = { bridge, status: () => 'connecting', onStatus: (l) => ((statusListener = l), () => {}) };
    return {
      link,
      listeners,
      finishedCalls,
      open: () => statusListener('open'),
      drop: () => statusListener('reconnecting'),
      answer: (s: ReturnType<typeof snapshot>) => answer(s),
    };
  }
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('takes a snapshot on open, then applies the events of one task in one update', async () => {
    const store = createAppStore({ nowMs: 0 });
    const fake = fakeLink();
    feedStore(store, fake.link, { now: () => 49_000 });
    let updates = 0;
    store.subscribe(() => (updates += 1));
    fake.open();
    fake.listeners.get('onJobsAdded')!({ jobs: [job(99)] });
    fake.answer(snapshot([job(1, { state: 'running' })]));
    await Promise.resolve();
    await Promise.resolve();
    expect(store.getState().isLoaded).toBe(true);
    expect(store.getState().jobs[99]).toBeUndefined();
    expect(store.getState().clockSkewMs).toBe(1000);
    expect(store.getState().epoch).toBe(1);

    updates = 0;
    fake.listeners.get('onJobsAdded')!({ jobs: Array.from({ length: 10_000 }, (_, i) => job(i + 2)) });
    fake.listeners.get('onJobsChanged')!({ jobs: [job(1, { state: 'done', name: 'film.mov' })] });
    expect(updates).toBe(0);
    await Promise.resolve();
    expect(updates).toBe(1);
    expect(store.getState().groups.queued).toHaveLength(10_000);
    expect(store.getState().announcement.text).toBe('film.mov uploaded');
  });

  it('asks for finished jobs once per snapshot when Finished opens, after the events that came before the answer', async () => {
    const store = createAppStore({ nowMs: 0 });
    const fake = fakeLink();
    // Events wait for the answer here (as when both arrive in one task).
    feedStore(store, fake.link, { now: () => 49_000, schedule: () => {} });
    const history = Array.from({ length: 3 }, (_, i) => job(10 + i, { state: 'done', updatedAtMs: 10 + i }));
    fake.open();
    fake.answer(snapshot([job(1, { state: 'running' }), ...history]));
    await settle();
    expect(store.getState().finished).toEqual({ status: 'counted', unloadedCount: 3 });
    expect(fake.finishedCalls).toHaveLength(0);

    store.setState({ isFinishedOpen: true });
    expect(fake.finishedCalls).toHaveLength(1);
    expect(store.getState().finished.status).toBe('loading');
    // Job 1 finishes while the answer is on its way; the answer, sent after, holds it too.
    fake.listeners.get('onJobsChanged')!({ jobs: [job(1, { state: 'done', updatedAtMs: 50 })] });
    let updates = 0;
    store.subscribe(() => (updates += 1));
    fake.finishedCalls[0]!.resolve(finishedOf([job(1, { state: 'done', updatedAtMs: 50 }), ...history]));
    await settle();
    expect(updates).toBe(1);
    expect(store.getState().groups.finished).toEqual([1, 12, 11, 10]);
    expect(store.getState().finished).toEqual({ status: 'loaded', unloadedCount: 0 });

    store.setState({ isFinishedOpen: false });
    store.setState({ isFinishedOpen: true });
    expect(fake.finishedCalls).toHaveLength(1);

    // A reconnect: a new snapshot counts them again, and the open group asks again.
    fake.drop();
    fake.open();
    fake.answer(snapshot([...history, job(20, { state: 'cancelled' })]));
    await settle();
    expect(store.getState().groups.finished).toEqual([]);
    expect(fake.finishedCalls).toHaveLength(2);
    expect(store.getState().finished).toEqual({ status: 'loading', unloadedCount: 4 });
  });

  it('closes Finished again with a notice when its jobs cannot be read, so opening it asks again', async () => {
    const store = createAppStore({ nowMs: 0 });
    const fake = fakeLink();
    feedStore(store, fake.link, { now: () => 49_000 });
    fake.open();
    fake.answer(snapshot([job(10, { state: 'done' })]));
    await settle();
    store.setState({ isFinishedOpen: true });
    fake.finishedCalls[0]!.reject(new BridgeError('internal', 'database is locked'));
    await settle();
    expect(store.getState()).toMatchObject({ isFinishedOpen: false, finished: { status: 'counted', unloadedCount: 1 }, notice: { text: 'Could not read the finished uploads: database is locked' } });
    store.setState({ isFinishedOpen: true });
    expect(fake.finishedCalls).toHaveLength(2);
  });

  it('does not ask for finished jobs on a screen that does not show them', async () => {
    const store = createAppStore({ nowMs: 0 });
    const fake = fakeLink();
    feedStore(store, fake.link, { now: () => 49_000 });
    store.setState({ isFinishedOpen: true, screen: 'settings' });
    fake.open();
    fake.answer(snapshot([job(10, { state: 'done' })]));
    await settle();
    expect(fake.finishedCalls).toHaveLength(0);
    store.setState({ screen: 'queue' });
    expect(fake.finishedCalls).toHaveLength(1);
  });
});
