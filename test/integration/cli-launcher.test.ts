import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLI, cliEnv, tempDir } from '../support/cli.js';

/**
 * The installed `hoist` launcher (dist/cli/hoist.cjs) and its V8 code cache, on a copy of the built CLI: inside dist/,
 * so the bundle still finds node_modules, and apart from dist/cli, which the other tests run in parallel.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function copyOfCli(): { dir: string; launcher: string; bundle: string } {
  const dir = mkdtempSync(join(dirname(dirname(CLI)), 'launcher-test-'));
  dirs.push(dir);
  for (const name of ['hoist.cjs', 'hoist-main.cjs']) copyFileSync(join(dirname(CLI), name), join(dir, name));
  return { dir, launcher: join(dir, 'hoist.cjs'), bundle: join(dir, 'hoist-main.cjs') };
}

const caches = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.v8-cache'));

function status(launcher: string, dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [launcher, '--data-dir', dataDir, 'status'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('hoist launcher: the CLI bundle runs from a V8 code cache', () => {
  it('leaves a cache after the first run, keeps it while it fits, and runs the same from it', async () => {
    const { dir, launcher } = copyOfCli();
    dirs.push(tempDir('launcher-data'));
    const dataDir = dirs.at(-1)!;
    const first = await status(launcher, dataDir);
    expect(first).toMatchObject({ code: 0, stdout: 'No uploads yet.\n', stderr: '' });
    const [cache] = caches(dir);
    expect(cache).toMatch(/^hoist-main\.cjs\.\d+-\d+\.v8-cache$/);
    const written = readFileSync(join(dir, cache!));
    expect(written.length).toBeGreaterThan(10_000);
    const second = await status(launcher, dataDir);
    expect(second).toEqual(first);
    // An accepted cache is not written again.
    expect(readFileSync(join(dir, cache!)).equals(written)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a damaged cache is ignored and replaced; a rebuilt bundle gets a cache of its own and the old one goes', async () => {
    const { dir, launcher, bundle } = copyOfCli();
    dirs.push(tempDir('launcher-data'));
    const dataDir = dirs.at(-1)!;
    expect((await status(launcher, dataDir)).code).toBe(0);
    const [cache] = caches(dir);
    writeFileSync(join(dir, cache!), 'not a V8 code cache');
    expect(await status(launcher, dataDir)).toMatchObject({ code: 0, stdout: 'No uploads yet.\n', stderr: '' });
    expect(readFileSync(join(dir, cache!)).length).toBeGreaterThan(10_000);

    const later = new Date(Date.now() + 60_000);
    utimesSync(bundle, later, later); // as a rebuild (or an edit) would
    expect((await status(launcher, dataDir)).code).toBe(0);
    const after = caches(dir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(cache);
  });

  it('runs without a cache when none can be read or written', async () => {
    const { dir, launcher, bundle } = copyOfCli();
    dirs.push(tempDir('launcher-data'));
    const dataDir = dirs.at(-1)!;
    // A directory where the cache file would go: reading it fails and so does renaming a new one into place.
    const { size, mtimeMs } = statSync(bundle);
    mkdirSync(join(dir, `hoist-main.cjs.${size}-${Math.trunc(mtimeMs)}.v8-cache`));
    const run = await status(launcher, dataDir);
    expect(run).toMatchObject({ code: 0, stdout: 'No uploads yet.\n', stderr: '' });
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
