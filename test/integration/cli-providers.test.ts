import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApideckEmulator } from '../emulators/apideck-emulator.js';
import { BoxEmulator } from '../emulators/box-emulator.js';
import type { JobView } from '../../preload/contract/views.js';
import { parseJsonOutput, removeDir, runCli, startCli, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const MiB = 1024 * 1024;
type Summary = { ok: boolean; jobs: JobView[] };
const sha1 = (path: string) => createHash('sha1').update(readFileSync(path)).digest('hex');

let work: string;
let dataDir: string;
beforeEach(() => {
  work = tempDir('providers');
  dataDir = join(work, 'data');
});
afterEach(() => removeDir(work));
const hoist = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);

describe('hoist CLI with an Apideck destination', () => {
  let emulator: ApideckEmulator;
  beforeEach(async () => {
    emulator = await ApideckEmulator.start({ storageDir: join(work, 'server'), connector: 'box', partSizeBytes: MiB });
  });
  afterEach(() => emulator.close());

  it('adds the destination, uploads, and resumes after SIGKILL on the same session', async () => {
    const added = await hoist('dest', 'add', 'ad', '--provider', 'apideck', '--endpoint', emulator.url, '--token', 'apideck-test-key', '--app-id', 'test-app', '--consumer-id', 'test-consumer', '--service-id', 'box');
    expect(added.code).toBe(0);
    const missing = await hoist('dest', 'add', 'bad', '--provider', 'apideck', '--token', 'k', '--app-id', 'a');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--consumer-id/);
    const file = join(work, 'a.bin');
    writeRandomFile(file, 12 * MiB + 5);
    emulator.setThroughput(3 * MiB);
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'ad', '--json']);
    await waitFor(() => (emulator.sessions()[0]?.partsStored.length ?? 0) >= 2, 30_000, 'two parts');
    child.kill('SIGKILL');
    await child.result;
    emulator.setThroughput(undefined);
    const run = await hoist('upload', file, '--dest', 'ad', '--json');
    expect(run.code).toBe(0);
    expect(parseJsonOutput<Summary>(run.stdout).jobs[0]!.state).toBe('done');
    expect(emulator.sessions()).toHaveLength(1);
    expect(emulator.files()[0]!.sha1).toBe(sha1(file));
    // Re-sent at most: the 4 parts in flight at the kill, plus up to 3 stored parts past the gap they left, because
    // Apideck reports only one uploaded byte range (a contiguous prefix); the conformance fixture uses the same 7.
    expect(emulator.sessions()[0]!.bytesReceivedTotal - (12 * MiB + 5)).toBeLessThanOrEqual(7 * MiB);
  });
});

describe('hoist CLI with a Box destination', () => {
  let emulator: BoxEmulator;
  beforeEach(async () => {
    emulator = await BoxEmulator.start({ storageDir: join(work, 'server') });
  });
  afterEach(() => emulator.close());

  it('creates the --remote-dir folders, uploads big files in chunks and small ones in one request, then a new version', async () => {
    const added = await hoist('dest', 'add', 'box', '--provider', 'box', '--endpoint', emulator.uploadBaseUrl, '--api-endpoint', emulator.apiBaseUrl, '--token', 'box-test-token');
    expect(added.code).toBe(0);
    const big = join(work, 'big.bin');
    const small = join(work, 'small.txt');
    writeRandomFile(big, 25_000_000);
    writeRandomFile(small, 1234);
    const run = await hoist('upload', big, small, '--dest', 'box', '--remote-dir', '/Projects/2026', '--json');
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
    const folders = emulator.folders();
    const projects = folders.find((f) => f.name === 'Projects' && f.parentId === '0')!;
    const year = folders.find((f) => f.name === '2026' && f.parentId === projects.id)!;
    const files = new Map(emulator.files().map((f) => [f.name, f]));
    expect(files.get('big.bin')).toMatchObject({ folderId: year.id, sha1: sha1(big), versions: 1 });
    expect(files.get('small.txt')).toMatchObject({ folderId: year.id, sha1: sha1(small) });
    expect(emulator.sessions()).toHaveLength(1); // only the big file needed a chunked session
    writeRandomFile(big, 25_000_000);
    const again = await hoist('upload', big, '--dest', 'box', '--remote-dir', '/Projects/2026', '--json');
    expect(again.code).toBe(0);
    expect(emulator.files().find((f) => f.name === 'big.bin')).toMatchObject({ sha1: sha1(big), versions: 2 });
  });
});

describe('the local destination a new user gets', () => {
  it('exists out of the box and uploads into a folder on this machine, resuming after SIGKILL', async () => {
    const home = join(work, 'home');
    const env = { ...process.env, HOME: home, HOIST_RETRY_BASE_MS: '20' };
    const list = await runCli(['--data-dir', dataDir, 'dest', 'list', '--json'], { env });
    const dests = JSON.parse(list.stdout).destinations as Array<{ name: string; provider: string; settings: { dir: string } }>;
    expect(dests).toEqual([expect.objectContaining({ name: 'local', provider: 'tus' })]);
    const target = join(home, 'Hoist Uploads');
    expect(dests[0]!.settings.dir).toBe(target);
    const file = join(work, 'movie.bin');
    writeRandomFile(file, 70 * MiB + 3);
    // no --dest: local is the default
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--remote-dir', '/inbox', '--json'], { env });
    await waitFor(() => {
      try {
        const staging = join(target, '.hoist-receive');
        return readdirSync(staging).some((n) => !n.endsWith('.json') && statSync(join(staging, n)).size > 4 * MiB);
      } catch {
        return false;
      }
    }, 30_000, 'an upload started');
    child.kill('SIGKILL');
    await child.result;
    const run = await runCli(['--data-dir', dataDir, 'upload', file, '--remote-dir', '/inbox', '--json'], { env });
    expect(run.code).toBe(0);
    expect(parseJsonOutput<Summary>(run.stdout).jobs[0]!.state).toBe('done');
    expect(sha1(join(target, 'inbox', 'movie.bin'))).toBe(sha1(file));
    // One tus upload, resumed on the new run's receiver port, not a second one started from zero.
    expect(readdirSync(join(target, '.hoist-receive')).filter((n) => n.endsWith('.json'))).toHaveLength(1);
  });
});
