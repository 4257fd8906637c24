import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoistError } from '../../domain/hoist-error.js';
import { DaemonRunning, runServe } from '../serve/run-serve.js';
import { watchOptionsFrom } from '../../watch/watch-options.js';
import type { CliContext } from './cli-context.js';
import { openBrowser } from './open-browser.js';
import { applyTransferOptions } from '../transfer-options.js';
import { addTransferFlags, transferOptionsOf } from './transfer-flags.js';

/** The built window and the package version, found from the bundle's place in the package (dist/cli or dist/main/...). */
function packageRoot(): string {
  for (let dir = import.meta.dirname; ; dir = join(dir, '..')) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'hoist') return dir;
    } catch {
      // not here
    }
    if (dir === join(dir, '..')) throw new HoistError('not-found', 'Hoist cannot find its own files (package.json); reinstall it.');
  }
}

export const DEFAULT_SERVE_PORT = 7325;

/** `hoist serve`: the headless daemon (background sync of watched folders, every queued upload) and its window. */
export function registerServeCommand(program: Command, ctx: () => CliContext): void {
  const serve = program
    .command('serve')
    .description('run in the background: upload what changes in watched folders, and serve the window in a browser (Ctrl-C stops)')
    .option('--host <address>', 'address the window listens on', '127.0.0.1')
    .option('--port <port>', `port of the window (default ${DEFAULT_SERVE_PORT}; 0 takes any free port)`, parsePort, DEFAULT_SERVE_PORT)
    .option('--open', 'open the window in the default browser')
    .option('--concurrency <n>', 'files uploaded at once (default: the "files at once" setting, 3)', (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new HoistError('invalid-argument', `expected a whole number from 1 to 64, got "${value}"`);
      return n;
    });
  addTransferFlags(serve)
    .action(async (opts: { host: string; port: number; open?: boolean; concurrency?: number; bwlimit?: string; stallTimeout?: number }) => {
      const flags = transferOptionsOf(opts);
      applyTransferOptions(flags);
      const context = ctx();
      const controller = new AbortController();
      let signals = 0;
      const onSignal = () => {
        // A second Ctrl-C quits at once; everything is durable, so the next start resumes.
        if (++signals > 1) process.exit(130);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const root = packageRoot();
      const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
      try {
        await runServe({
          ctx: context,
          signal: controller.signal,
          log: (line) => process.stderr.write(`${line}\n`),
          watchOptions: watchOptionsFrom(context.env),
          maxConcurrentFiles: opts.concurrency,
          ui: { host: opts.host, port: opts.port, staticDir: join(root, 'dist', 'renderer'), version },
          transferFlags: flags,
          onListening: (url) => {
            process.stdout.write(`Hoist is running. Open its window at:\n${url}\n`);
            if (opts.open) openBrowser(url);
          },
        });
      } catch (error) {
        if (!(error instanceof DaemonRunning)) throw error;
        if (error.holder.url) process.stdout.write(`${error.holder.url}\n`);
        process.stderr.write(`hoist: ${error.message} ${error.holder.url ? 'Its window is at the address above.' : 'Stop it first, or use another --data-dir.'}\n`);
        process.exitCode = 3;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        context.store.close();
      }
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new HoistError('invalid-argument', `--port must be a port number from 0 to 65535, got "${value}"`);
  return port;
}
