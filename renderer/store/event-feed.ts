import { BridgeError, EVENT_NAMES, listenerName, type HoistEvent, type Unsubscribe } from '../../preload/contract/index.js';
import type { BridgeLink, LinkStatus } from '../transport/bridge-link.js';
import { announcementFor } from './announcements.js';
import type { AppStore } from './app-store.js';
import { applyEvents, applyFinished, applySnapshot, setFinishedStatus } from './reducers.js';
import { needsFinished } from './selectors.js';
import type { AppState } from './ui-state.js';

export interface FeedOptions {
  now?: () => number;
  /** When the events of one task are applied (a microtask: everything that arrived together is one update). */
  schedule?: (flush: () => void) => void;
}

/**
 * Feeds the store from the bridge: a snapshot on every (re)connection, then events. Events of one task are applied in
 * one `setState`. Events that arrive while a snapshot is on its way are dropped: they were sent before the snapshot's
 * answer on the same ordered connection, so the snapshot already holds what they say. Finished jobs are asked for
 * (`listFinished`) once per snapshot, when the window first shows them.
 */
export function feedStore(store: AppStore, link: BridgeLink, options: FeedOptions = {}): Unsubscribe {
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? queueMicrotask;
  let queue: HoistEvent[] = [];
  let isScheduled = false;
  let isReady = false;
  let loadSeq = 0;
  /** The snapshot (its loadSeq) whose finished jobs were asked for. */
  let finishedSeq = -1;
  let isStopped = false;

  /** Applies the queued events, and `then` after them, in one update. */
  const flush = (then?: (state: AppState) => AppState) => {
    isScheduled = false;
    if (queue.length === 0 && then === undefined) return;
    const events = queue;
    queue = [];
    store.setState((state) => {
      const next = applyEvents(state, events);
      const text = announcementFor(state.jobs, events);
      const said = text === null ? next : { ...next, announcement: { seq: state.announcement.seq + 1, text } };
      return then === undefined ? said : then(said);
    }, true);
  };

  const push = (event: HoistEvent) => {
    if (!isReady || isStopped) return;
    queue.push(event);
    if (!isScheduled) {
      isScheduled = true;
      schedule(() => flush());
    }
  };

  const subscriptions = EVENT_NAMES.map((name) => {
    const subscribe = link.bridge[listenerName(name)] as (listener: (payload: unknown) => void) => Unsubscribe;
    return subscribe((payload) => push({ name, payload } as HoistEvent));
  });

  const load = async () => {
    const seq = ++loadSeq;
    isReady = false;
    queue = [];
    try {
      const snapshot = await link.bridge.snapshot();
      if (seq !== loadSeq || isStopped) return;
      store.setState((state) => {
        const next = applySnapshot(state, snapshot, now());
        return { ...next, connection: 'open', epoch: state.epoch + 1, nowMs: now() + next.clockSkewMs };
      }, true);
      isReady = true;
      loadFinishedIfShown(store.getState());
    } catch (error) {
      if (seq !== loadSeq || isStopped || (error instanceof BridgeError && error.code === 'disconnected')) return;
      const text = `Could not read Hoist's state: ${error instanceof Error ? error.message : String(error)}`;
      store.setState((state) => ({ notice: { seq: (state.notice?.seq ?? 0) + 1, text } }));
    }
  };

  const loadFinished = async () => {
    const seq = loadSeq;
    finishedSeq = seq;
    store.setState((state) => setFinishedStatus(state, 'loading'), true);
    try {
      const finished = await link.bridge.listFinished();
      if (seq !== loadSeq || isStopped) return;
      // Events that arrived before the answer are older than it: they go first, in the same update.
      flush((state) => applyFinished(state, finished));
    } catch (error) {
      if (seq !== loadSeq || isStopped || (error instanceof BridgeError && error.code === 'disconnected')) return;
      // Closed again, so opening the group asks again.
      finishedSeq = -1;
      const text = `Could not read the finished uploads: ${error instanceof Error ? error.message : String(error)}`;
      store.setState((state) => ({ ...setFinishedStatus(state, 'counted'), isFinishedOpen: false, notice: { seq: (state.notice?.seq ?? 0) + 1, text } }), true);
    }
  };

  const loadFinishedIfShown = (state: AppState) => {
    if (isReady && !isStopped && finishedSeq !== loadSeq && state.finished.status === 'counted' && needsFinished(state)) void loadFinished();
  };
  const stopWatching = store.subscribe(loadFinishedIfShown);

  const onStatus = (status: LinkStatus) => {
    if (status === 'open') {
      void load();
      return;
    }
    isReady = false;
    loadSeq += 1;
    store.setState({ connection: status });
  };

  const stopStatus = link.onStatus(onStatus);
  if (link.status() === 'open') void load();
  else store.setState({ connection: link.status() });

  return () => {
    isStopped = true;
    stopStatus();
    stopWatching();
    for (const unsubscribe of subscriptions) unsubscribe();
  };
}

/** One clock for the whole window: `nowMs` advances on each whole second of main's time. */
export function startClock(store: AppStore, now: () => number = Date.now): Unsubscribe {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const mainNow = now() + store.getState().clockSkewMs;
    store.setState({ nowMs: mainNow });
    timer = setTimeout(tick, 1000 - (mainNow % 1000) + 5);
  };
  tick();
  return () => clearTimeout(timer);
}
