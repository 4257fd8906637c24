import { Option, type Command } from 'commander';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { HoistError } from '../../domain/hoist-error.js';
import type { SymlinkPolicy, WatchRow } from '../../store/watches-repo.js';
import { addWatch } from '../../watch/watch-admin.js';
import type { CliContext } from './cli-context.js';

export interface WatchAddOptions {
  dest: string;
  remoteDir?: string;
  ignore?: string[];
  symlinks?: SymlinkPolicy;
  includeHidden?: boolean;
  mirrorDeletes?: boolean;
}

/** `hoist watch …`: which folders `hoist serve` keeps uploading. Wiring here, each command a function below. */
export function registerWatchCommands(program: Command, ctx: () => CliContext): void {
  const print = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };
  const watch = program.command('watch').description('folders whose new and changed files are uploaded by `hoist serve`');
  watch
    .command('add <dir>')
    .description('watch a folder: its files (and later changes) upload to the destination, keeping the folder tree')
    .requiredOption('--dest <name>', 'destination name (see `hoist dest list`)')
    .option('--remote-dir <path>', 'folder at the destination (default: the root)')
    .option('--ignore <pattern>', 'skip files matching this gitignore-style pattern (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .addOption(new Option('--symlinks <policy>', 'symbolic links: skip them, or follow them (loops are detected)').choices(['skip', 'follow']).default('skip'))
    .option('--include-hidden', 'also upload hidden files (names starting with a dot)')
    .option('--mirror-deletes', 'ask for local deletions to be deleted remotely too (recorded only: no protocol can delete yet)')
    .action((dir: string, opts: WatchAddOptions) => print(watchAdd(ctx(), dir, opts)));
  watch
    .command('list')
    .description('list watched folders with what `hoist serve` last reported and their sync counts')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => print(watchList(ctx(), Boolean(opts.json))));
  watch
    .command('remove <watch>')
    .description('stop watching a folder (by number from `hoist watch list`, or by path); uploads already queued continue')
    .action((ref: string) => print(watchRemove(ctx(), ref)));
  watch
    .command('pause <watch>')
    .description('stop watching a folder until resumed (by number or path)')
    .action((ref: string) => print(watchSetPaused(ctx(), ref, true)));
  watch
    .command('resume <watch>')
    .description('watch a paused folder again; changes made meanwhile are found by a full scan')
    .action((ref: string) => print(watchSetPaused(ctx(), ref, false)));
}

export function watchAdd(ctx: CliContext, dirArg: string, opts: WatchAddOptions): string {
  const { row, destination, notes } = addWatch(
    ctx.store,
    ctx.dataDir,
    { dir: dirArg, destination: opts.dest, remoteDir: opts.remoteDir, ignorePatterns: opts.ignore, symlinks: opts.symlinks, includeHidden: opts.includeHidden, mirrorDeletes: opts.mirrorDeletes },
    Date.now(),
  );
  return [`Watching ${row.dir} → ${destination}:${row.remoteDir} (watch #${row.id}). \`hoist serve\` uploads its files and keeps it in sync.`, ...notes].join('\n');
}

export function watchList(ctx: CliContext, json: boolean): string {
  const watches = ctx.store.watches.list();
  const views = watches.map((w) => ({
    id: w.id,
    dir: w.dir,
    destination: ctx.store.destinations.byId(w.destinationId)?.name ?? `#${w.destinationId}`,
    remoteDir: w.remoteDir,
    isPaused: w.isPaused,
    status: w.status,
    statusMessage: w.statusMessage,
    statusAtMs: w.statusAtMs,
    lastScanAtMs: w.lastScanAtMs,
    ignorePatterns: w.ignorePatterns,
    symlinkPolicy: w.symlinkPolicy,
    includeHidden: w.includeHidden,
    mirrorDeletes: w.mirrorDeletes,
    files: ctx.store.syncIndex.countsFor(w.id),
  }));
  if (json) return JSON.stringify({ watches: views });
  if (views.length === 0) return 'No watched folders. Add one with: hoist watch add DIR --dest NAME';
  return views
    .map((v) => {
      const f = v.files;
      const counts = `${f.uploaded} uploaded, ${f.queued + f.pending} to upload, ${f.failed} failed, ${f.deleted} deleted`;
      const rules = [
        v.ignorePatterns.length > 0 ? `ignore ${v.ignorePatterns.join(' ')}` : '',
        v.includeHidden ? 'hidden included' : '',
        v.symlinkPolicy === 'follow' ? 'symlinks followed' : '',
        v.mirrorDeletes ? 'mirror deletes requested (recorded only)' : '',
      ].filter(Boolean);
      const lines = [`#${v.id}  ${(v.isPaused ? 'paused' : v.status).padEnd(9)} ${v.dir} → ${v.destination}:${v.remoteDir}  ${counts}${rules.length ? `  [${rules.join('; ')}]` : ''}`];
      if (v.statusMessage && !v.isPaused) lines.push(`     ${v.statusMessage}`);
      return lines.join('\n');
    })
    .join('\n');
}

export function watchRemove(ctx: CliContext, ref: string): string {
  const watch = findWatch(ctx, ref);
  ctx.store.watches.remove(watch.id);
  return `Stopped watching ${watch.dir} (watch #${watch.id}); its sync index was dropped. Uploads already queued continue.`;
}

export function watchSetPaused(ctx: CliContext, ref: string, isPaused: boolean): string {
  const watch = findWatch(ctx, ref);
  if (watch.isPaused === isPaused) return `Watch #${watch.id} (${watch.dir}) is already ${isPaused ? 'paused' : 'active'}.`;
  ctx.store.watches.setPaused(watch.id, isPaused, Date.now());
  return isPaused
    ? `Paused watch #${watch.id} (${watch.dir}). Uploads already queued continue; resume with: hoist watch resume ${watch.id}`
    : `Resumed watch #${watch.id} (${watch.dir}); a running \`hoist serve\` rescans it within seconds.`;
}

function findWatch(ctx: CliContext, ref: string): WatchRow {
  const id = /^\d+$/.test(ref) ? Number(ref) : undefined;
  let watch = id === undefined ? undefined : ctx.store.watches.get(id);
  if (!watch) {
    let dir = resolve(ref);
    try {
      dir = realpathSync(dir);
    } catch {
      // a folder that no longer exists can still be named by the path it was added with
    }
    const matches = ctx.store.watches.list().filter((w) => w.dir === dir);
    if (matches.length > 1) throw new HoistError('invalid-argument', `${dir} is watched ${matches.length} times; name the watch by number (see \`hoist watch list\`).`);
    watch = matches[0];
  }
  if (!watch) throw new HoistError('not-found', `No watched folder "${ref}" (see \`hoist watch list\`).`);
  return watch;
}

