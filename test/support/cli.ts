import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/hoist.cjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Test env: fast retries so fault tests finish quickly, no inherited data dir. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOIST_RETRY_BASE_MS: '20', HOIST_RETRY_MAX_MS: '200', ...extra };
  delete env.HOIST_DATA_DIR;
  return env;
}

export function startCli(args: string[], opts: SpawnOptions = {}): ChildProcess & { result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return Object.assign(child, { result });
}

export function runCli(args: string[], opts: SpawnOptions = {}): Promise<CliResult> {
  return startCli(args, opts).result;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hoist-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes a file of random bytes in 1 MiB steps (memory stays flat for big files). */
export function writeRandomFile(path: string, sizeBytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < sizeBytes; ) {
      const n = Math.min(1024 * 1024, sizeBytes - written);
      writeSync(fd, randomBytes(n));
      written += n;
    }
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Polls `check` every 10 ms until it returns true, at most `timeoutMs`. Bounded by design. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function parseJsonOutput<T>(stdout: string): T {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}
