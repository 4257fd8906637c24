#!/usr/bin/env node
import { Command, Option } from 'commander';
import { HoistError, userMessage } from '../../domain/hoist-error.js';
import { translateDbError } from '../../store/open-database.js';
import { openContext, type CliContext } from './cli-context.js';
import { registerLoginCommand } from './login-command.js';
import { registerReceiveCommand } from './receive-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerWatchCommands } from './watch-commands.js';
import { destAdd, destList, destRemove, SUPPORTED_PROVIDERS, type DestAddOptions } from './dest-commands.js';
import { cancelJob, parseIds, pauseJobs, resumeJobs, status, uploadFiles, type RunResult } from './upload-commands.js';
import { applyTransferOptions } from '../transfer-options.js';
import { addTransferFlags, transferOptionsOf } from './transfer-flags.js';

/** `hoist`: the command-line face of the engine. Wiring only: each command is a function of its own module. */
function buildProgram(): Command {
  const program = new Command('hoist')
    .description('Resumable uploads of big files that survive network drops, reboots and kill -9.')
    .option('--data-dir <dir>', 'where Hoist keeps its database and tokens (also HOIST_DATA_DIR; default: the OS app-data folder)')
    .showHelpAfterError('(run `hoist --help` for usage)')
    .configureOutput({ outputError: (text, write) => write(text) });

  const ctx = (): CliContext => openContext(program.opts<{ dataDir?: string }>().dataDir);

  const dest = program.command('dest').description('manage upload destinations');
  dest
    .command('add <name>')
    .description('add a destination; see the README for each provider')
    .addOption(new Option('--provider <provider>', 'server kind').choices(SUPPORTED_PROVIDERS).makeOptionMandatory())
    .option('--endpoint <url>', 'service base URL (defaults to the real service; set it for sovereign clouds or self-hosting)')
    .option('--token <token>', 'access token / API key (stored in a file only you can read; never printed)')
    .option('--token-env <variable>', 'read the token from this environment variable at upload time')
    .option('--client-id <id>', 'graph, box: sign in with OAuth instead of a token (then run: hoist login NAME)')
    .option('--client-secret <secret>', "box: the app's client secret (stored in a file only you can read; never printed)")
    .option('--client-secret-env <variable>', "box: read the app's client secret from this environment variable")
    .option('--tenant <tenant>', 'graph sign-in: common (default), organizations, consumers, or your tenant id or domain')
    .option('--authority <url>', 'graph sign-in: identity platform host (default https://login.microsoftonline.com)')
    .option('--authorize-url <url>', 'box sign-in: authorize page (default https://account.box.com/api/oauth2/authorize)')
    .option('--token-url <url>', 'sign-in token endpoint (box default https://api.box.com/oauth2/token; graph: {authority}/{tenant}/oauth2/v2.0/token)')
    .option('--drive-id <id>', 'graph: upload into this drive instead of your own OneDrive')
    .option('--api-endpoint <url>', 'box: API host base (default https://api.box.com/2.0)')
    .option('--conflict <behavior>', 'when the file exists – graph: replace (default), fail, rename; box: version (default), rename, skip')
    .option('--fragment-size <bytes>', 'graph: bytes per request, a multiple of 327680 under 60 MiB (default: sized to the link, from 10 MiB)')
    .option('--app-id <id>', 'apideck: Unify application id')
    .option('--consumer-id <id>', 'apideck: consumer id')
    .option('--service-id <id>', 'apideck: connector (e.g. box, onedrive, google-drive) when the consumer has several')
    .option('--folder-id <id>', 'box: root folder for uploads (default 0, "All Files"); apideck: target folder id (default root)')
    .option('--region <region>', 's3: region (default us-east-1)')
    .option('--bucket <bucket>', 's3: bucket')
    .option('--prefix <prefix>', 's3: key prefix, e.g. backups/')
    .option('--access-key-id <id>', 's3: access key id (the secret goes in --token / --token-env)')
    .option('--force-path-style', 's3: path-style URLs (MinIO and most S3-compatible servers)')
    .option('--part-size <bytes>', 's3: preferred part size, at least 5 MiB (default 16 MiB; raised to stay under 10,000 parts); tus: bytes per PATCH (default: sized to the link, from 64 MiB)')
    .action((name: string, opts: DestAddOptions) => print(destAdd(ctx(), name, opts)));
  dest
    .command('list')
    .description('list destinations')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => print(destList(ctx(), Boolean(opts.json))));
  dest
    .command('remove <name>')
    .description('remove a destination and its stored token')
    .action((name: string) => print(destRemove(ctx(), name)));

  registerLoginCommand(program, ctx);

  const upload = program
    .command('upload <files...>')
    .description('upload files; re-running the same command resumes where it stopped')
    .option('--dest <name>', 'destination name (see `hoist dest list`)', 'local')
    .option('--remote-dir <path>', 'folder at the destination (default: the root)')
    .option('--concurrency <n>', 'files uploaded at once (default 3)', parsePositiveInt)
    .option('--json', 'print a JSON summary instead of progress')
    .option('--again', 'upload files again even where the same file, unchanged, was uploaded to the same place before')
    .option(WAIT_FLAGS, WAIT_HELP, parseWaitSeconds);
  addTransferFlags(upload).action(async (files: string[], opts: UploadOpts) => {
    applyTransferOptions(transferOptionsOf(opts));
    finish(await uploadFiles(ctx(), files, { ...opts, json: Boolean(opts.json), waitSeconds: waitSecondsOf(opts.wait) }));
  });

  program
    .command('status')
    .description('show every upload and its progress')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => print(status(ctx(), Boolean(opts.json))));

  program
    .command('pause [id]')
    .description('pause an upload (or --all); it stays paused across restarts')
    .option('--all', 'every upload')
    .option('--for <duration>', 'with --all: pause for a while (30m, 2h, 1h30m); only what this paused resumes afterwards')
    .action((id: string | undefined, opts: { all?: boolean; for?: string }) => print(pauseJobs(ctx(), parseIds(id, opts.all), opts.for)));

  const resume = program
    .command('resume [id]')
    .description('resume a paused or failed upload (or --all) and run it until done')
    .option('--all', 'every unfinished upload')
    .option('--json', 'print a JSON summary instead of progress')
    .option(WAIT_FLAGS, WAIT_HELP, parseWaitSeconds);
  addTransferFlags(resume).action(async (id: string | undefined, opts: ResumeOpts) => {
    const ids = parseIds(id, opts.all);
    applyTransferOptions(transferOptionsOf(opts));
    finish(await resumeJobs(ctx(), ids, { json: Boolean(opts.json), waitSeconds: waitSecondsOf(opts.wait) }));
  });

  program
    .command('cancel <id>')
    .description('cancel an upload and discard what the server holds of it')
    .action(async (id: string) => {
      const ids = parseIds(id, false);
      print(await cancelJob(ctx(), (ids as number[])[0]!));
    });

  registerReceiveCommand(program);
  registerWatchCommands(program, ctx);
  registerServeCommand(program, ctx);
  return program;
}

interface TransferFlags {
  bwlimit?: string;
  stallTimeout?: number;
}
type UploadOpts = TransferFlags & { dest: string; remoteDir?: string; concurrency?: number; json?: boolean; again?: boolean; wait?: number | true };
type ResumeOpts = TransferFlags & { all?: boolean; json?: boolean; wait?: number | true };

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new HoistError('invalid-argument', `expected a whole number from 1 to 64, got "${value}"`);
  return n;
}

const WAIT_FLAGS = '--wait [seconds]';
const WAIT_HELP = 'when another Hoist process is uploading a file, wait for it to finish or stop (at most SECONDS; Ctrl-C stops waiting)';

function parseWaitSeconds(value: string): number {
  const n = Number(value);
  // `hoist upload --wait big.bin` hands the file name to --wait: say so rather than "not a number".
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new HoistError('invalid-argument', `--wait takes a number of seconds, got "${value}"; put --wait after the file names or the upload ID`);
  }
  return n;
}

/** `--wait` alone waits as long as it takes. */
const waitSecondsOf = (wait: number | true | undefined): number | undefined => (wait === true ? Number.POSITIVE_INFINITY : wait);

function print(text: string): void {
  if (text) process.stdout.write(`${text}\n`);
}

function finish(result: RunResult): void {
  print(result.output);
  process.exitCode = result.exitCode;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (caught) {
    const error = translateDbError(caught);
    // Users get a sentence, not a stack trace; HOIST_DEBUG=1 shows the trace for bug reports.
    const known = error instanceof HoistError;
    process.stderr.write(`hoist: ${known ? userMessage(error) : `unexpected error: ${userMessage(error)}`}\n`);
    if (process.env.HOIST_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = known && error.code === 'invalid-argument' ? 2 : 1;
  }
}

void main();
