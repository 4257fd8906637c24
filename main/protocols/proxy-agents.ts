import type { Agent as HttpAgent, ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { UploadFailure } from '../domain/failure.js';
import { proxyRefused, proxyUnreachable } from './proxy-failures.js';

/*
 * Loaded only when needed (proxy-routes.ts imports it once a request is to go through a proxy; the S3 adapter, itself
 * loaded on demand, imports it): the agent libraries cost ~5 ms of start-up, which every command would otherwise pay.
 */

const KEEP_ALIVE = { keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' as const };

/**
 * A proxy that accepts the TCP connection but never answers CONNECT would hold a request forever: the request's own
 * idle timeout starts only once it has a socket, which the agent hands over after the proxy answered.
 */
const PROXY_CONNECT_TIMEOUT_MS = 30_000;

type ConnectOpts = Parameters<HttpsProxyAgent<string>['connect']>[1];

/** The agents of one proxy, shared by every request and every adapter that uses it (their sockets are kept alive). */
export interface ProxyAgentPair {
  /** Shown in messages: host and port only, never the user or password the URL may carry. */
  host: string;
  /** http targets: absolute-URI requests to the proxy (Proxy-Authorization on each request). */
  http: HttpAgent;
  /** https targets: a CONNECT tunnel, then TLS to the server through it. */
  https: HttpAgent;
}

/** One pair per proxy URL; the distinct proxy URLs of a process are a handful (one environment, maybe a test's). */
const pairs = new Map<string, ProxyAgentPair>();

export function proxyAgentsFor(proxy: URL): ProxyAgentPair {
  let pair = pairs.get(proxy.href);
  if (!pair) {
    const host = proxy.host;
    pair = { host, http: new ForwardingAgent(proxy, host), https: new TunnelAgent(proxy, host) };
    pairs.set(proxy.href, pair);
  }
  return pair;
}

/**
 * CONNECT through the proxy. https-proxy-agent hands a refused CONNECT (407, 5xx) to the request as if the server had
 * answered; here it becomes a classified failure that names the proxy, and the request never reaches the server.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(proxy: URL, private readonly proxyHost: string) {
    super(proxy, KEEP_ALIVE);
  }

  override async connect(req: ClientRequest, opts: ConnectOpts): Promise<Socket> {
    let status = 200;
    const onAnswer = (answer: { statusCode?: number }): void => {
      status = answer.statusCode ?? 0;
    };
    req.on('proxyConnect', onAnswer);
    try {
      const socket = await withDeadline(req, this.proxyHost, super.connect(req, opts));
      if (status !== 200) {
        socket.destroy();
        throw proxyRefused(this.proxyHost, status);
      }
      return socket;
    } catch (error) {
      throw asProxyFailure(error, this.proxyHost);
    } finally {
      req.off('proxyConnect', onAnswer);
    }
  }
}

/** Plain http through the proxy; its 407 arrives as the reply, which `httpRequest` turns into the same failure. */
class ForwardingAgent extends HttpProxyAgent<string> {
  constructor(proxy: URL, private readonly proxyHost: string) {
    super(proxy, KEEP_ALIVE);
  }

  override async connect(req: Parameters<HttpProxyAgent<string>['connect']>[0], opts: ConnectOpts): Promise<Socket> {
    try {
      return await withDeadline(req, this.proxyHost, super.connect(req, opts));
    } catch (error) {
      throw asProxyFailure(error, this.proxyHost);
    }
  }
}

function withDeadline(req: ClientRequest, proxyHost: string, connecting: Promise<Socket>): Promise<Socket> {
  const timer = setTimeout(() => req.destroy(proxyUnreachable(proxyHost, 'ETIMEDOUT')), PROXY_CONNECT_TIMEOUT_MS);
  return connecting.finally(() => clearTimeout(timer));
}

function asProxyFailure(error: unknown, proxyHost: string): UploadFailure {
  if (error instanceof UploadFailure) return error;
  return proxyUnreachable(proxyHost, (error as { code?: string }).code ?? (error as Error).message);
}
