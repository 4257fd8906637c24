import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeHarness, type Harness } from '../support/engine-harness.js';
import { removeDir, runCli, sha256File, startCli, tempDir, waitFor, writeRandomFile } from '../support/cli.js';
import type { ConformanceFixture, ServerUnderTest } from './fixture.js';
import { FIXTURES } from './fixtures.js';

const MiB = 1024 * 1024;

describe.each(FIXTURES)('conformance: $name', (fixture: ConformanceFixture) => {
  let work: string;
  let server: ServerUnderTest;
  let h: Harness;

  beforeEach(async () => {
    work = tempDir(`conf-${fixture.name}`);
    mkdirSync(join(work, 'server'));
    mkdirSync(join(work, 'engine'));
    server = await fixture.start(join(work, 'server'));
    h = makeHarness(join(work, 'engine'), server.protocol(), { maxAttempts: 6 });
  });
  afterEach(async () => {
    h.store.close();
    await server.close();
    removeDir(work);
  });

  const upload = async (path: string, remotePath: string) => {
    const id = await h.addJob(path, remotePath);
    const [outcome] = await h.scheduler.run([id]);
    return { id, outcome: outcome! };
  };

  /** Starts an upload and pauses it once the server holds at least `bytes`; resolves with the job id. */
  const uploadPartway = async (path: string, remotePath: string, bytes: number) => {
    // About two parts a second: slow enough to pause mid-file, fast enough for 8 MiB parts.
    server.setThroughput(Math.max(2 * MiB, 2 * server.partBytes));
    const id = await h.addJob(path, remotePath);
    const run = h.scheduler.run([id]);
    await waitFor(() => server.storedBytes() >= bytes, 30_000, `${bytes} bytes stored`);
    h.scheduler.pause([id]);
    expect((await run)[0]!.state).toBe('paused');
    server.setThroughput(undefined);
    h.store.jobs.resume([id], Date.now());
    return id;
  };

  it.each([
    ['empty', 0],
    ['1 byte', 1],
    ['smaller than a part', 1000],
    ['exactly one part', -1],
    ['several parts and an odd tail', -2],
  ])('uploads a file: %s', async (_label, size) => {
    const bytes = size === -1 ? server.partBytes : size === -2 ? 3 * server.partBytes + 4321 : size;
    const file = join(work, 'f.bin');
    writeRandomFile(file, bytes);
    const { outcome } = await upload(file, '/f.bin');
    expect(outcome.state).toBe('done');
    expect(await server.committedSha256('/f.bin')).toBe(await sha256File(file));
  });

  it('resumes after kill -9 of the CLI on the same session, re-sending only parts in flight', async () => {
    const dataDir = join(work, 'cli');
    const added = await runCli(['--data-dir', dataDir, 'dest', 'add', 'conf', ...server.destAddArgs()]);
    expect(added.stderr).toBe('');
    const file = join(work, 'kill.bin');
    const size = 8 * server.partBytes + 99;
    writeRandomFile(file, size);
    server.setThroughput(Math.max(MiB, server.partBytes));
    const child = startCli(['--data-dir', dataDir, 'upload', file, '--dest', 'conf', '--json']);
    await waitFor(() => server.storedBytes() >= 2 * server.partBytes, 60_000, 'two parts stored');
    child.kill('SIGKILL');
    await child.result;
    server.setThroughput(undefined);
    const again = await runCli(['--data-dir', dataDir, 'upload', file, '--dest', 'conf', '--json']);
    expect(again.code).toBe(0);
    expect(server.sessionsCreated()).toBe(1);
    expect(await server.committedSha256('/kill.bin')).toBe(await sha256File(file));
    expect(server.bytesReceived() - size).toBeLessThanOrEqual(server.resendableParts * server.partBytes);
  });

  it('re-sends a part the server lost', async (ctx) => {
    const file = join(work, 'lost.bin');
    writeRandomFile(file, 6 * server.partBytes + 7);
    const id = await uploadPartway(file, '/lost.bin', 2 * server.partBytes);
    if (!(await server.losePart())) ctx.skip(`${fixture.name} is one sequential writer: a server can lose only its tail, which resume re-asks anyway`);
    const [outcome] = await h.scheduler.run([id]);
    expect(outcome!.state).toBe('done');
    expect(await server.committedSha256('/lost.bin')).toBe(await sha256File(file));
  });

  it('replaces an expired session and completes', async () => {
    const file = join(work, 'exp.bin');
    writeRandomFile(file, 5 * server.partBytes + 3);
    const id = await uploadPartway(file, '/exp.bin', server.partBytes);
    await server.expireSessions();
    const [outcome] = await h.scheduler.run([id]);
    expect(outcome!.state).toBe('done');
    expect(server.sessionsCreated()).toBe(2);
    expect(await server.committedSha256('/exp.bin')).toBe(await sha256File(file));
  });

  it.each([
    ['a 429 storm', 'rate-limit-storm', 6],
    ['5xx errors', 'server-error', 3],
    ['connection resets mid-part', 'reset-mid-part', 2],
    ['a malformed reply', 'malformed-reply', 1],
  ] as const)('rides out %s', async (_label, fault, times) => {
    const file = join(work, 'fault.bin');
    writeRandomFile(file, 4 * server.partBytes + 11);
    server.inject(fault, 2, times);
    const { outcome } = await upload(file, '/fault.bin');
    expect(outcome.state).toBe('done');
    expect(await server.committedSha256('/fault.bin')).toBe(await sha256File(file));
    // Parts in flight together share one wait; every wait after a 429 lasts at least its Retry-After.
    if (fault === 'rate-limit-storm') {
      expect(h.delaysMs.length).toBeGreaterThan(0);
      expect(h.delaysMs.every((d) => d >= 1000)).toBe(true);
    }
  });

  it('uploads the new content on a fresh session when the file changed between runs, and says why', async () => {
    const file = join(work, 'chg.bin');
    writeRandomFile(file, 5 * server.partBytes);
    const id = await uploadPartway(file, '/chg.bin', server.partBytes);
    appendFileSync(file, 'changed');
    const [outcome] = await h.scheduler.run([id]);
    expect(outcome!.state).toBe('done');
    expect(server.sessionsCreated()).toBe(2);
    expect(await server.committedSha256('/chg.bin')).toBe(await sha256File(file));
    expect(h.store.jobs.get(id)!.restartReason).toMatch(/changed size/);
  });

  it('fails clearly, without a stack trace, when the server keeps failing', async () => {
    const file = join(work, 'dead.bin');
    writeRandomFile(file, 3 * server.partBytes + 1);
    server.inject('server-error', 1, Infinity);
    const { id, outcome } = await upload(file, '/dead.bin');
    expect(outcome.state).toBe('failed');
    expect(outcome.message).toMatch(/gave up after \d+ attempts without progress/);
    expect(outcome.message).not.toMatch(/\n\s+at /);
    expect(h.store.jobs.get(id)!.errorCode).toBe('retries-exhausted');
  });
});
