import { decideStability, type PendingFile, type StabilityPolicy } from '../domain/file-stability.js';
import type { FileIdentity } from '../store/jobs-repo.js';

/** What is at a path now, as far as the gate cares. */
export type PathLook = { kind: 'file'; identity: FileIdentity } | { kind: 'dir' } | { kind: 'gone' } | { kind: 'other' };

export interface SettledFile {
  relPath: string;
  identity: FileIdentity;
  /** 'scan' = found by a scan (queued as the queue drains); 'live' = seen changing (queued at once). */
  source: 'scan' | 'live';
}

/** One tick's worth of decisions, handed over together so the database sees one transaction per batch. */
export interface GateBatch {
  settled: SettledFile[];
  gone: string[];
  dirs: string[];
}

export interface PendingGateDeps {
  look(relPath: string): PathLook;
  nowMs(): number;
  policy: StabilityPolicy;
  /** How often due paths are looked at while any are waiting; no timer runs when none is. */
  tickMs: number;
  /** Most paths looked at per tick (the rest wait for the next one), so a burst never blocks the loop for long. */
  maxLooksPerTick: number;
  onBatch(batch: GateBatch): void;
  /** A file still changing after policy.maxWaitMs: reported once, and it keeps waiting. */
  onOverdue(relPath: string, waitedMs: number): void;
}

interface Entry extends PendingFile {
  dueAtMs: number;
  source: 'scan' | 'live';
  isOverdueReported: boolean;
}

/**
 * Holds every path that changed until it has settled (decideStability), then hands it on. Change notifications only
 * push a path's due time back; the file is looked at (one lstat) when it is due, so a file being appended to costs one
 * stat per quiet period, not one per write.
 */
export class PendingGate {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private isStopped = false;

  constructor(private readonly deps: PendingGateDeps) {}

  get size(): number {
    return this.entries.size;
  }

  /** Something happened at relPath (a watcher event). */
  noteEvent(relPath: string): void {
    const now = this.deps.nowMs();
    const entry = this.entries.get(relPath);
    if (entry) {
      entry.lastEventMs = now;
      entry.source = 'live';
      entry.dueAtMs = Math.max(entry.dueAtMs, now + this.deps.policy.quietMs);
    } else {
      this.entries.set(relPath, { firstSeenMs: now, lastEventMs: now, dueAtMs: now + this.deps.policy.quietMs, source: 'live', isOverdueReported: false });
    }
    this.arm(now + this.deps.policy.quietMs);
  }

  /**
   * A scan just saw this file as new or changed. Usually it settled long ago (old mtime) and is returned at once as
   * settled, without being held; otherwise it waits like any changing file.
   */
  noteScanned(relPath: string, identity: FileIdentity): SettledFile | undefined {
    const now = this.deps.nowMs();
    const existing = this.entries.get(relPath);
    if (existing) {
      existing.dueAtMs = Math.min(existing.dueAtMs, Math.max(now, existing.lastEventMs + this.deps.policy.quietMs));
      this.arm(existing.dueAtMs);
      return undefined;
    }
    const fresh: PendingFile = { firstSeenMs: now, lastEventMs: Number.NEGATIVE_INFINITY };
    const decision = decideStability(fresh, identity, now, this.deps.policy);
    if (decision.kind === 'ready') return { relPath, identity, source: 'scan' };
    this.entries.set(relPath, {
      ...fresh,
      observed: decision.observed,
      observedAtMs: decision.observedAtMs,
      dueAtMs: decision.recheckAtMs,
      source: 'scan',
      isOverdueReported: false,
    });
    this.arm(decision.recheckAtMs);
    return undefined;
  }

  /** Forgets everything (the folder went missing; the scan on its return finds whatever is there). */
  clear(): void {
    this.entries.clear();
    this.disarm();
  }

  stop(): void {
    this.isStopped = true;
    this.clear();
  }

  /** Looks at every due path now (also used by tests and by the tick). */
  tick(): void {
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
    if (this.isStopped) return;
    const now = this.deps.nowMs();
    const batch: GateBatch = { settled: [], gone: [], dirs: [] };
    let looks = 0;
    let nextDueAtMs = Number.POSITIVE_INFINITY;
    for (const [relPath, entry] of this.entries) {
      if (entry.dueAtMs > now || looks >= this.deps.maxLooksPerTick) {
        nextDueAtMs = Math.min(nextDueAtMs, entry.dueAtMs);
        // Writes that never pause keep pushing the due time back: report the overdue file all the same.
        if (!entry.isOverdueReported && now - entry.firstSeenMs >= this.deps.policy.maxWaitMs) {
          entry.isOverdueReported = true;
          this.deps.onOverdue(relPath, now - entry.firstSeenMs);
        }
        continue;
      }
      looks++;
      const look = this.deps.look(relPath);
      if (look.kind !== 'file') {
        this.entries.delete(relPath);
        if (look.kind === 'gone') batch.gone.push(relPath);
        else if (look.kind === 'dir') batch.dirs.push(relPath);
        continue;
      }
      const decision = decideStability(entry, look.identity, now, this.deps.policy);
      if (decision.kind === 'ready') {
        this.entries.delete(relPath);
        batch.settled.push({ relPath, identity: look.identity, source: entry.source });
        continue;
      }
      entry.observed = decision.observed;
      entry.observedAtMs = decision.observedAtMs;
      entry.dueAtMs = decision.recheckAtMs;
      nextDueAtMs = Math.min(nextDueAtMs, entry.dueAtMs);
      if (decision.isOverdue && !entry.isOverdueReported) {
        entry.isOverdueReported = true;
        this.deps.onOverdue(relPath, now - entry.firstSeenMs);
      }
    }
    if (batch.settled.length + batch.gone.length + batch.dirs.length > 0) this.deps.onBatch(batch);
    this.arm(nextDueAtMs);
  }

  /**
   * One timer for the earliest due path, never sooner than tickMs from now (so a burst of events is looked
   * at in batches) and none at all when nothing waits: an idle folder costs no CPU.
   */
  private arm(dueAtMs: number): void {
    if (this.isStopped || this.entries.size === 0 || !Number.isFinite(dueAtMs)) return;
    const atMs = Math.max(dueAtMs, this.deps.nowMs() + this.deps.tickMs);
    if (this.timer && this.timerAtMs <= atMs) return;
    this.disarm();
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => this.tick(), Math.max(0, atMs - this.deps.nowMs()));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
  }
}
