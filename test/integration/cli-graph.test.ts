import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import type { JobView } from '../../preload/contract/views.js';
import { parseJsonOutput, removeDir, runCli, sha256File, startCli, tempDir, waitFor, writeRandomFile } from '../support/cli.js';

const FRAGMENT = 327_680 * 4; // 1.25 MiB: small fragments make kill points land mid-file
const MiB = 1024 * 1024;

let work: string;
let dataDir: string;
let emulator: GraphEmulator;

beforeEach(async () => {
  work = tempDir('cli');
  dataDir = join(work, 'data');
  emulator = await GraphEmulator.start({ storageDir: join(work, 'server') });
});
afterEach(async () => {
  await emulator.close();
  removeDir(work);
});

const hoist = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);
const addDest = (fragment = FRAGMENT) =>
  hoist('dest', 'add', 'od', '--provider', 'graph', '--endpoint', emulator.graphBaseUrl, '--token', 'graph-test-token', '--fragment-size', String(fragment));
type Summary = { ok: boolean; jobs: JobView[] };

describe('hoist upload to Microsoft Graph', () => {
  it('uploads a 100+ MiB file, an empty file and a 1-byte file byte-identical, never sending Authorization to the uploadUrl', async () => {
    expect((await addDest(10_485_760)).code).toBe(0);
    const big = join(work, 'big.bin');
    const empty = join(work, 'empty.bin');
    const one = join(work, 'one.bin');
    writeRandomFile(big, 105 * MiB + 12_345);
    writeFileSync(empty, '');
    writeFileSync(one, 'x');
    const run = await hoist('upload', big, empty, one, '--dest', 'od', '--remote-dir', '/Backups', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = parseJsonOutput<Summary>(run.stdout);
    expect(summary.ok).toBe(true);
    expect(summary.jobs.map((j) => j.state)).toEqual(['done', 'done', 'done']);
    const items = new Map(emulator.items().map((i) => [i.path, i]));
    expect(items.get('/Backups/big.bin')?.sha256).toBe(await sha256File(big));
    expect(items.get('/Backups/empty.bin')?.size).toBe(0);
    expect(items.get('/Backups/one.bin')?.sha256).toBe(await sha256File(one));
    const uploadUrlRequests = emulator.requests.filter((r) => r.path.startsWith('/up/'));
    expect(uploadUrlRequests.length).toBeGreaterThan(10);
    expect(uploadUrlRequests.filter((r) => r.hadAuthorization)).toEqual([]);
  });

  it('survives SIGKILL at random points several times in a row: same session, identical bytes, only in-flight parts re-sent', async () => {
    await addDest();
    const file = join(work, 'kill.bin');
    const size = 40 * MiB + 777;
    writeRandomFile(file, size);
    emulator.setThroughput(16 * MiB);
    const kills = 3;
    for (let k = 0; k < kills; k++) {
      const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', '--json']);
      const before = emulator.sessions()[0]?.receivedBytes ?? 0;
      const threshold = before + FRAGMENT + Math.floor(Math.random() * 6 * MiB);
      await waitFor(() => (emulator.sessions()[0]?.bytesReceivedTotal ?? 0) - (emulator.sessions()[0] ? 0 : 0) > 0 && (emulator.sessions()[0]?.receivedBytes ?? 0) >= Math.min(threshold, size - 2 * FRAGMENT), 30_000, `progress past ${threshold}`);
      child.kill('SIGKILL');
      const result = await child.result;
      expect(result.signal).toBe('SIGKILL');
    }
    emulator.setThroughput(undefined);
    const final = await runCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', '--json']);
    expect(final.code).toBe(0);
    const sessions = emulator.sessions();
    expect(sessions).toHaveLength(1);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
    // One fragment in flight per kill at most (Graph has one writer per file).
    const resent = sessions[0]!.bytesReceivedTotal - size;
    expect(resent).toBeLessThanOrEqual(kills * FRAGMENT);
  });

  it('pause from another process, restart, resume: continues from the server offset', async () => {
    await addDest();
    const file = join(work, 'pause.bin');
    const size = 24 * MiB;
    writeRandomFile(file, size);
    emulator.setThroughput(8 * MiB);
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', '--json']);
    await waitFor(() => (emulator.sessions()[0]?.receivedBytes ?? 0) >= 3 * FRAGMENT, 30_000, 'first fragments');
    const paused = await hoist('pause', '--all');
    expect(paused.code).toBe(0);
    const first = await child.result;
    expect(first.code).toBe(3);
    expect(parseJsonOutput<Summary>(first.stdout).jobs[0]!.state).toBe('paused');
    const status = parseJsonOutput<{ jobs: JobView[] }>((await hoist('status', '--json')).stdout);
    expect(status.jobs[0]!.state).toBe('paused');
    const heldAtPause = emulator.sessions()[0]!.receivedBytes;
    expect(heldAtPause).toBeLessThan(size);
    emulator.setThroughput(undefined);
    const resumed = await hoist('resume', String(status.jobs[0]!.id), '--json');
    expect(resumed.code).toBe(0);
    expect(emulator.sessions()).toHaveLength(1);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
    expect(emulator.sessions()[0]!.bytesReceivedTotal - size).toBeLessThanOrEqual(FRAGMENT);
  });

  it('Ctrl-C pauses cleanly and re-running the same command resumes', async () => {
    await addDest();
    const file = join(work, 'sigint.bin');
    writeRandomFile(file, 12 * MiB);
    emulator.setThroughput(4 * MiB);
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od']);
    await waitFor(() => (emulator.sessions()[0]?.receivedBytes ?? 0) >= FRAGMENT, 30_000, 'a fragment');
    child.kill('SIGINT');
    const interrupted = await child.result;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toMatch(/Paused/);
    expect(interrupted.stderr).not.toMatch(/\bat .+\.js:\d+/);
    emulator.setThroughput(undefined);
    const again = await hoist('upload', file, '--dest', 'od', '--json');
    expect(again.code).toBe(0);
    expect(emulator.sessions()).toHaveLength(1);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
  });

  it('re-running an upload that finished sends nothing for unchanged files; a changed file or --again uploads anew', async () => {
    await addDest();
    const same = join(work, 'same.bin');
    const changed = join(work, 'changed.bin');
    writeRandomFile(same, 2 * MiB);
    writeRandomFile(changed, 1 * MiB);
    const first = await hoist('upload', same, changed, '--dest', 'od', '--json');
    expect(first.code, first.stderr).toBe(0);
    const firstIds = parseJsonOutput<Summary>(first.stdout).jobs.map((j) => j.id);
    appendFileSync(changed, 'more');
    const requestsBefore = emulator.requests.length;
    const second = await hoist('upload', same, changed, '--dest', 'od');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/same\.bin: already uploaded, unchanged since/);
    expect(second.stdout).toMatch(/changed\.bin: uploaded and verified/);
    const sessionsFor = (name: string) => emulator.sessions().filter((s) => s.path.endsWith(name)).length;
    expect(sessionsFor('same.bin')).toBe(1);
    expect(sessionsFor('changed.bin')).toBe(2);
    expect(emulator.requests.slice(requestsBefore).filter((r) => r.path.includes('same.bin'))).toEqual([]);
    const status = parseJsonOutput<{ jobs: JobView[] }>((await hoist('status', '--json')).stdout);
    expect(status.jobs.filter((j) => j.remotePath === '/same.bin').map((j) => j.id)).toEqual([firstIds[0]]);
    const again = await hoist('upload', same, '--dest', 'od', '--again', '--json');
    expect(again.code).toBe(0);
    expect(sessionsFor('same.bin')).toBe(2);
    expect(emulator.items().find((i) => i.path === '/same.bin')?.sha256).toBe(await sha256File(same));
  });

  it('an expired session is replaced by a new one and the upload completes', async () => {
    await addDest();
    const file = join(work, 'expire.bin');
    writeRandomFile(file, 10 * MiB);
    emulator.setThroughput(4 * MiB);
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od']);
    await waitFor(() => (emulator.sessions()[0]?.receivedBytes ?? 0) >= FRAGMENT, 30_000, 'a fragment');
    child.kill('SIGKILL');
    await child.result;
    emulator.expireAllSessions();
    emulator.setThroughput(undefined);
    const run = await hoist('upload', file, '--dest', 'od', '--json');
    expect(run.code).toBe(0);
    const job = parseJsonOutput<Summary>(run.stdout).jobs[0]!;
    expect(job.restartReason).toMatch(/expired/);
    expect(emulator.sessions()).toHaveLength(2);
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
  });

  it('a file modified between runs goes up on a fresh session with the new content, and says why', async () => {
    await addDest();
    const file = join(work, 'changing.bin');
    writeRandomFile(file, 10 * MiB);
    emulator.setThroughput(4 * MiB);
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od']);
    await waitFor(() => (emulator.sessions()[0]?.receivedBytes ?? 0) >= FRAGMENT, 30_000, 'a fragment');
    child.kill('SIGKILL');
    await child.result;
    appendFileSync(file, 'new tail bytes');
    emulator.setThroughput(undefined);
    const run = await hoist('upload', file, '--dest', 'od', '--json');
    expect(run.code).toBe(0);
    const job = parseJsonOutput<Summary>(run.stdout).jobs[0]!;
    expect(job.restartReason).toMatch(/changed size/);
    const sessions = emulator.sessions();
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.state).toBe('cancelled'); // the old session was discarded, never completed
    expect(emulator.items()[0]!.sha256).toBe(await sha256File(file));
  });

  it('gives clear errors for a missing file, an unknown destination and a bad token, with no stack trace', async () => {
    await addDest();
    const missing = await hoist('upload', join(work, 'nope.bin'), '--dest', 'od');
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(/does not exist/);
    const unknown = await hoist('upload', join(work, 'nope.bin'), '--dest', 'zz');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No destination named "zz"/);
    writeFileSync(join(work, 'a.bin'), 'abc');
    emulator.setAccessToken('another-token');
    const denied = await hoist('upload', join(work, 'a.bin'), '--dest', 'od');
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/failed – .*401/);
    for (const r of [missing, unknown, denied]) expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    expect(denied.stdout + denied.stderr).not.toContain('graph-test-token');
  });

  it('refuses an unwritable data folder with a clear message', async () => {
    const locked = join(work, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = await runCli(['--data-dir', join(locked, 'data'), 'dest', 'list'], asNobody);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot write its data folder/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('cancel discards the server session; the log names uploads and parts but never the token', async () => {
    await addDest();
    const file = join(work, 'cancel.bin');
    writeRandomFile(file, 12 * MiB);
    emulator.setThroughput(MiB); // slow enough that two CLI round trips land mid-upload
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'od', '--json']);
    await waitFor(() => (emulator.sessions()[0]?.receivedBytes ?? 0) >= FRAGMENT, 30_000, 'a fragment');
    const status = parseJsonOutput<{ jobs: JobView[] }>((await hoist('status', '--json')).stdout);
    const cancelled = await hoist('cancel', String(status.jobs[0]!.id));
    expect(cancelled.code).toBe(0);
    const first = await child.result;
    expect(parseJsonOutput<Summary>(first.stdout).jobs[0]!.state).toBe('cancelled');
    expect(emulator.sessions()[0]!.state).toBe('cancelled');
    expect(emulator.items()).toEqual([]);
    const log = readFileSync(join(dataDir, 'logs', 'hoist.log'), 'utf8');
    expect(log).toMatch(/"type":"part-acked","jobId":1,"partIndex":0/);
    expect(log).not.toContain('graph-test-token');
    expect(log).not.toContain('/up/');
  });

  it('uploads into another drive with --drive-id and reads the token from --token-env at upload time', async () => {
    const added = await hoist('dest', 'add', 'lib', '--provider', 'graph', '--endpoint', emulator.graphBaseUrl, '--drive-id', 'b!team-drive', '--token-env', 'HOIST_TEST_TOKEN');
    expect(added.code).toBe(0);
    expect(readFileSync(join(dataDir, 'hoist.db')).includes('graph-test-token')).toBe(false);
    const file = join(work, 'team.bin');
    writeRandomFile(file, 3 * MiB);
    const withoutToken = await hoist('upload', file, '--dest', 'lib');
    expect(withoutToken.code).toBe(1);
    expect(withoutToken.stdout).toMatch(/HOIST_TEST_TOKEN is empty or unset/);
    const run = await runCli(['--data-dir', dataDir, 'upload', file, '--dest', 'lib', '--json'], { env: { ...process.env, HOIST_TEST_TOKEN: 'graph-test-token', HOIST_RETRY_BASE_MS: '20' } });
    expect(run.code).toBe(0);
    const item = emulator.items()[0]!;
    expect(item.driveId).toBe('b!team-drive');
    expect(item.sha256).toBe(await sha256File(file));
    expect(emulator.requests.find((r) => r.op === 'graph.create')!.path).toBe('/v1.0/drives/b!team-drive/root:/team.bin:/createUploadSession');
  });

  it('rejects bad destination settings with clear messages', async () => {
    const bad = await hoist('dest', 'add', 'x', '--provider', 'graph', '--token', 't', '--fragment-size', '4194304');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/multiple of 327,680/);
    const insecure = await hoist('dest', 'add', 'y', '--provider', 'graph', '--token', 't', '--endpoint', 'http://graph.example.com/v1.0');
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toMatch(/must use https/);
  });
});
