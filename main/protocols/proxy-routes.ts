import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { ProxyAgentPair } from './proxy-agents.js';
import { chooseProxy, hasAnyProxy, parseProxyUrl, readProxySettings, type ProxyEnv, type ProxySettings } from './proxy-choice.js';

export type { ProxyEnv } from './proxy-choice.js';

/*
 * Node's own HTTP client with keep-alive agents. (undici was used first; loading it cost 85–135 ms of start-up per
 * command, measured, against 5 ms for node:http, and every CLI run pays it before the first byte is sent.)
 */
const KEEP_ALIVE = { keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' as const };
const directHttpAgent = new HttpAgent(KEEP_ALIVE);
const directHttpsAgent = new HttpsAgent(KEEP_ALIVE);

/** How one request travels: the agent to give Node's client, and the proxy's host when there is one. */
export interface Route {
  agent: HttpAgent;
  /** host:port of the proxy, for messages (never its credentials); undefined when direct. */
  proxyHost: string | undefined;
}

let proxyAgents: Promise<typeof import('./proxy-agents.js')> | undefined;

/**
 * Which proxy each request takes, decided from one environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, read once; see
 * `chooseProxy` for the rules, loopback included). Agents are shared process-wide: the direct pair, and one pair per
 * proxy URL, so connections stay alive across requests, adapters and jobs.
 */
export class ProxyRoutes {
  /** Never through a proxy: Hoist's own receiver on this machine (the `local` destination). */
  static readonly direct = new ProxyRoutes(undefined);

  private constructor(private readonly settings: ProxySettings | undefined) {}

  static fromEnv(env: ProxyEnv): ProxyRoutes {
    return new ProxyRoutes(readProxySettings(env));
  }

  /** Whether any request could go through a proxy (the environment names one). */
  get hasProxy(): boolean {
    return this.settings !== undefined && hasAnyProxy(this.settings);
  }

  /** Rejects with a fatal UploadFailure when the variable that applies is not a usable proxy URL. */
  async routeFor(target: URL): Promise<Route> {
    const proxy = this.proxyFor(target);
    if (!proxy) return direct(target);
    proxyAgents ??= import('./proxy-agents.js');
    return viaProxy(target, (await proxyAgents).proxyAgentsFor(proxy));
  }

  /** The same decision, synchronous, for a caller that loaded proxy-agents.ts itself. Throws like `routeFor` rejects. */
  routeWith(target: URL, agentsFor: (proxy: URL) => ProxyAgentPair): Route {
    const proxy = this.proxyFor(target);
    return proxy ? viaProxy(target, agentsFor(proxy)) : direct(target);
  }

  /** host:port of the proxy a request to `url` goes through (for messages); undefined when direct or unusable. */
  proxyHostFor(url: string): string | undefined {
    try {
      return this.proxyFor(new URL(url))?.host;
    } catch {
      return undefined;
    }
  }

  private proxyFor(target: URL): URL | undefined {
    const variable = this.settings && chooseProxy(target, this.settings);
    return variable && parseProxyUrl(variable);
  }
}

function direct(target: URL): Route {
  return { agent: target.protocol === 'https:' ? directHttpsAgent : directHttpAgent, proxyHost: undefined };
}

function viaProxy(target: URL, pair: ProxyAgentPair): Route {
  return { agent: target.protocol === 'https:' ? pair.https : pair.http, proxyHost: pair.host };
}

let defaultRoutes: ProxyRoutes | undefined;

/** The routes of requests whose caller names none: the environment the composition root chose, else process.env. */
export function defaultProxyRoutes(): ProxyRoutes {
  defaultRoutes ??= ProxyRoutes.fromEnv(process.env);
  return defaultRoutes;
}

/** Called once by a composition root (the CLI passes its ctx.env). */
export function useProxyEnv(env: ProxyEnv): void {
  defaultRoutes = ProxyRoutes.fromEnv(env);
}
