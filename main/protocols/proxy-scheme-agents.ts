import { Agent as HttpAgent, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIPv6 } from 'node:net';
import { proxyAgentsFor } from './proxy-agents.js';
import type { ProxyRoutes } from './proxy-routes.js';

export interface SchemeAgents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

const byRoutes = new WeakMap<ProxyRoutes, SchemeAgents>();
/** What a client reads off the agent it was given (the SDK sets TCP keep-alive on each socket from it). */
const OUTER = { keepAlive: true, keepAliveMsecs: 30_000 };

/**
 * For clients that take one agent per scheme (the AWS SDK): agents that pick the route of each request from its host,
 * so NO_PROXY and the loopback rule apply to whatever host the client addresses. Undefined when the environment names
 * no proxy: such a client then keeps its own agents.
 *
 * Give such a client no `Expect: 100-continue` header: Node stores a request's headers at once when it has one, before
 * the agent sees the request, and http-proxy-agent then sends the request line unrewritten (not absolute) on a
 * kept-alive connection to the proxy. Given agents of its own, the AWS SDK no longer waits for `100 Continue` anyway.
 */
export function agentsPerScheme(routes: ProxyRoutes): SchemeAgents | undefined {
  if (!routes.hasProxy) return undefined;
  let agents = byRoutes.get(routes);
  if (!agents) {
    agents = { httpAgent: new RoutingHttpAgent(routes), httpsAgent: new RoutingHttpsAgent(routes) };
    byRoutes.set(routes, agents);
  }
  return agents;
}

/** Node's `Agent#addRequest`: public in behaviour (proxy-agent builds on it) but absent from @types/node. */
interface RequestTaking {
  addRequest(req: ClientRequest, options: RequestOptions): void;
}

/*
 * The outer agent only passes each request on; the chosen agent creates, pools and reuses the sockets. The outer one
 * must be of the request's scheme (Node checks `agent.protocol`) and keep connections alive (Node asks it whether to).
 * Passing on happens synchronously, inside the request's constructor: http-proxy-agent rewrites the request line for
 * the proxy there, before the client writes anything.
 */
class RoutingHttpAgent extends HttpAgent {
  constructor(private readonly routes: ProxyRoutes) {
    super(OUTER);
  }

  addRequest(req: ClientRequest, options: RequestOptions): void {
    passOn(this.routes, 'http:', req, options);
  }
}

class RoutingHttpsAgent extends HttpsAgent {
  constructor(private readonly routes: ProxyRoutes) {
    super(OUTER);
  }

  addRequest(req: ClientRequest, options: RequestOptions): void {
    passOn(this.routes, 'https:', req, options);
  }
}

function passOn(routes: ProxyRoutes, protocol: 'http:' | 'https:', req: ClientRequest, options: RequestOptions): void {
  try {
    const host = options.host ?? options.hostname ?? 'localhost';
    const port = options.port ?? (protocol === 'https:' ? 443 : 80);
    const target = new URL(`${protocol}//${isIPv6(host) ? `[${host}]` : host}:${port}`);
    (routes.routeWith(target, proxyAgentsFor).agent as unknown as RequestTaking).addRequest(req, options);
  } catch (error) {
    // A proxy variable Hoist cannot use. Thrown here it would escape from the request's constructor; as a request
    // error, once the caller listens, it is reported.
    process.nextTick(() => req.destroy(error as Error));
  }
}
