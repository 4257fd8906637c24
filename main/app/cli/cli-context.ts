import { accessSync, constants, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomFloat } from './random.js';
import { HoistError } from '../../domain/hoist-error.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../domain/backoff.js';
import { diskFileSource } from '../../engine/file-source.js';
import { Scheduler } from '../../engine/scheduler.js';
import type { EngineEventSink } from '../../engine/engine-events.js';
import { Store } from '../../store/store.js';
import { defaultDataDir } from '../data-dir.js';
import { protocolFor } from '../protocol-factory.js';
import { SecretStore } from '../secret-store.js';
import type { KeychainPort } from '../keychain/keychain-port.js';
import { osKeychain } from '../keychain/os-keychain.js';
import { sleepUnlessAborted } from '../../protocols/abortable-sleep.js';
import { probeConnect } from '../../protocols/network-probe.js';
import { ensureLocalDestination } from '../receive/local-default.js';
import { credentialsFor, usesSignIn } from '../credentials/credentials-registry.js';
import { useProxyEnv } from '../../protocols/proxy-routes.js';
import { currentProcessIdentity, isProcessAlive } from '../os/process-identity.js';

export interface CliContext {
  dataDir: string;
  store: Store;
  secrets: SecretStore;
  env: NodeJS.ProcessEnv;
}

/**
 * Opens the data folder (creating it) and the database, with clear errors when either is not writable. The CLI and the
 * desktop app both open it here, so both keep secrets in the same place (the OS keychain where one answers).
 * `nativeBinding`: the desktop app's better-sqlite3 addon built for Electron (see main/app/electron/native-binding.ts).
 */
export function openContext(
  dataDirOption: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: { keychain?: KeychainPort; nativeBinding?: string } = {},
): CliContext {
  const dataDir = resolve(dataDirOption ?? defaultDataDir(env));
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    throw new HoistError(
      'data-dir-unwritable',
      `Hoist cannot write its data folder ${dataDir} (${(error as { code?: string }).code ?? (error as Error).message}). ` +
        'Choose another with --data-dir or HOIST_DATA_DIR.',
    );
  }
  const store = Store.open(join(dataDir, 'hoist.db'), { nativeBinding: options.nativeBinding });
  ensureLocalDestination(store);
  // Every provider's requests, sign-in and refresh included, honour this environment's HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
  useProxyEnv(env);
  return { dataDir, store, secrets: new SecretStore(dataDir, undefined, 'keychain' in options ? options.keychain : osKeychain(env)), env };
}

export function makeScheduler(ctx: CliContext, events: EngineEventSink, maxConcurrentFiles?: number): Scheduler {
  return new Scheduler({
    store: ctx.store,
    files: diskFileSource,
    protocolFor: async (job) => {
      const dest = ctx.store.destinations.byId(job.destinationId);
      if (!dest) throw new HoistError('not-found', `The destination of upload ${job.id} was removed.`);
      return await protocolFor(dest, ctx.secrets, ctx.env);
    },
    nowMs: Date.now,
    rand: randomFloat,
    sleep: sleepUnlessAborted,
    events,
    holder: currentProcessIdentity(),
    isHolderAlive: isProcessAlive,
    maxConcurrentFiles,
    retryPolicy: retryPolicyFrom(ctx.env),
    // An outage is told from a failed request by whether the host answers a fresh connection within 3 s.
    probe: (target, signal) => probeConnect(target, 3_000, signal),
    refreshCredentials: async (job) => {
      const dest = ctx.store.destinations.byId(job.destinationId);
      return dest !== undefined && usesSignIn(dest) ? credentialsFor(dest, ctx.secrets, ctx.env).forceRefresh() : false;
    },
  });
}

/** HOIST_RETRY_BASE_MS / HOIST_RETRY_MAX_MS / HOIST_RETRY_MAX_ATTEMPTS tune the backoff (flaky links, tests). */
export function retryPolicyFrom(env: NodeJS.ProcessEnv): RetryPolicy {
  const num = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return {
    ...DEFAULT_RETRY_POLICY,
    baseDelayMs: num('HOIST_RETRY_BASE_MS', DEFAULT_RETRY_POLICY.baseDelayMs),
    maxDelayMs: num('HOIST_RETRY_MAX_MS', DEFAULT_RETRY_POLICY.maxDelayMs),
    maxAttempts: num('HOIST_RETRY_MAX_ATTEMPTS', DEFAULT_RETRY_POLICY.maxAttempts),
  };
}
