/**
 * Parent side of graph-server.ts: starts the Graph emulator as a child process and talks to its control server.
 * Every call is bounded by a timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GraphActivity, GraphItemInfo, GraphSessionInfo } from '../emulators/graph-emulator.js';
import type { Cleanup } from './cleanup.js';
import { cpuSecondsOf } from './measure.js';

const SERVER_ENTRY = fileURLToPath(new URL('./graph-server.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const CONTROL_TIMEOUT_MS = 10_000;

export interface GraphServerProcess {
  pid: number;
  /** http://127.0.0.1:PORT (uploadUrls and the /_bench/sink route live here). */
  url: string;
  /** http://127.0.0.1:PORT/v1.0 */
  graphBaseUrl: string;
  storageDir: string;
  sessions(): Promise<GraphSessionInfo[]>;
  items(): Promise<GraphItemInfo[]>;
  setThroughput(bytesPerSec: number | undefined): Promise<void>;
  /** Server-side timing: first request to last reply since resetActivity(). */
  activity(): Promise<GraphActivity>;
  resetActivity(): Promise<void>;
  /** Holds every fragment PUT's reply this long after its body (0: prompt replies). */
  setReplyDelay(ms: number): Promise<void>;
  /** Every fragment PUT so far, in arrival order. */
  puts(): Promise<GraphPut[]>;
  /** CPU seconds the emulator process has used so far. */
  cpuSeconds(): number;
  close(): Promise<void>;
}

export interface GraphPut {
  contentRange: string | null;
  /** 0 when the client went away before the reply. */
  status: number;
  bodyBytes: number;
}

/** The bytes a PUT declared (its Content-Range), 0 when it declared none. */
export function declaredBytes(put: GraphPut): number {
  const m = put.contentRange ? /bytes (\d+)-(\d+)\//.exec(put.contentRange) : null;
  return m ? Number(m[2]) - Number(m[1]) + 1 : 0;
}

export async function startGraphServer(opts: { storageDir: string; throughputBytesPerSec?: number; cleanup: Cleanup }): Promise<GraphServerProcess> {
  const args = [SERVER_ENTRY, opts.storageDir];
  if (opts.throughputBytesPerSec) args.push(String(opts.throughputBytesPerSec));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  opts.cleanup.trackChild(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  const hello = await firstLine(child, START_TIMEOUT_MS).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`Graph emulator process did not start: ${error.message}\n${stderr}`);
  });
  const info = JSON.parse(hello) as { url: string; graphBaseUrl: string; controlUrl: string; pid: number };
  // Keep draining stdout so a chatty emulator can never block on a full pipe.
  child.stdout?.on('data', () => {});

  const control = async <T>(method: 'GET' | 'POST', path: string): Promise<T> => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Graph emulator process is gone (${child.exitCode ?? child.signalCode})\n${stderr}`);
    const res = await fetch(`${info.controlUrl}${path}`, { method, signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`emulator control ${method} ${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
    return body;
  };

  return {
    pid: info.pid,
    url: info.url,
    graphBaseUrl: info.graphBaseUrl,
    storageDir: opts.storageDir,
    sessions: () => control<GraphSessionInfo[]>('GET', '/sessions'),
    items: () => control<GraphItemInfo[]>('GET', '/items'),
    setThroughput: async (bps) => {
      await control('POST', `/throughput?bps=${bps ?? 0}`);
    },
    activity: () => control<GraphActivity>('GET', '/activity'),
    resetActivity: async () => {
      await control('POST', '/activity/reset');
    },
    setReplyDelay: async (ms) => {
      await control('POST', `/reply-delay?ms=${ms}`);
    },
    puts: () => control<GraphPut[]>('GET', '/puts'),
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
