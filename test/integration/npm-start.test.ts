import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { electronPlatformPath, findElectronBinary, missingBinaryMessage, type BinaryProbe } from '../../main/app/electron/launch-check.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs `npm start` as a user would, with an environment override; resolves with its exit code and output. */
function npmStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  const startedAt = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr, elapsedMs: Date.now() - startedAt }));
  });
}

describe('npm start without the Electron binary', () => {
  it('exits non-zero at once, naming npx hoist serve, before building anything (simulated by HOIST_ELECTRON_BINARY)', async () => {
    const missing = '/nonexistent/hoist-test/electron';
    const run = await npmStart({ HOIST_ELECTRON_BINARY: missing });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('cannot start the desktop app: the Electron binary is missing');
    expect(run.stderr).toContain(`Expected at: ${missing}`);
    expect(run.stderr).toContain('npx hoist serve --open');
    // No stack trace, and the slow build never ran (its tsc/vite output would be here).
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout + run.stderr).not.toMatch(/vite|tsc -b/);
    expect(run.elapsedMs).toBeLessThan(30_000);
  });
});

describe('finding the Electron binary without require("electron") (which would download it)', () => {
  const probe = (files: Record<string, string | true>): BinaryProbe => ({
    exists: (path) => path in files,
    readText: (path) => (typeof files[path] === 'string' ? (files[path] as string) : undefined),
  });
  const pkg = '/repo/node_modules/electron';

  it('uses the path its install script recorded, under dist/', () => {
    const files = { [`${pkg}/package.json`]: true, [`${pkg}/path.txt`]: 'electron', [`${pkg}/dist/electron`]: true } as const;
    expect(findElectronBinary(pkg, {}, 'linux', probe(files))).toEqual({ kind: 'found', path: `${pkg}/dist/electron` });
  });

  it('reports the download that never ran, with where the binary was expected', () => {
    const binary = findElectronBinary(pkg, {}, 'darwin', probe({ [`${pkg}/package.json`]: true }));
    expect(binary).toMatchObject({ kind: 'missing', path: `${pkg}/dist/${electronPlatformPath('darwin')}` });
    if (binary.kind !== 'missing') throw new Error('unreachable');
    expect(binary.reason).toMatch(/download never ran/);
    expect(missingBinaryMessage(binary)).toContain('npx hoist serve --open');
    expect(findElectronBinary(pkg, {}, 'win32', probe({}))).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/not installed/) });
  });

  it('honours HOIST_ELECTRON_BINARY and Electron\'s own ELECTRON_OVERRIDE_DIST_PATH', () => {
    expect(findElectronBinary(pkg, { HOIST_ELECTRON_BINARY: '/usr/lib/electron45/electron' }, 'linux', probe({ '/usr/lib/electron45/electron': true }))).toEqual({ kind: 'found', path: '/usr/lib/electron45/electron' });
    expect(findElectronBinary(pkg, { HOIST_ELECTRON_BINARY: '/nope' }, 'linux', probe({}))).toMatchObject({ kind: 'missing', path: '/nope' });
    expect(findElectronBinary(pkg, { ELECTRON_OVERRIDE_DIST_PATH: '/opt/e' }, 'win32', probe({ '/opt/e/electron.exe': true }))).toEqual({ kind: 'found', path: '/opt/e/electron.exe' });
  });
});
