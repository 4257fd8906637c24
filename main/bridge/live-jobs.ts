import type { JobActivity, JobProgressView, PartView } from '../../preload/contract/views.js';
import { addBytes, etaSeconds, newRate, type RateState } from '../domain/transfer-rate.js';
import type { EngineEvent } from '../engine/engine-events.js';
import type { PartRow } from '../store/sessions-repo.js';

/** No byte for this long while a job runs: the row says "stalled" (speed 0, no ETA) instead of a growing ETA. */
export const STALL_AFTER_MS = 5_000;
/** Speed and ETA follow the last couple of seconds (Uppy's StatusBar uses the same half-life). */
const RATE_HALF_LIFE_MS = 2_000;

interface LiveJob {
  /** job-started seen for the current attempt (the server was asked and the parts planned). */
  hasStarted: boolean;
  ackedBytes: number;
  totalBytes: number;
  /** Bytes of each unacknowledged part handed to the socket in the current attempt. */
  inFlight: Map<number, number>;
  /** Parts whose last attempt failed, and why. */
  failedParts: Map<number, string>;
  retry: { atMs: number; sinceMs: number; reason: string; kind: string } | null;
  rate: RateState;
  lastBytesAtMs: number;
}

/**
 * What the engine's events say about jobs running in this process, beyond the database: bytes on the wire per part,
 * speed, the failed parts, the next retry. Also the speed of jobs another process runs, from their acknowledged bytes.
 * Updating it is O(1) per event: it runs for every chunk sent.
 */
export class LiveJobs {
  private readonly jobs = new Map<number, LiveJob>();
  private readonly progressDirty = new Set<number>();
  private readonly partsDirty = new Set<number>();
  private readonly viewDirty = new Set<number>();

  /** Destinations waiting for the network (since when) or rate limited (until when). */
  private readonly offline = new Map<number, number>();
  private readonly limited = new Map<number, number>();

  /** Applies one engine event. */
  onEvent(event: EngineEvent, nowMs: number): void {
    switch (event.type) {
      case 'destination-waiting':
        this.offline.set(event.destinationId, event.sinceMs);
        return;
      case 'destination-online':
        this.offline.delete(event.destinationId);
        return;
      case 'destination-rate-limited':
        this.limited.set(event.destinationId, event.untilMs);
        return;
    }
    const id = event.jobId;
    switch (event.type) {
      case 'job-started': {
        const previous = this.jobs.get(id);
        this.jobs.set(id, {
          hasStarted: true,
          ackedBytes: event.ackedBytes,
          totalBytes: event.totalBytes,
          inFlight: new Map(),
          failedParts: previous?.failedParts ?? new Map(),
          retry: null,
          rate: previous?.rate ?? newRate(nowMs),
          lastBytesAtMs: nowMs,
        });
        this.mark(id, true, true, true);
        return;
      }
      case 'bytes-sent': {
        const job = this.jobs.get(id);
        if (!job) return;
        job.inFlight.set(event.partIndex, (job.inFlight.get(event.partIndex) ?? 0) + event.bytes);
        job.rate = addBytes(job.rate, event.bytes, nowMs, RATE_HALF_LIFE_MS);
        job.lastBytesAtMs = nowMs;
        this.progressDirty.add(id);
        this.partsDirty.add(id);
        if (job.failedParts.delete(event.partIndex)) this.viewDirty.add(id);
        return;
      }
      case 'part-acked': {
        const job = this.jobs.get(id);
        if (!job) return;
        job.inFlight.delete(event.partIndex);
        job.failedParts.delete(event.partIndex);
        job.ackedBytes = event.ackedBytes;
        this.mark(id, true, true, true);
        return;
      }
      case 'part-failed': {
        const job = this.jobs.get(id);
        if (!job) return;
        job.inFlight.delete(event.partIndex);
        job.failedParts.set(event.partIndex, event.reason);
        this.mark(id, true, true, false);
        return;
      }
      case 'parts-replanned':
        this.mark(id, false, true, false);
        return;
      case 'job-retrying': {
        const job = this.jobs.get(id) ?? this.fresh(id, nowMs);
        // A full disk has no end time: it lasts until the next attempt starts (job-started).
        job.retry = { atMs: event.kind === 'disk-full' ? Number.MAX_SAFE_INTEGER : nowMs + event.delayMs, sinceMs: nowMs, reason: event.reason, kind: event.kind };
        job.hasStarted = false;
        job.inFlight.clear();
        this.mark(id, true, true, true);
        return;
      }
      case 'job-restarted': {
        const job = this.jobs.get(id);
        job?.failedParts.clear();
        this.mark(id, true, true, false);
        return;
      }
      case 'job-finished':
        this.jobs.delete(id);
        this.mark(id, true, true, true);
        return;
    }
  }

  /** Another process's job acknowledged more bytes (seen in the database): its speed follows them. */
  noteExternalProgress(jobId: number, ackedBytes: number, totalBytes: number, nowMs: number): void {
    const job = this.jobs.get(jobId) ?? this.fresh(jobId, nowMs);
    const delta = ackedBytes - job.ackedBytes;
    job.totalBytes = totalBytes;
    if (delta === 0 && job.hasStarted) return;
    if (delta > 0 && job.hasStarted) {
      job.rate = addBytes(job.rate, delta, nowMs, RATE_HALF_LIFE_MS);
      job.lastBytesAtMs = nowMs;
    }
    job.hasStarted = true;
    job.ackedBytes = ackedBytes;
    this.progressDirty.add(jobId);
  }

  /** Forgets a job (finished elsewhere, cleared). */
  forget(jobId: number): void {
    this.jobs.delete(jobId);
  }

  /** What holds a destination's queue now, if anything: the network, or the server's rate limit. */
  destinationHold(destinationId: number, nowMs: number): JobActivity | undefined {
    const since = this.offline.get(destinationId);
    if (since !== undefined) return { kind: 'waiting-network', sinceMs: since };
    const until = this.limited.get(destinationId);
    if (until !== undefined && until > nowMs) return { kind: 'rate-limited', untilMs: until };
    return undefined;
  }

  /** What a running job is doing now (this process runs it). */
  activityOf(jobId: number, nowMs: number): JobActivity {
    const job = this.jobs.get(jobId);
    if (!job) return { kind: 'checking' };
    if (job.retry && job.retry.atMs > nowMs) {
      if (job.retry.kind === 'rate-limited') return { kind: 'rate-limited', untilMs: job.retry.atMs };
      if (job.retry.kind === 'disk-full') return { kind: 'waiting-disk', sinceMs: job.retry.sinceMs };
      if (/changing|changed/.test(job.retry.reason)) return { kind: 'waiting-stable', sinceMs: job.retry.atMs };
      return { kind: 'retrying', atMs: job.retry.atMs, reason: job.retry.reason };
    }
    if (!job.hasStarted) return { kind: 'checking' };
    const stalledSince = this.stalledSinceMs(job, nowMs);
    if (stalledSince !== null) return { kind: 'stalled', sinceMs: stalledSince };
    // Every byte acknowledged: committing and verifying, not stalled.
    if (job.ackedBytes >= job.totalBytes && job.inFlight.size === 0) return { kind: 'checking' };
    return { kind: 'sending' };
  }

  /** Live numbers of a job, or undefined when nothing is known of it. */
  progressOf(jobId: number, nowMs: number): JobProgressView | undefined {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    let inFlightBytes = 0;
    for (const bytes of job.inFlight.values()) inFlightBytes += bytes;
    const stalledSinceMs = this.stalledSinceMs(job, nowMs);
    const bytesPerSec = stalledSinceMs === null ? Math.round(job.rate.bytesPerSec) : 0;
    const remaining = Math.max(0, job.totalBytes - job.ackedBytes - inFlightBytes);
    const eta = stalledSinceMs === null ? etaSeconds(remaining, job.rate) : undefined;
    return { id: jobId, ackedBytes: job.ackedBytes, inFlightBytes, bytesPerSec, etaSec: eta ?? null, stalledSinceMs };
  }

  /** The parts of a job with what is live about them laid over the stored state. */
  overlayParts(jobId: number, parts: readonly PartRow[], retryAtMs: number | null): PartView[] {
    const job = this.jobs.get(jobId);
    return parts.map((p) => {
      const sent = job?.inFlight.get(p.partIndex);
      const failure = job?.failedParts.get(p.partIndex);
      const state = p.state === 'done' ? 'done' : sent !== undefined ? 'sending' : failure !== undefined ? 'failed' : 'pending';
      return {
        index: p.partIndex,
        offsetBytes: p.offsetBytes,
        sizeBytes: p.sizeBytes,
        state,
        sentBytes: state === 'done' ? p.sizeBytes : Math.min(p.sizeBytes, sent ?? 0),
        attempts: p.attempts,
        lastError: state === 'failed' ? (failure ?? null) : null,
        retryAtMs: state === 'failed' ? retryAtMs : null,
      };
    });
  }

  /** When the job's next attempt starts, if it waits for one. */
  retryAtMs(jobId: number): number | null {
    return this.jobs.get(jobId)?.retry?.atMs ?? null;
  }

  /** Jobs known to be running here, for the stall check of each flush. */
  ids(): IterableIterator<number> {
    return this.jobs.keys();
  }

  /** The jobs whose numbers / parts / views changed since the last call, each set emptied. */
  takeDirty(): { progress: number[]; parts: number[]; views: number[] } {
    const taken = { progress: [...this.progressDirty], parts: [...this.partsDirty], views: [...this.viewDirty] };
    this.progressDirty.clear();
    this.partsDirty.clear();
    this.viewDirty.clear();
    return taken;
  }

  private stalledSinceMs(job: LiveJob, nowMs: number): number | null {
    if (!job.hasStarted || job.ackedBytes >= job.totalBytes) return null;
    return nowMs - job.lastBytesAtMs >= STALL_AFTER_MS ? job.lastBytesAtMs : null;
  }

  private fresh(id: number, nowMs: number): LiveJob {
    const job: LiveJob = { hasStarted: false, ackedBytes: 0, totalBytes: 0, inFlight: new Map(), failedParts: new Map(), retry: null, rate: newRate(nowMs), lastBytesAtMs: nowMs };
    this.jobs.set(id, job);
    return job;
  }

  private mark(id: number, progress: boolean, parts: boolean, view: boolean): void {
    if (progress) this.progressDirty.add(id);
    if (parts) this.partsDirty.add(id);
    if (view) this.viewDirty.add(id);
  }
}
