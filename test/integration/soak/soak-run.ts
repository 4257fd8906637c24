import type { FaultProxy } from '../../emulators/fault-proxy.js';
import { startCli, waitFor, type CliResult } from '../../support/cli.js';

/** A network outage during a run: once the proxy saw `atBytes` body bytes, it goes down for `holdMs`. */
export interface Outage {
  atBytes: number;
  holdMs: number;
}

export interface KilledRun {
  result: CliResult;
  killedAtMs: number;
  /** When the outage began and ended (ms since epoch), for runs that had one. */
  downAtMs?: number;
  upAtMs?: number;
}

/**
 * Runs the CLI and SIGKILLs it once the proxy has seen `killAtBytes` request body bytes in all (re-sends count: they
 * are bytes on the wire), after an optional outage. Fails if the CLI ends first or nothing moves for `timeoutMs`.
 */
export async function runAndKill(args: string[], proxy: FaultProxy, killAtBytes: number, timeoutMs: number, outage?: Outage): Promise<KilledRun> {
  const child = startCli(args);
  let ended: CliResult | undefined;
  void child.result.then((r) => (ended = r));
  const reach = async (bytes: number, what: string) => {
    await waitFor(() => ended !== undefined || proxy.bodyBytesTotal() >= bytes, timeoutMs, what);
    if (ended) throw new Error(`hoist ended (code ${ended.code}) before ${what}:\n${ended.stdout}\n${ended.stderr}`);
  };
  const run: Partial<KilledRun> = {};
  let killedAtMs = 0;
  try {
    if (outage) {
      await reach(outage.atBytes, `${outage.atBytes} bytes through the proxy (outage point)`);
      run.downAtMs = Date.now();
      await proxy.networkDown();
      // The one bare sleep: the outage itself.
      await new Promise((r) => setTimeout(r, outage.holdMs));
      run.upAtMs = Date.now();
      await proxy.networkUp();
    }
    await reach(killAtBytes, `${killAtBytes} bytes through the proxy (kill point)`);
  } finally {
    killedAtMs = Date.now();
    child.kill('SIGKILL');
  }
  return { ...run, killedAtMs, result: await child.result };
}

/** Runs the CLI to its end, SIGKILLing it (and failing) if it takes longer than `timeoutMs`. */
export async function runToEnd(args: string[], timeoutMs: number): Promise<CliResult> {
  const child = startCli(args);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = await child.result;
  clearTimeout(timer);
  if (result.signal === 'SIGKILL') throw new Error(`hoist did not finish within ${timeoutMs} ms:\n${result.stdout}\n${result.stderr}`);
  return result;
}
