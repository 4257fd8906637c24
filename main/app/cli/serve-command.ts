import type { Command } from 'commander';
import { HoistError } from '../../domain/hoist-error.js';
import { runServe } from '../serve/run-serve.js';
import { watchOptionsFrom } from '../../watch/watch-options.js';
import type { CliContext } from './cli-context.js';

/** `hoist serve`: the headless daemon (background sync of watched folders, and every queued upload). */
export function registerServeCommand(program: Command, ctx: () => CliContext): void {
  program
    .command('serve')
    .description('run in the background: watch the folders of `hoist watch list` and upload what changes (Ctrl-C stops)')
    .option('--concurrency <n>', 'files uploaded at once (default 3)', (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new HoistError('invalid-argument', `expected a whole number from 1 to 64, got "${value}"`);
      return n;
    })
    .action(async (opts: { concurrency?: number }) => {
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
      try {
        await runServe({
          ctx: context,
          signal: controller.signal,
          log: (line) => process.stderr.write(`${line}\n`),
          watchOptions: watchOptionsFrom(context.env),
          maxConcurrentFiles: opts.concurrency,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        context.store.close();
      }
    });
}
