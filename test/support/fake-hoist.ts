/** The state machine behind fake-bridge-server.ts: canned jobs that move, and every command of the contract. */
import {
  BridgeError,
  type AppStateView,
  type CommandName,
  type DestinationInput,
  type DestinationView,
  type EventsMessage,
  type HoistCommands,
  type HoistEvent,
  type JobTarget,
  type JobView,
  type PartView,
  type ResultMessage,
  type RetryTarget,
  type SettingsPatch,
  type SettingsView,
  type TotalsView,
  type WarningView,
  type WatchInput,
  type WatchView,
} from '../../preload/contract/index.js';
import { cannedDestinations, cannedJobs, cannedWarnings, cannedWatches, makeJob, manyFinished, partsOf, type FakeJob } from './fake-bridge-data.js';

export interface FakeClient {
  parts: Set<number>;
  /** The parts last sent to this client per job, to send only what changed. */
  sentParts: Map<number, PartView[]>;
  queue: HoistEvent[];
  send(message: EventsMessage | ResultMessage): void;
}

const TICK_MS = 100;
const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 5);

const isFinished = (job: JobView) => job.state === 'done' || job.state === 'cancelled';

/** A JobView without the fake's own fields. */
const view = ({ speedBytesPerSec: _speed, failedParts: _failed, ...job }: FakeJob): JobView => job;

export class FakeHoist {
  private readonly jobs = new Map<number, FakeJob>();
  private readonly clients = new Set<FakeClient>();
  private destinations: DestinationView[] = cannedDestinations();
  private watches: WatchView[] = cannedWatches();
  private settings: SettingsView = { filesAtOnce: 4, defaultDestination: 'OneDrive', warningWindowMin: 30, theme: 'system', bandwidthLimit: 'off', stallTimeoutSec: 60, keepPausedSessionsAlive: false };
  private warnings: WarningView[];
  private nextWatchId = 10;

  constructor(options: { many: number; isEmpty: boolean }) {
    const now = Date.now();
    if (!options.isEmpty) for (const job of [...cannedJobs(now), ...manyFinished(options.many, now)]) this.jobs.set(job.id, job);
    this.warnings = cannedWarnings([...this.jobs.values()], now);
    setInterval(() => this.tick(), TICK_MS);
  }

  connect(client: FakeClient): void {
    this.clients.add(client);
  }

  disconnect(client: FakeClient): void {
    this.clients.delete(client);
  }

  private emit(event: HoistEvent, only?: FakeClient): void {
    for (const client of only ? [only] : this.clients) client.queue.push(event);
  }

  private changed(jobs: FakeJob[]): void {
    if (jobs.length === 0) return;
    for (const job of jobs) job.updatedAtMs = Date.now();
    this.emit({ name: 'jobsChanged', payload: { jobs: jobs.map(view) } });
    this.emit({ name: 'appStateChanged', payload: this.appState() });
  }

  private tick(): void {
    const now = Date.now();
    const progressed: FakeJob[] = [];
    const ended: FakeJob[] = [];
    for (const job of this.jobs.values()) {
      if (job.state === 'queued' && job.activity.kind === 'rate-limited' && job.activity.untilMs <= now) {
        Object.assign(job, { state: 'running', activity: { kind: 'sending' }, speedBytesPerSec: 9e6 });
        ended.push(job);
      }
      if (job.state === 'running' && job.activity.kind === 'retrying' && job.activity.atMs <= now) {
        Object.assign(job, { activity: { kind: 'sending' }, speedBytesPerSec: 12e6 });
        ended.push(job);
      }
      if (job.state !== 'running' || job.activity.kind !== 'sending' || job.speedBytesPerSec <= 0) continue;
      const step = job.speedBytesPerSec * (TICK_MS / 1000) * (0.85 + 0.3 * Math.random());
      job.ackedBytes = Math.min(job.sizeBytes, job.ackedBytes + step);
      job.bytesSentTotal = job.ackedBytes + 3 * 1024 * 1024;
      job.partsDone = Math.floor(job.partsTotal * (job.ackedBytes / job.sizeBytes));
      if (job.expiry?.isSliding) job.expiry = { ...job.expiry, expiresAtMs: now + 15 * 60_000, bytesAtRiskBytes: job.ackedBytes };
      progressed.push(job);
      if (job.ackedBytes >= job.sizeBytes) {
        Object.assign(job, { state: 'done', activity: { kind: 'none' }, expiry: null, remoteWebUrl: `https://example.invalid/files/${encodeURIComponent(job.name)}` });
        ended.push(job);
      }
    }
    this.changed(ended);
    if (progressed.length > 0) {
      this.emit({
        name: 'progress',
        payload: {
          jobs: progressed.map((job) => ({
            id: job.id,
            ackedBytes: Math.floor(job.ackedBytes),
            inFlightBytes: 3 * 1024 * 1024,
            bytesPerSec: job.speedBytesPerSec,
            etaSec: (job.sizeBytes - job.ackedBytes) / job.speedBytesPerSec,
            stalledSinceMs: null,
          })),
          totals: this.totals(),
        },
      });
    }
    for (const client of this.clients) {
      for (const id of client.parts) {
        const job = this.jobs.get(id);
        if (job?.state !== 'running') continue;
        const parts = partsOf(job, now);
        const before = client.sentParts.get(id) ?? [];
        const changed = parts.filter((p, i) => before[i]?.state !== p.state || before[i]?.sentBytes !== p.sentBytes || before[i]?.retryAtMs !== p.retryAtMs);
        client.sentParts.set(id, parts);
        if (changed.length > 0) this.emit({ name: 'partsChanged', payload: { jobId: id, sessionId: 1, parts: changed, isComplete: false } }, client);
      }
      if (client.queue.length > 0) client.send({ t: 'events', events: client.queue.splice(0) });
    }
  }

  private totals(): TotalsView {
    let bytesPerSec = 0;
    let remainingBytes = 0;
    for (const job of this.jobs.values()) {
      if (job.state === 'running' && job.activity.kind === 'sending') bytesPerSec += job.speedBytesPerSec;
      if (job.state === 'running' || job.state === 'queued' || job.state === 'paused') remainingBytes += job.sizeBytes - job.ackedBytes;
    }
    return { bytesPerSec, remainingBytes, etaSec: bytesPerSec > 0 ? remainingBytes / bytesPerSec : null };
  }

  private appState(): AppStateView {
    const counts = { uploading: 0, queued: 0, paused: 0, failed: 0, done: 0 };
    const waitingNetwork: AppStateView['waitingNetwork'] = [];
    const rateLimited: AppStateView['rateLimited'] = [];
    for (const job of this.jobs.values()) {
      if (job.state === 'running') counts.uploading += 1;
      else if (job.state === 'queued') counts.queued += 1;
      else if (job.state === 'paused') counts.paused += 1;
      else if (job.state === 'failed') counts.failed += 1;
      else if (job.state === 'done') counts.done += 1;
      if (job.activity.kind === 'waiting-network') waitingNetwork.push({ destination: job.destination, sinceMs: job.activity.sinceMs });
      if (job.activity.kind === 'rate-limited') rateLimited.push({ destination: job.destination, untilMs: job.activity.untilMs });
    }
    const pending = counts.uploading + counts.queued;
    const base = { counts, pausedUntilMs: null, waitingNetwork, rateLimited, bandwidthLimitBytesPerSec: 50e6 };
    if (counts.failed > 0) return { ...base, kind: 'needs-attention', summary: `${counts.failed} ${counts.failed === 1 ? 'upload needs' : 'uploads need'} attention${pending > 0 ? ` · uploading ${counts.uploading} of ${pending}` : ''}` };
    if (pending > 0) return { ...base, kind: 'uploading', summary: `Uploading ${counts.uploading} of ${pending}` };
    if (counts.paused > 0) return { ...base, kind: 'paused', summary: `${counts.paused} uploads paused` };
    return { ...base, kind: 'idle', summary: counts.done > 0 ? 'All uploads done' : 'No uploads' };
  }

  private select(target: JobTarget, states: readonly JobView['state'][]): FakeJob[] {
    const pool = target === 'all' ? [...this.jobs.values()] : target.map((id) => this.jobs.get(id)).filter((job): job is FakeJob => job !== undefined);
    return pool.filter((job) => states.includes(job.state));
  }

  private setJobs(jobs: FakeJob[], patch: Partial<FakeJob>): number {
    for (const job of jobs) Object.assign(job, patch);
    this.changed(jobs);
    return jobs.length;
  }

  receiveFile(name: string, sizeBytes: number, destination: string | undefined): void {
    const target = this.destinations.find((d) => d.name === (destination ?? this.settings.defaultDestination));
    const job = makeJob({ name, dir: '/home/ana/.local/share/hoist/intake', destination: target?.name ?? 'local', provider: target?.provider ?? 'tus', state: 'queued', sizeBytes, ageMs: 0 }, Date.now());
    this.jobs.set(job.id, job);
    this.emit({ name: 'jobsAdded', payload: { jobs: [view(job)] } });
    this.emit({ name: 'appStateChanged', payload: this.appState() });
  }

  async call(client: FakeClient, command: CommandName, args: unknown[]): Promise<unknown> {
    const handlers = this.handlers(client);
    return (handlers[command] as (...a: unknown[]) => Promise<unknown>)(...args);
  }

  private handlers(client: FakeClient): HoistCommands {
    const now = () => Date.now();
    return {
      snapshot: async () => ({
        jobs: [...this.jobs.values()].filter((job) => !isFinished(job)).map(view),
        finishedCount: [...this.jobs.values()].filter(isFinished).length,
        destinations: this.destinations,
        watches: this.watches,
        settings: this.settings,
        appState: this.appState(),
        warnings: this.warnings,
        totals: this.totals(),
        nowMs: now(),
        fileIntake: 'stream',
      }),
      listFinished: async () =>
        [...this.jobs.values()]
          .filter(isFinished)
          .sort((a, b) => b.updatedAtMs - a.updatedAtMs || b.id - a.id)
          .map(view),
      getParts: async (jobId) => {
        const job = this.jobs.get(jobId);
        if (job === undefined) throw new BridgeError('not-found', `There is no job ${jobId}.`);
        client.parts.add(jobId);
        const parts = partsOf(job, now());
        client.sentParts.set(jobId, parts);
        return { jobId, sessionId: 1, parts };
      },
      releaseParts: async (jobId) => {
        client.parts.delete(jobId);
        client.sentParts.delete(jobId);
      },
      addFiles: async () => {
        throw new BridgeError('not-supported', 'This fake takes files as streams only.');
      },
      pauseJobs: async (target) => this.setJobs(this.select(target, ['queued', 'running']), { state: 'paused', activity: { kind: 'none' } }),
      pauseAllFor: async (durationMs) => this.setJobs(this.select('all', ['queued', 'running']), { state: 'paused', activity: { kind: 'none' }, pausedUntilMs: Date.now() + durationMs }),
      resumeJobs: async (target) => this.setJobs(this.select(target, ['paused']), { state: 'running', activity: { kind: 'sending' }, speedBytesPerSec: 15e6, pausedUntilMs: null }),
      cancelJobs: async (target) => this.setJobs(this.select(target, ['queued', 'running', 'paused', 'failed']), { state: 'cancelled', activity: { kind: 'none' } }),
      retryJobs: async (target: RetryTarget) => {
        const failed = this.select('all', ['failed']);
        const chosen = typeof target === 'object' && !Array.isArray(target) ? failed.filter((j) => j.error?.cause === target.cause) : this.select(target, ['failed']);
        return this.setJobs(chosen, { state: 'queued', error: null, errorCode: null, errorMessage: null });
      },
      clearFinished: async () => {
        const ids = this.select('all', ['done', 'cancelled']).map((job) => job.id);
        for (const id of ids) this.jobs.delete(id);
        this.emit({ name: 'jobsRemoved', payload: { ids } });
        return ids.length;
      },
      listDestinations: async () => this.destinations,
      addDestination: async (input: DestinationInput) => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(input.name)) throw new BridgeError('invalid-argument', 'The name may have letters, digits, ".", "_" or "-", up to 64.');
        if (this.destinations.some((d) => d.name === input.name)) throw new BridgeError('already-exists', `A destination named ${input.name} already exists.`);
        const { name, provider, token: _token, clientSecret: _secret, ...settings } = input;
        const auth: DestinationView['auth'] = input.clientId ? { kind: 'sign-in', isSignedIn: false } : input.tokenEnv ? { kind: 'token-env', variable: input.tokenEnv, isSet: false } : input.token ? { kind: 'token', isStored: true } : { kind: 'none' };
        const added: DestinationView = { name, provider, settings, auth, isDefault: false, isEncryptedAtRest: false };
        this.destinations = [...this.destinations, added];
        this.emit({ name: 'destinationsChanged', payload: { destinations: this.destinations } });
        return added;
      },
      removeDestination: async (name) => {
        this.destinations = this.destinations.filter((d) => d.name !== name);
        this.emit({ name: 'destinationsChanged', payload: { destinations: this.destinations } });
      },
      signIn: async (destination) => {
        const target = this.destinations.find((d) => d.name === destination);
        if (target === undefined) throw new BridgeError('not-found', `There is no destination named ${destination}.`);
        setTimeout(() => this.finishSignIn(destination), 20_000);
        return target.provider === 'graph'
          ? { kind: 'device-code', destination, userCode: 'HQ7M-2KXD', verificationUrl: 'https://microsoft.com/devicelogin', expiresAtMs: now() + 15 * 60_000, message: 'To sign in, open https://microsoft.com/devicelogin and enter the code HQ7M-2KXD.' }
          : { kind: 'browser', destination, url: 'https://account.box.com/api/oauth2/authorize?client_id=fake', expiresAtMs: now() + 10 * 60_000 };
      },
      cancelSignIn: async (destination) => this.emit({ name: 'signInChanged', payload: { destination, state: 'cancelled', message: 'Cancelled.' } }),
      addWatch: async (input: WatchInput) => {
        if (!input.dir.startsWith('/')) throw new BridgeError('invalid-argument', 'The folder must be an absolute path, like /home/ana/Videos.');
        const watch: WatchView = { id: this.nextWatchId++, dir: input.dir, destination: input.destination, remoteDir: input.remoteDir ?? '/', isPaused: false, status: 'scanning', statusMessage: null, ignorePatterns: input.ignorePatterns ?? [], includeHidden: input.includeHidden ?? false, counts: { uploaded: 0, toUpload: 0, failed: 0 } };
        this.setWatches([...this.watches, watch]);
        return watch;
      },
      removeWatch: async (watchId) => this.setWatches(this.watches.filter((w) => w.id !== watchId)),
      pauseWatch: async (watchId) => this.patchWatch(watchId, { isPaused: true, status: 'paused' }),
      resumeWatch: async (watchId) => this.patchWatch(watchId, { isPaused: false, status: 'watching' }),
      updateSettings: async (patch: SettingsPatch) => {
        this.settings = { ...this.settings, ...patch };
        this.emit({ name: 'settingsChanged', payload: this.settings });
        if (patch.defaultDestination !== undefined) {
          this.destinations = this.destinations.map((d) => ({ ...d, isDefault: d.name === patch.defaultDestination }));
          this.emit({ name: 'destinationsChanged', payload: { destinations: this.destinations } });
        }
        return this.settings;
      },
      remoteLink: async (jobId) => {
        const job = this.jobs.get(jobId);
        return job?.remoteWebUrl ? { url: job.remoteWebUrl, reason: null } : { url: null, reason: 'S3 gives no web address for a file.' };
      },
      revealFile: async () => undefined,
      openLog: async () => undefined,
      exportDiagnostics: async () => ({ fileName: `hoist-diagnostics-${clock(now()).replace(':', '')}.txt`, text: `Hoist fake diagnostics\njobs: ${this.jobs.size}\n` }),
    };
  }

  private finishSignIn(destination: string): void {
    this.destinations = this.destinations.map((d) => (d.name === destination ? { ...d, auth: { kind: 'sign-in', isSignedIn: true } } : d));
    this.emit({ name: 'destinationsChanged', payload: { destinations: this.destinations } });
    this.emit({ name: 'signInChanged', payload: { destination, state: 'signed-in', message: `Signed in to ${destination}.` } });
  }

  private setWatches(watches: WatchView[]): void {
    this.watches = watches;
    this.emit({ name: 'watchesChanged', payload: { watches } });
  }

  private patchWatch(id: number, patch: Partial<WatchView>): WatchView {
    const watch = this.watches.find((w) => w.id === id);
    if (watch === undefined) throw new BridgeError('not-found', `There is no watched folder ${id}.`);
    const next = { ...watch, ...patch };
    this.setWatches(this.watches.map((w) => (w.id === id ? next : w)));
    return next;
  }
}
