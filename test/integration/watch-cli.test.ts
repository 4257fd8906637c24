import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext, type CliContext } from '../../main/app/cli/cli-context.js';
import { registerWatchCommands } from '../../main/app/cli/watch-commands.js';
import { registerServeCommand } from '../../main/app/cli/serve-command.js';
import { HoistError } from '../../main/domain/hoist-error.js';

let base: string;
let ctx: CliContext;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'hoist-watch-cli-'));
  mkdirSync(join(base, 'photos'));
  mkdirSync(join(base, 'docs'));
  writeFileSync(join(base, 'file.txt'), 'x');
  ctx = openContext(join(base, 'photos', '.hoist-data'), {});
  ctx.store.destinations.add('od', 'graph', { token: { kind: 'env', name: 'T' } }, Date.now());
});
afterEach(() => {
  ctx.store.close();
  rmSync(base, { recursive: true, force: true });
});

/** Runs `hoist <args>` through a fresh commander program (as hoist.ts will wire it) and returns what it printed. */
async function hoist(...args: string[]): Promise<string> {
  const program = new Command('hoist').exitOverride().configureOutput({ writeErr: () => undefined });
  registerWatchCommands(program, () => ctx);
  registerServeCommand(program, () => ctx);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('hoist watch', () => {
  it('adds, lists, pauses, resumes and removes watched folders', async () => {
    const photos = join(base, 'photos');
    const added = await hoist('watch', 'add', photos, '--dest', 'od', '--remote-dir', 'Backups/Photos/', '--ignore', '*.xmp', '--ignore', 'cache/', '--symlinks', 'follow', '--mirror-deletes');
    expect(added).toMatch(/Watching .*photos → od:\/Backups\/Photos \(watch #1\)/);
    expect(added).toMatch(/data folder .* is inside it and is never uploaded/);
    expect(added).toMatch(/Hidden files .* --include-hidden/);
    expect(added).toMatch(/deletions are recorded but not mirrored yet/);
    expect(await hoist('watch', 'add', join(base, 'docs'), '--dest', 'od', '--include-hidden')).toMatch(/watch #2/);

    const list = await hoist('watch', 'list');
    expect(list).toMatch(/#1 +idle +.*photos → od:\/Backups\/Photos +0 uploaded, 0 to upload, 0 failed, 0 deleted +\[ignore \*\.xmp cache\/; symlinks followed; mirror deletes requested/);
    expect(list).toMatch(/#2 +idle +.*docs → od:\/ .*\[hidden included\]/);
    const json = JSON.parse(await hoist('watch', 'list', '--json')) as { watches: Array<Record<string, unknown>> };
    expect(json.watches[0]).toMatchObject({ id: 1, remoteDir: '/Backups/Photos', ignorePatterns: ['*.xmp', 'cache/'], symlinkPolicy: 'follow', isPaused: false });

    expect(await hoist('watch', 'pause', '1')).toMatch(/Paused watch #1/);
    expect(await hoist('watch', 'pause', photos)).toMatch(/already paused/);
    expect(await hoist('watch', 'list')).toMatch(/#1 +paused/);
    expect(await hoist('watch', 'resume', photos)).toMatch(/Resumed watch #1/);
    expect(ctx.store.watches.get(1)).toMatchObject({ isPaused: false, status: 'idle' });
    expect(await hoist('watch', 'remove', '2')).toMatch(/Stopped watching .*docs/);
    expect(ctx.store.watches.list().map((w) => w.id)).toEqual([1]);
  });

  it('refuses what cannot work, with a sentence saying why', async () => {
    const refuse = async (args: string[], code: string, message: RegExp) => {
      const error = await hoist(...args).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HoistError);
      expect(error).toMatchObject({ code });
      expect((error as Error).message).toMatch(message);
    };
    await refuse(['watch', 'add', join(base, 'nope'), '--dest', 'od'], 'invalid-argument', /no such folder/);
    await refuse(['watch', 'add', join(base, 'file.txt'), '--dest', 'od'], 'invalid-argument', /is a file/);
    await refuse(['watch', 'add', join(base, 'docs'), '--dest', 'missing'], 'not-found', /No destination named "missing"/);
    await refuse(['watch', 'add', join(base, 'docs'), '--dest', 'od', '--remote-dir', '../up'], 'invalid-argument', /must not contain/);
    await refuse(['watch', 'add', join(base, 'docs'), '--dest', 'od', '--ignore', './x'], 'invalid-argument', /relative to the watched folder/);
    await hoist('watch', 'add', join(base, 'docs'), '--dest', 'od');
    await refuse(['watch', 'add', join(base, 'docs'), '--dest', 'od'], 'invalid-argument', /already watched .*watch #1/);
    await refuse(['watch', 'pause', '42'], 'not-found', /No watched folder "42"/);
    const badSymlinks = await hoist('watch', 'add', join(base, 'docs'), '--dest', 'od', '--symlinks', 'always').catch((e: unknown) => e);
    expect(String(badSymlinks)).toMatch(/Allowed choices are skip, follow/);
  });
});
