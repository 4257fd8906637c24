/**
 * Driving the built Hoist CLI (dist/cli/hoist.cjs, the launcher `bin` points at) as a measured child process, exactly as a user runs it.
 */
import { resolve } from 'node:path';
import type { JobView } from '../../preload/contract/views.js';
import type { Cleanup } from './cleanup.js';
import { measureChild, requireSuccess, startMeasuredChild, type ChildMeasurement, type MeasuredChild } from './measure.js';

export const HOIST_CLI = resolve(import.meta.dirname, '../../cli/hoist.cjs');

export interface UploadSummary {
  ok: boolean;
  jobs: JobView[];
}

/** The user's environment minus anything that would point Hoist at another data dir. Default retry policy. */
export function hoistEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.HOIST_DATA_DIR;
  delete env.HOIST_DEBUG;
  return env;
}

export function hoistArgs(dataDir: string, args: readonly string[]): string[] {
  return [HOIST_CLI, '--data-dir', dataDir, ...args];
}

export function startHoist(dataDir: string, args: readonly string[], opts: { timeoutMs: number; cleanup: Cleanup }): MeasuredChild {
  return startMeasuredChild(process.execPath, hoistArgs(dataDir, args), { env: hoistEnv(), ...opts });
}

export function runHoist(dataDir: string, args: readonly string[], opts: { timeoutMs: number; cleanup: Cleanup }): Promise<ChildMeasurement> {
  return measureChild(process.execPath, hoistArgs(dataDir, args), { env: hoistEnv(), ...opts });
}

/** `hoist dest add <name> --provider graph --endpoint <url> --token <token>`; throws unless it succeeds. */
export async function addGraphDestination(
  dataDir: string,
  opts: { name: string; endpoint: string; token: string; cleanup: Cleanup; extra?: string[] },
): Promise<void> {
  const args = ['dest', 'add', opts.name, '--provider', 'graph', '--endpoint', opts.endpoint, '--token', opts.token, ...(opts.extra ?? [])];
  requireSuccess('hoist dest add', await runHoist(dataDir, args, { timeoutMs: 60_000, cleanup: opts.cleanup }));
}

/** Parses the `--json` summary (last stdout line) of `hoist upload`/`resume`; throws when it is missing or malformed. */
export function parseUploadSummary(stdout: string): UploadSummary {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as UploadSummary;
    if (typeof parsed.ok !== 'boolean' || !Array.isArray(parsed.jobs)) throw new Error('unexpected shape');
    return parsed;
  } catch (error) {
    throw new Error(`hoist did not print a JSON summary (${(error as Error).message}): ${stdout.slice(-500)}`);
  }
}
