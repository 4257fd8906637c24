/**
 * Parent side of peer-server.ts: starts one benchmark server (tus receiver, S3, Box or Apideck emulator) as a child
 * process and talks to its control server. Every call is bounded by a timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { cpuSecondsOf } from './measure.js';

const SERVER_ENTRY = fileURLToPath(new URL('./peer-server.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const CONTROL_TIMEOUT_MS = 15_000;

export type PeerServerKind = 'tus' | 's3' | 'box' | 'apideck';

export interface TusServerInfo {
  /** Hoist's receiver, direct: http://127.0.0.1:PORT/files/ */
  receiverUrl: string;
  /** The same receiver behind the counting proxy. */
  proxyUrl: string;
  receiveDir: string;
  stagingDir: string;
}
export interface S3ServerInfo {
  endpoint: string;
  bucket: string;
  /** s3rver's root directory: objects are at <dataDir>/<bucket>/<key>._S3rver_object */
  dataDir: string;
}
export interface BoxServerInfo {
  url: string;
  uploadBaseUrl: string;
  apiBaseUrl: string;
  sinkUrl: string;
}
export interface ApideckServerInfo {
  url: string;
  sinkUrl: string;
}

export interface PeerServerProcess<I> {
  pid: number;
  info: I;
  storageDir: string;
  control<T>(method: 'GET' | 'POST', path: string): Promise<T>;
  /** CPU seconds the server process has used so far. */
  cpuSeconds(): number;
  close(): Promise<void>;
}

export async function startPeerServer<I>(
  kind: PeerServerKind,
  storageDir: string,
  opts: { cleanup: Cleanup; env?: NodeJS.ProcessEnv },
): Promise<PeerServerProcess<I>> {
  const child = spawn(process.execPath, [SERVER_ENTRY, kind, storageDir], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
  opts.cleanup.trackChild(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  const hello = await firstLine(child, START_TIMEOUT_MS).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${kind} server process did not start: ${error.message}\n${stderr}`);
  });
  const info = JSON.parse(hello) as I & { controlUrl: string; pid: number };
  // Keep draining stdout so a chatty server can never block on a full pipe.
  child.stdout?.on('data', () => {});

  const control = async <T>(method: 'GET' | 'POST', path: string): Promise<T> => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${kind} server process is gone (${child.exitCode ?? child.signalCode})\n${stderr}`);
    const res = await fetch(`${info.controlUrl}${path}`, { method, signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`${kind} server control ${method} ${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
    return body;
  };

  return {
    pid: info.pid,
    info,
    storageDir,
    control,
    cpuSeconds: () => cpuSecondsOf(info.pid) ?? Number.NaN,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`no startup line within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) finish(undefined, buffered.slice(0, nl));
    };
    const onExit = (code: number | null, signal: string | null): void => finish(new Error(`exited early (${signal ?? `code ${code}`})`));
    const finish = (error?: Error, line?: string): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(line!);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
