import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cliEnv, runCli } from '../support/cli.js';

export interface ServeProcess {
  child: ChildProcess;
  /** The window's address, with its token. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  token: string;
  stderr: () => string;
  /** SIGTERM and wait for the exit (bounded). */
  stop(): Promise<number | null>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** Starts `hoist serve` as a child process (as a user would) and waits for the address it prints. */
export async function startServe(dataDir: string, env: Record<string, string>, port = 0): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'serve', '--port', String(port)], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hoist serve printed no address within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hoist serve exited with ${code}: ${stderr}`));
    });
  });
  const parsed = new URL(url);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    token: parsed.hash.replace('#token=', ''),
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `hoist-e2e-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** `hoist …` against a data folder; throws with its output when it fails. */
export async function hoist(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await runCli(['--data-dir', dataDir, ...args], { env: cliEnv(env) });
  if (result.code !== 0) throw new Error(`hoist ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}
