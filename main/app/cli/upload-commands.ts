import { HoistError } from '../../domain/hoist-error.js';
import { queueFiles } from '../../engine/queue-files.js';
import { endTimedPause, startTimedPause } from '../../engine/timed-pause.js';
import { parseDuration } from '../../domain/duration.js';
import { diskFileSource } from '../../engine/file-source.js';
import { abortServerSession, type JobOutcome, type Scheduler } from '../../engine/scheduler.js';
import { sleepUnlessAborted } from '../../protocols/abortable-sleep.js';
import { listJobViews } from '../../bridge/job-views.js';
import { formatBytes } from '../../domain/transfer-rate.js';
import { protocolFor } from '../protocol-factory.js';
import { makeScheduler, type CliContext } from './cli-context.js';
import { ProgressView } from './progress-view.js';
import { eventLogger } from '../event-log.js';

export interface RunOptions {
  json: boolean;
  concurrency?: number;
  /** `--wait`: seconds to wait for another process holding a job (Infinity: until it lets go); unset: do not wait. */
  waitSeconds?: number;
  /** Finished jobs given for files already uploaded, unchanged: reported as such, nothing is sent. */
  alreadyUploaded?: readonly number[];
}

/** How often `--wait` looks whether the other process let go of a job (one read of the database, one of /proc). */
const WAIT_POLL_MS = 1_000;

/** Exit codes: 0 all committed and verified, 1 some failed, 3 some paused or busy elsewhere, 130 interrupted. */
export interface RunResult {
  exitCode: number;
  output: string;
}

export async function uploadFiles(ctx: CliContext, files: string[], opts: RunOptions & { dest: string; remoteDir?: string; again?: boolean }): Promise<RunResult> {
  const dest = ctx.store.destinations.byName(opts.dest);
  if (!dest) throw new HoistError('not-found', `No destination named "${opts.dest}". Add one with: hoist dest add ${opts.dest} --provider graph …`);
  const { jobIds, problems, alreadyUploaded } = await queueFiles(ctx.store, diskFileSource, dest, files, opts.remoteDir, Date.now, { again: opts.again });
  const result = await runJobs(ctx, jobIds, { ...opts, alreadyUploaded });
  if (problems.length === 0) return result;
  const output = opts.json ? withProblems(result.output, problems) : [...problems.map((p) => `hoist: ${p}`), result.output].filter(Boolean).join('\n');
  return { exitCode: Math.max(1, result.exitCode), output };
}

export async function runJobs(ctx: CliContext, jobIds: readonly number[], opts: RunOptions): Promise<RunResult> {
  const names = new Map(jobIds.map((id) => [id, ctx.store.jobs.get(id)?.localPath ?? String(id)]));
  const mode = opts.json ? 'silent' : process.stderr.isTTY ? 'tty' : 'lines';
  const view = new ProgressView(mode, names);
  const log = eventLogger(ctx.dataDir);
  const scheduler = makeScheduler(ctx, (event) => {
    log(event);
    view.onEvent(event);
  }, opts.concurrency);
  let interrupted = false;
  const stopWaiting = new AbortController();
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    stopWaiting.abort();
    scheduler.shutdown({ isPause: true });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let outcomes: JobOutcome[];
  try {
    outcomes = await scheduler.run(jobIds);
    if (opts.waitSeconds !== undefined) {
      outcomes = await runWhenLetGo(ctx, scheduler, outcomes, names, opts.waitSeconds, stopWaiting.signal, (line) => view.note(line));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    view.stop();
  }
  outcomes = outcomes.map((o) => (o.state === 'busy' ? { ...o, message: busyMessage(ctx, o.jobId, names, opts.waitSeconds !== undefined) } : o));
  const allDone = outcomes.length === jobIds.length && outcomes.every((o) => o.state === 'done');
  const exitCode = interrupted ? 130 : outcomes.some((o) => o.state === 'failed') ? 1 : allDone ? 0 : 3;
  if (opts.json) {
    // stdout stays one JSON document; who holds a busy job is said on stderr.
    for (const o of outcomes) if (o.state === 'busy') process.stderr.write(`hoist: ${o.message}\n`);
    return { exitCode, output: JSON.stringify({ ok: exitCode === 0, jobs: listJobViews(ctx.store, jobIds) }) };
  }
  return { exitCode, output: summarize(outcomes, names, interrupted, new Set(opts.alreadyUploaded)) };
}

/**
 * `--wait`: while another live process holds some of the jobs, looks again every WAIT_POLL_MS and runs each job once
 * that process finishes it or lets go (exits, is killed, pauses it). Stops at the deadline or on Ctrl-C.
 */
async function runWhenLetGo(
  ctx: CliContext,
  scheduler: Scheduler,
  first: JobOutcome[],
  names: Map<number, string>,
  waitSeconds: number,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<JobOutcome[]> {
  const deadlineMs = Date.now() + waitSeconds * 1000;
  const announced = new Set<number>();
  let outcomes = first;
  for (;;) {
    const busy = outcomes.filter((o) => o.state === 'busy').map((o) => o.jobId);
    const leftMs = deadlineMs - Date.now();
    if (busy.length === 0 || signal.aborted || leftMs <= 0) return outcomes;
    for (const id of busy) {
      if (announced.has(id)) continue;
      announced.add(id);
      const holder = ctx.store.jobs.leaseHolder(id);
      say(`waiting for ${holder ? `another Hoist process (pid ${holder.pid})` : 'another Hoist process'} to finish ${names.get(id) ?? `upload ${id}`} (Ctrl-C stops waiting)`);
    }
    try {
      await sleepUnlessAborted(Math.min(WAIT_POLL_MS, leftMs), signal);
    } catch {
      return outcomes;
    }
    const again = new Map((await scheduler.run(busy)).map((o) => [o.jobId, o]));
    outcomes = outcomes.map((o) => again.get(o.jobId) ?? o);
  }
}

function busyMessage(ctx: CliContext, jobId: number, names: Map<number, string>, hasWaited: boolean): string {
  const holder = ctx.store.jobs.leaseHolder(jobId);
  const who = holder ? `another Hoist process (pid ${holder.pid})` : 'another Hoist process';
  const file = names.get(jobId) ?? `upload ${jobId}`;
  return hasWaited ? `${who} is still uploading ${file}; stopped waiting` : `${who} is uploading ${file} right now; add --wait to wait for it`;
}

function summarize(outcomes: readonly JobOutcome[], names: Map<number, string>, interrupted: boolean, alreadyUploaded: ReadonlySet<number>): string {
  const lines = outcomes.map((o) => {
    const label = `#${o.jobId} ${names.get(o.jobId) ?? ''}`;
    switch (o.state) {
      case 'done':
        return alreadyUploaded.has(o.jobId) ? `✓ ${label}: already uploaded, unchanged since (--again sends it again)` : `✓ ${label}: uploaded and verified`;
      case 'failed':
        return `✗ ${label}: failed – ${o.message ?? 'unknown error'}`;
      case 'paused':
        return `‖ ${label}: paused`;
      case 'cancelled':
        return `✗ ${label}: cancelled`;
      case 'busy':
        return `… #${o.jobId}: ${o.message ?? 'busy'}`;
    }
  });
  if (interrupted && outcomes.some((o) => o.state === 'paused')) {
    lines.push('Paused. Run the same command again, or `hoist resume --all`, to continue where it stopped.');
  }
  return lines.join('\n');
}

function withProblems(json: string, problems: string[]): string {
  const parsed = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify({ ...parsed, ok: false, errors: problems });
}

export function status(ctx: CliContext, json: boolean): string {
  const views = listJobViews(ctx.store);
  if (json) return JSON.stringify({ jobs: views });
  if (views.length === 0) return 'No uploads yet.';
  return views
    .map((v) => {
      const pct = v.sizeBytes === 0 ? 100 : Math.floor((v.ackedBytes / v.sizeBytes) * 100);
      const note = v.errorMessage ?? v.restartReason ?? '';
      return `${String(v.id).padStart(4)}  ${v.state.padEnd(9)} ${String(pct).padStart(3)}%  ${formatBytes(v.sizeBytes).padStart(10)}  ${v.destination}:${v.remotePath}  ${v.localPath}${note ? `  (${note})` : ''}`;
    })
    .join('\n');
}

export function parseIds(id: string | undefined, all: boolean | undefined): number[] | 'all' {
  if (all) return 'all';
  if (id === undefined) throw new HoistError('invalid-argument', 'Give an upload ID (see `hoist status`) or --all.');
  const n = Number(id);
  if (!Number.isInteger(n) || n <= 0) throw new HoistError('invalid-argument', `"${id}" is not an upload ID (see \`hoist status\`).`);
  return [n];
}

export function pauseJobs(ctx: CliContext, ids: number[] | 'all', forDuration?: string): string {
  if (forDuration !== undefined) {
    if (ids !== 'all') throw new HoistError('invalid-argument', '--for pauses every upload: use it with --all.');
    const duration = parseDuration(forDuration);
    if ('error' in duration) throw new HoistError('invalid-argument', `--for: ${duration.error}.`);
    const untilMs = Date.now() + duration.ms;
    const paused = startTimedPause(ctx.store, untilMs, Date.now());
    const until = new Date(untilMs).toLocaleString([], { hour: '2-digit', minute: '2-digit', weekday: duration.ms >= 86_400_000 ? 'short' : undefined });
    return `Paused every upload until ${until} (${paused.length} paused now; new ones wait too). They resume on their own then; \`hoist resume --all\` resumes now.`;
  }
  const changed = ctx.store.jobs.pause(ids, Date.now());
  return changed === 0 ? 'Nothing to pause.' : `Paused ${changed} upload(s). Resume with: hoist resume ${ids === 'all' ? '--all' : ids[0]}`;
}

export async function resumeJobs(ctx: CliContext, ids: number[] | 'all', opts: RunOptions): Promise<RunResult> {
  // Resuming everything ends a timed pause too.
  if (ids === 'all') endTimedPause(ctx.store, Date.now());
  const candidates = ids === 'all' ? ctx.store.jobs.listByState(['paused', 'failed', 'queued', 'running']).map((j) => j.id) : ids;
  for (const id of candidates) if (!ctx.store.jobs.get(id)) throw new HoistError('not-found', `No upload with ID ${id}.`);
  ctx.store.jobs.resume(candidates, Date.now());
  if (candidates.length === 0) return { exitCode: 0, output: opts.json ? JSON.stringify({ ok: true, jobs: [] }) : 'Nothing to resume.' };
  return runJobs(ctx, candidates, opts);
}

export async function cancelJob(ctx: CliContext, id: number): Promise<string> {
  const job = ctx.store.jobs.get(id);
  if (!job) throw new HoistError('not-found', `No upload with ID ${id}.`);
  if (job.state === 'done' || job.state === 'cancelled') return `Upload ${id} is already ${job.state}.`;
  ctx.store.jobs.setState(id, 'cancelled', Date.now());
  const dest = ctx.store.destinations.byId(job.destinationId);
  if (dest) await abortServerSession(ctx.store, id, await protocolFor(dest, ctx.secrets, ctx.env));
  return `Cancelled upload ${id}; the server session was discarded.`;
}
