import { UploadFailure } from '../domain/failure.js';

/** The variables proxy choice reads; any environment (process.env, the CLI's ctx.env, a test's own object). */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** The proxy variables of one environment, read once. */
export interface ProxySettings {
  http: ProxyVariable | undefined;
  https: ProxyVariable | undefined;
  /** NO_PROXY / no_proxy, lower-cased; '' when unset. */
  noProxy: string;
  /** HOIST_PROXY_LOOPBACK=1: loopback targets are proxied too (see `chooseProxy`). */
  isLoopbackProxied: boolean;
}

export interface ProxyVariable {
  /** Which variable it came from (for messages: its value may carry a password and is never shown). */
  name: string;
  value: string;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Lower-case first, as curl and proxy-from-env do; an empty value counts as unset. */
export function readProxySettings(env: ProxyEnv): ProxySettings {
  const variable = (name: string): ProxyVariable | undefined => {
    for (const key of [name.toLowerCase(), name.toUpperCase()]) {
      const value = env[key]?.trim();
      if (value) return { name: key, value };
    }
    return undefined;
  };
  return {
    http: variable('http_proxy'),
    https: variable('https_proxy'),
    noProxy: (variable('no_proxy')?.value ?? '').toLowerCase(),
    isLoopbackProxied: env.HOIST_PROXY_LOOPBACK === '1',
  };
}

export function hasAnyProxy(settings: ProxySettings): boolean {
  return settings.http !== undefined || settings.https !== undefined;
}

/**
 * The variable naming the proxy a request to `target` goes through, or undefined to connect directly.
 *
 * HTTPS_PROXY serves https URLs, HTTP_PROXY http URLs; NO_PROXY excludes hosts with proxy-from-env's rules: `*` excludes
 * everything; entries are separated by commas or spaces; `host` matches that host exactly, `.example.com` or
 * `*.example.com` any host ending so; `host:port` only that port.
 *
 * Loopback rule: a target on this machine (localhost, *.localhost, 127.0.0.0/8, ::1) never goes through a proxy, as in
 * Go and Chrome: a proxy elsewhere would reach its own loopback, not ours, and a receiver on this machine must keep
 * working whatever proxy the environment names. HOIST_PROXY_LOOPBACK=1 lifts this for a proxy on this machine (and for
 * tests); NO_PROXY still applies then. Hoist's own embedded receiver (the `local` destination) ignores even that: it
 * is always reached directly (`ProxyRoutes.direct`).
 */
export function chooseProxy(target: URL, settings: ProxySettings): ProxyVariable | undefined {
  const variable = target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : undefined;
  if (!variable) return undefined;
  if (!settings.isLoopbackProxied && isLoopbackHost(target.hostname)) return undefined;
  const port = Number(target.port) || DEFAULT_PORTS[target.protocol] || 0;
  return isExcluded(target.hostname, port, settings.noProxy) ? undefined : variable;
}

/** `hostname` as URL gives it: lower-case, IPv4 normalised, IPv6 in brackets. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname)
  );
}

/** proxy-from-env's `shouldProxy`, negated, on an injected NO_PROXY value. */
function isExcluded(hostname: string, port: number, noProxy: string): boolean {
  if (!noProxy) return false;
  if (noProxy === '*') return true;
  return noProxy.split(/[,\s]/).some((entry) => {
    if (!entry) return false;
    const withPort = /^(.+):(\d+)$/.exec(entry);
    let host = withPort ? withPort[1]! : entry;
    const entryPort = withPort ? Number(withPort[2]) : 0;
    if (entryPort && entryPort !== port) return false;
    if (!/^[.*]/.test(host)) return hostname === host;
    if (host.startsWith('*')) host = host.slice(1);
    return hostname.endsWith(host);
  });
}

/**
 * A value without a scheme is an HTTP proxy (curl's reading; `host:3128` is how most people write it). Only HTTP(S)
 * proxies are spoken to; a misconfigured variable fails every request it would serve, naming the variable, never its
 * value (it may carry a password).
 */
export function parseProxyUrl(variable: ProxyVariable): URL {
  const text = variable.value.includes('://') ? variable.value : `http://${variable.value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UploadFailure({ kind: 'fatal', code: 'proxy-config', reason: `${variable.name} is not a proxy URL Hoist can read (expected http://host:port)` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UploadFailure({
      kind: 'fatal',
      code: 'proxy-config',
      reason: `${variable.name} names a ${url.protocol.slice(0, -1)} proxy; Hoist speaks to HTTP and HTTPS proxies only`,
    });
  }
  if (!url.hostname) throw new UploadFailure({ kind: 'fatal', code: 'proxy-config', reason: `${variable.name} names no proxy host` });
  return url;
}
