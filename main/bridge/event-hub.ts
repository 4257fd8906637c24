import type { HoistEvent } from '../../preload/contract/events.js';
import type { AppStateView, DestinationView, JobActivity, JobView, PartView, SettingsView, TotalsView, WarningView, WatchView } from '../../preload/contract/views.js';
import { appState } from '../domain/app-state.js';
import { expiryWarning } from '../domain/session-expiry.js';
import type { JobViewRow } from '../store/job-view-rows.js';
import type { Store } from '../store/store.js';
import { expiryFacts, toJobView } from './job-views.js';
import type { LiveJobs } from './live-jobs.js';
import { partsOf } from './parts.js';

/** A connected window: receives one batch of events per flush, at most about ten a second. */
export interface HubClient {
  send(events: HoistEvent[]): void;
  /** Jobs whose parts this client shows (expanded rows). */
  readonly partJobs: Set<number>;
}

export interface EventHubDeps {
  store: Store;
  live: LiveJobs;
  nowMs: () => number;
  /** This process: jobs leased by another pid are "elsewhere". */
  pid: number;
  /** Local time of day for the app state's sentence ("14:32"). */
  clock: (ms: number) => string;
  warningWindowMs: () => number;
  /** Whether paused OneDrive sessions are kept alive (then they warn only before their 24-hour cap). */
  keepsPausedSessionsAlive?: () => boolean;
  /** The whole lists sent again when they change. */
  lists: { destinations(): DestinationView[]; watches(): WatchView[]; settings(): SettingsView };
  /** Where files received from a browser tab wait for their upload. */
  receivedDir?: string;
  /** Timed pause and bandwidth limit in force (owned by the flaky-networks issue; null until set). */
  pausedUntilMs?: () => number | null;
  bandwidthLimitBytesPerSec?: () => number | null;
  flushEveryMs?: number;
}

const WARNINGS_EVERY_MS = 1_000;

/**
 * Turns engine events, watch events, commands and other processes' database writes into coalesced deltas for the
 * windows. Engine events only mark what changed (O(1) per event); a flush every ~100 ms reads the changed jobs in one
 * statement, diffs them against a cache of the views and sends one batch per client. A flush with nothing to say sends
 * nothing.
 */
export class EventHub {
  private readonly views = new Map<number, JobView>();
  private readonly rows = new Map<number, JobViewRow>();
  private readonly clients = new Set<HubClient>();
  private readonly dirtyIds = new Set<number>();
  private readonly lastParts = new Map<number, { sessionId: number | null; parts: PartView[] }>();
  private readonly pending: HoistEvent[] = [];
  private readonly dirtyLists = new Set<'destinations' | 'watches' | 'settings'>();
  private readonly lastLists = new Map<string, string>();
  private readonly timedIds = new Set<number>();
  private maxId = 0;
  private lookForNew = false;
  private dataVersion: number | undefined;
  private externalSinceMs: number;
  private lastAppState = '';
  private lastWarnings = '';
  private lastWarningsAtMs = 0;
  private lastTotals = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EventHubDeps) {
    this.externalSinceMs = deps.nowMs();
    for (const row of deps.store.jobViews.all()) this.remember(row);
    this.maxId = deps.store.jobs.maxId();
    this.dataVersion = this.readDataVersion();
  }

  /** The jobs as the window lists them (snapshot). */
  jobViews(): JobView[] {
    return [...this.views.values()];
  }

  view(jobId: number): JobView | undefined {
    return this.views.get(jobId);
  }

  row(jobId: number): JobViewRow | undefined {
    return this.rows.get(jobId);
  }

  attach(client: HubClient): () => void {
    this.clients.add(client);
    this.timer ??= setInterval(() => this.flush(), this.deps.flushEveryMs ?? 100);
    return () => {
      this.clients.delete(client);
      if (this.clients.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Jobs changed by this process (a command, a finished job): re-read at the next flush. */
  markJobs(ids: Iterable<number>): void {
    for (const id of ids) this.dirtyIds.add(id);
  }

  /** A destination's hold changed (network lost or back, rate limited): every job of it shows that. */
  markDestination(destinationId: number): void {
    for (const row of this.rows.values()) if (row.destinationId === destinationId) this.dirtyIds.add(row.id);
  }

  /** Jobs may have been created (a watched folder queued files): look for them at the next flush. */
  markNewJobs(): void {
    this.lookForNew = true;
  }

  /** A list changed: every client gets it whole with the next batch (once, however often it changed). */
  markList(list: 'destinations' | 'watches' | 'settings'): void {
    this.dirtyLists.add(list);
  }

  /** Sends an event to every client with the next batch. */
  publish(event: HoistEvent): void {
    if (this.clients.size > 0) this.pending.push(event);
  }

  /** A client collapsed a row: stop computing that job's parts once nobody shows them. */
  releaseParts(client: HubClient, jobId: number): void {
    client.partJobs.delete(jobId);
    for (const other of this.clients) if (other.partJobs.has(jobId)) return;
    this.lastParts.delete(jobId);
  }

  /** The parts a client sees for a job now; the client is subscribed to its changes. */
  partsFor(client: HubClient, jobId: number) {
    client.partJobs.add(jobId);
    const view = partsOf(this.deps.store, this.deps.live, this.rows.get(jobId), jobId);
    this.lastParts.set(jobId, { sessionId: view.sessionId, parts: view.parts });
    return view;
  }

  activityOf(row: JobViewRow, nowMs: number): JobActivity {
    if (row.state !== 'running' && row.state !== 'queued') return { kind: 'none' };
    // A held destination holds its whole queue, running and queued jobs alike.
    const hold = this.deps.live.destinationHold(row.destinationId, nowMs);
    if (hold) return hold;
    if (row.state !== 'running') return { kind: 'none' };
    if (row.leasePid !== null && row.leasePid !== this.deps.pid) return { kind: 'elsewhere', pid: row.leasePid };
    return this.deps.live.activityOf(row.id, nowMs);
  }

  appState(nowMs = this.deps.nowMs()): AppStateView {
    const counts = { uploading: 0, queued: 0, paused: 0, failed: 0, done: 0 };
    const waiting = new Map<string, number>();
    const limited = new Map<string, number>();
    for (const view of this.views.values()) {
      if (view.state === 'running') counts.uploading++;
      else if (view.state === 'queued') counts.queued++;
      else if (view.state === 'paused') counts.paused++;
      else if (view.state === 'failed') counts.failed++;
      else if (view.state === 'done') counts.done++;
      const a = view.activity;
      if (a.kind === 'waiting-network') waiting.set(view.destination, Math.min(waiting.get(view.destination) ?? a.sinceMs, a.sinceMs));
      if (a.kind === 'rate-limited') limited.set(view.destination, Math.max(limited.get(view.destination) ?? 0, a.untilMs));
    }
    return appState({
      counts,
      pausedUntilMs: this.deps.pausedUntilMs?.() ?? null,
      waitingNetwork: [...waiting].map(([destination, sinceMs]) => ({ destination, sinceMs })),
      rateLimited: [...limited].map(([destination, untilMs]) => ({ destination, untilMs })),
      bandwidthLimitBytesPerSec: this.deps.bandwidthLimitBytesPerSec?.() ?? null,
      nowMs,
      clock: this.deps.clock,
    });
  }

  warnings(nowMs = this.deps.nowMs()): WarningView[] {
    const windowMs = this.deps.warningWindowMs();
    const isKeptAlive = this.deps.keepsPausedSessionsAlive?.() ?? false;
    const warnings: WarningView[] = [];
    for (const row of this.rows.values()) {
      if (row.state !== 'paused' && row.state !== 'queued' && row.state !== 'running') continue;
      const activity = this.views.get(row.id)?.activity ?? { kind: 'none' };
      const warning = expiryWarning({ ...expiryFacts(row), isSending: activity.kind === 'sending' || activity.kind === 'checking', isKeptAlive }, nowMs, windowMs);
      if (warning) warnings.push(warning);
    }
    return warnings.sort((a, b) => b.jobId - a.jobId);
  }

  totals(nowMs = this.deps.nowMs()): TotalsView {
    let bytesPerSec = 0;
    let remainingBytes = 0;
    let activeRemaining = 0;
    for (const view of this.views.values()) {
      if (view.state !== 'queued' && view.state !== 'running' && view.state !== 'paused') continue;
      const progress = view.state === 'running' ? this.deps.live.progressOf(view.id, nowMs) : undefined;
      const acked = progress?.ackedBytes ?? view.ackedBytes;
      const left = Math.max(0, view.sizeBytes - acked - (progress?.inFlightBytes ?? 0));
      remainingBytes += left;
      if (view.state !== 'paused') activeRemaining += left;
      bytesPerSec += progress?.bytesPerSec ?? 0;
    }
    return { bytesPerSec, etaSec: bytesPerSec > 0 ? Math.ceil(activeRemaining / bytesPerSec) : null, remainingBytes };
  }

  /** Collects what changed since the last flush and sends it; public so tests drive it without timers. */
  flush(): void {
    const nowMs = this.deps.nowMs();
    const events: HoistEvent[] = this.pending.splice(0);
    const fetched = this.fetchChangedRows(nowMs);
    if (this.clients.size > 0) events.push(...this.changedLists());
    const dirty = this.deps.live.takeDirty();
    const added: JobView[] = [];
    const changed = new Map<number, JobView>();
    const removed: number[] = [];
    for (const row of fetched) {
      const before = this.views.get(row.id);
      if (row.clearedAtMs !== null) {
        if (before) removed.push(row.id);
        this.forget(row.id);
        continue;
      }
      const view = this.remember(row, nowMs);
      if (!before) added.push(view);
      else if (JSON.stringify(before) !== JSON.stringify(view)) changed.set(view.id, view);
    }
    // Activity moves with time and live events (sending → stalled, retry countdown over) without a database write.
    const fetchedIds = new Set(fetched.map((r) => r.id));
    for (const id of new Set([...dirty.views, ...this.deps.live.ids(), ...this.timedIds])) {
      const row = this.rows.get(id);
      if (!row || fetchedIds.has(id)) continue;
      const before = this.views.get(id)!;
      const view = toJobView(row, this.activityOf(row, nowMs), this.deps.receivedDir);
      if (JSON.stringify(before.activity) !== JSON.stringify(view.activity)) {
        this.noteTimed(view);
        this.views.set(id, view);
        changed.set(id, view);
      }
    }
    if (added.length > 0) events.push({ name: 'jobsAdded', payload: { jobs: added } });
    if (changed.size > 0) events.push({ name: 'jobsChanged', payload: { jobs: [...changed.values()] } });
    if (removed.length > 0) events.push({ name: 'jobsRemoved', payload: { ids: removed } });

    const progress = dirty.progress.flatMap((id) => {
      const p = this.views.has(id) ? this.deps.live.progressOf(id, nowMs) : undefined;
      return p ? [p] : [];
    });
    const totals = this.totals(nowMs);
    const totalsKey = JSON.stringify(totals);
    if (progress.length > 0 || totalsKey !== this.lastTotals) {
      this.lastTotals = totalsKey;
      events.push({ name: 'progress', payload: { jobs: progress, totals } });
    }
    const jobsMoved = added.length + changed.size + removed.length > 0;
    if (jobsMoved || nowMs - this.lastWarningsAtMs >= WARNINGS_EVERY_MS) {
      this.lastWarningsAtMs = nowMs;
      const warnings = this.warnings(nowMs);
      const key = JSON.stringify(warnings);
      if (key !== this.lastWarnings) {
        this.lastWarnings = key;
        events.push({ name: 'warningsChanged', payload: { warnings } });
      }
      const state = this.appState(nowMs);
      const stateKey = JSON.stringify(state);
      if (stateKey !== this.lastAppState) {
        this.lastAppState = stateKey;
        events.push({ name: 'appStateChanged', payload: state });
      }
    }
    const partEvents = this.partChanges(new Set([...dirty.parts, ...fetchedIds]));
    for (const client of this.clients) {
      const own = partEvents.filter((e) => client.partJobs.has(e.payload.jobId));
      if (events.length + own.length > 0) client.send(own.length > 0 ? [...events, ...own] : events);
    }
  }

  /** The lists marked since the last flush, those whose content really changed (another process writes often). */
  private changedLists(): HoistEvent[] {
    const { lists } = this.deps;
    const events: HoistEvent[] = [];
    const changed = (list: string, value: unknown) => {
      const key = JSON.stringify(value);
      if (this.lastLists.get(list) === key) return false;
      this.lastLists.set(list, key);
      return true;
    };
    if (this.dirtyLists.has('destinations')) {
      const destinations = lists.destinations();
      if (changed('destinations', destinations)) events.push({ name: 'destinationsChanged', payload: { destinations } });
    }
    if (this.dirtyLists.has('watches')) {
      const watches = lists.watches();
      if (changed('watches', watches)) events.push({ name: 'watchesChanged', payload: { watches } });
    }
    if (this.dirtyLists.has('settings')) {
      const settings = lists.settings();
      if (changed('settings', settings)) events.push({ name: 'settingsChanged', payload: settings });
    }
    this.dirtyLists.clear();
    return events;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clients.clear();
  }

  private partChanges(jobIds: Set<number>): Array<Extract<HoistEvent, { name: 'partsChanged' }>> {
    const watched = new Set<number>();
    for (const client of this.clients) for (const id of client.partJobs) if (jobIds.has(id)) watched.add(id);
    const events: Array<Extract<HoistEvent, { name: 'partsChanged' }>> = [];
    for (const jobId of watched) {
      const view = partsOf(this.deps.store, this.deps.live, this.rows.get(jobId), jobId);
      const last = this.lastParts.get(jobId);
      this.lastParts.set(jobId, { sessionId: view.sessionId, parts: view.parts });
      if (!last || last.sessionId !== view.sessionId || last.parts.length !== view.parts.length) {
        events.push({ name: 'partsChanged', payload: { ...view, isComplete: true } });
        continue;
      }
      const delta = view.parts.filter((p, i) => JSON.stringify(p) !== JSON.stringify(last.parts[i]));
      if (delta.length > 0) events.push({ name: 'partsChanged', payload: { ...view, parts: delta, isComplete: false } });
    }
    return events;
  }

  /** Rows marked by this process, new jobs, and whatever another process changed (seen through data_version). */
  private fetchChangedRows(nowMs: number): JobViewRow[] {
    const { store } = this.deps;
    const byId = new Map<number, JobViewRow>();
    if (this.dirtyIds.size > 0) {
      for (const row of store.jobViews.byIds([...this.dirtyIds])) byId.set(row.id, row);
      for (const id of this.dirtyIds) if (!byId.has(id) && this.views.has(id)) byId.set(id, { ...this.rows.get(id)!, clearedAtMs: nowMs });
      this.dirtyIds.clear();
    }
    const version = this.readDataVersion();
    if (version !== this.dataVersion) {
      this.dataVersion = version;
      // Another process wrote: its changed jobs (clock skew between processes on one machine is small; 5 s covers it).
      for (const row of store.jobViews.changedSince(this.externalSinceMs - 5_000, this.maxId)) byId.set(row.id, row);
      for (const row of store.jobViews.runningElsewhere(this.deps.pid)) {
        byId.set(row.id, row);
        this.deps.live.noteExternalProgress(row.id, row.session?.ackedBytes ?? 0, row.sizeBytes, nowMs);
      }
      this.externalSinceMs = nowMs;
      // `hoist dest add`, `hoist watch add` or another window's settings: the lists are small, send them again.
      for (const list of ['destinations', 'watches', 'settings'] as const) this.dirtyLists.add(list);
    } else if (this.lookForNew) {
      for (const row of store.jobViews.changedSince(Number.MAX_SAFE_INTEGER, this.maxId)) byId.set(row.id, row);
    }
    this.lookForNew = false;
    return [...byId.values()];
  }

  private remember(row: JobViewRow, nowMs = this.deps.nowMs()): JobView {
    // Live numbers belong to running jobs; a job another process finished leaves none behind.
    if (row.state !== 'running') this.deps.live.forget(row.id);
    const view = toJobView(row, this.activityOf(row, nowMs), this.deps.receivedDir);
    this.noteTimed(view);
    this.rows.set(row.id, row);
    this.views.set(row.id, view);
    if (row.id > this.maxId) this.maxId = row.id;
    return view;
  }

  /** Jobs whose activity ends at a time (a rate limit, a retry countdown): looked at again each flush until it does. */
  private noteTimed(view: JobView): void {
    const kind = view.activity.kind;
    if (kind === 'rate-limited' || kind === 'retrying') this.timedIds.add(view.id);
    else this.timedIds.delete(view.id);
  }

  private forget(id: number): void {
    this.timedIds.delete(id);
    this.rows.delete(id);
    this.views.delete(id);
    this.lastParts.delete(id);
    this.deps.live.forget(id);
  }

  private readDataVersion(): number {
    return this.deps.store.db.pragma('data_version', { simple: true }) as number;
  }
}
