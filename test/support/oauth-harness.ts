/**
 * Test-only composition of sign-in + upload, wired the way the CLI wires it (cli-context.ts makeScheduler +
 * protocol-factory.ts tokenResolver): one TokenManager per destination, protocols that ask it for tokens, and a
 * scheduler whose refreshCredentials hook forces a refresh on HTTP 401.
 */
import { join } from 'node:path';
import { openContext, type CliContext } from '../../main/app/cli/cli-context.js';
import { credentialsFor, usesSignIn } from '../../main/app/credentials/credentials-registry.js';
import type { OAuthTokenSource } from '../../main/app/credentials/oauth-token-source.js';
import type { EngineEvent } from '../../main/engine/engine-events.js';
import { diskFileSource } from '../../main/engine/file-source.js';
import { Scheduler } from '../../main/engine/scheduler.js';
import type { UploadProtocol } from '../../main/protocols/upload-protocol.js';
import type { DestinationRow, ProviderKind } from '../../main/store/destinations-repo.js';

export interface OAuthWorld {
  ctx: CliContext;
  events: EngineEvent[];
  /** How often the scheduler asked for fresh credentials after a 401. */
  refreshHookCalls: number;
  addDestination(name: string, provider: ProviderKind, settings: Record<string, unknown>, token: OAuthTokenSource): DestinationRow;
  addJob(dest: DestinationRow, localPath: string, remotePath: string): Promise<number>;
  scheduler(protocolFor: (dest: DestinationRow) => UploadProtocol): Scheduler;
}

export function makeOAuthWorld(dir: string, env: NodeJS.ProcessEnv = {}): OAuthWorld {
  const ctx = openContext(join(dir, 'data'), env);
  const world: OAuthWorld = {
    ctx,
    events: [],
    refreshHookCalls: 0,
    addDestination(name, provider, settings, token) {
      return ctx.store.destinations.add(name, provider, { ...settings, token }, Date.now());
    },
    async addJob(dest, localPath, remotePath) {
      const identity = await diskFileSource.identity(localPath);
      return ctx.store.jobs.create({ destinationId: dest.id, localPath, remotePath, ...identity }, Date.now()).id;
    },
    scheduler(protocolFor) {
      const destOf = (destinationId: number) => ctx.store.destinations.byId(destinationId)!;
      return new Scheduler({
        store: ctx.store,
        files: diskFileSource,
        protocolFor: (job) => protocolFor(destOf(job.destinationId)),
        nowMs: Date.now,
        rand: () => 0.5,
        sleep: fastSleep,
        events: (event) => world.events.push(event),
        holder: { pid: process.pid, startTime: null },
        isHolderAlive: () => false,
        pollIntervalMs: 50,
        retryPolicy: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 6, maxRateLimited: 20 },
        refreshCredentials: async (job) => {
          const dest = destOf(job.destinationId);
          if (!usesSignIn(dest)) return false;
          world.refreshHookCalls++;
          return credentialsFor(dest, ctx.secrets, ctx.env).forceRefresh();
        },
      });
    },
  };
  return world;
}

/** Waits at most 20 ms (never a real backoff) and rejects at once with the signal's reason when it aborts. */
export function fastSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, 20));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
