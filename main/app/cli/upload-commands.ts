import { HoistError } from '../../domain/hoist-error.js';
import { queueFiles } from '../../engine/queue-files.js';
import { diskFileSource } from '../../engine/file-source.js';
import { abortServerSession, type JobOutcome } from '../../engine/scheduler.js';
import { listJobViews } from '../../bridge/job-views.js';
import { formatBytes } from '../../domain/transfer-rate.js';
import { protocolFor } from '../protocol-factory.js';
import { makeScheduler, type CliContext } from './cli-context.js';
import { ProgressView } from './progress-view.js';
import { eventLogger } from '../event-log.js';

export interface RunOptions {
  json: boolean;
  concurrency?: number;
}

/** Exit codes: 0 all committed and verified, 1 some failed, 3 some paused or busy elsewhere, 130 interrupted. */
export interface RunResult {
  exitCode: number;
  output: string;
}

export async function uploadFiles(ctx: CliContext, files: string[], opts: RunOptions & { dest: string; remoteDir?: string }): Promise<RunResult> {
  const dest = ctx.store.destinations.byName(opts.dest);
  if (!dest) throw new HoistError('not-found', `No destination named "${opts.dest}". Add one with: hoist dest add ${opts.dest} --provider graph …`);
  const { jobIds, problems } = await queueFiles(ctx.store, diskFileSource, dest, files, opts.remoteDir, Date.now);
  const result = await runJobs(ctx, jobIds, opts);
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
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    scheduler.shutdown({ isPause: true });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let outcomes: JobOutcome[];
  try {
    outcomes = await scheduler.run(jobIds);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    view.stop();
  }
  const allDone = outcomes.length === jobIds.length && outcomes.every((o) => o.state === 'done');
  const exitCode = interrupted ? 130 : outcomes.some((o) => o.state === 'failed') ? 1 : allDone ? 0 : 3;
  if (opts.json) return { exitCode, output: JSON.stringify({ ok: exitCode === 0, jobs: listJobViews(ctx.store, jobIds) }) };
  return { exitCode, output: summarize(outcomes, names, interrupted) };
}

function summarize(outcomes: readonly JobOutcome[], names: Map<number, string>, interrupted: boolean): string {
  const lines = outcomes.map((o) => {
    const label = `#${o.jobId} ${names.get(o.jobId) ?? ''}`;
    switch (o.state) {
      case 'done':
        return `✓ ${label}: uploaded and verified`;
      case 'failed':
        return `✗ ${label}: failed – ${o.message ?? 'unknown error'}`;
      case 'paused':
        return `‖ ${label}: paused`;
      case 'cancelled':
        return `✗ ${label}: cancelled`;
      case 'busy':
        return `… ${label}: ${o.message ?? 'busy'}`;
    }
  });
  if (interrupted) lines.push('Paused. Run the same command again, or `hoist resume --all`, to continue where it stopped.');
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

export function pauseJobs(ctx: CliContext, ids: number[] | 'all'): string {
  const changed = ctx.store.jobs.pause(ids, Date.now());
  return changed === 0 ? 'Nothing to pause.' : `Paused ${changed} upload(s). Resume with: hoist resume ${ids === 'all' ? '--all' : ids[0]}`;
}

export async function resumeJobs(ctx: CliContext, ids: number[] | 'all', opts: RunOptions): Promise<RunResult> {
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
