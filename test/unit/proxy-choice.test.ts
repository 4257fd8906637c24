import { describe, expect, it } from 'vitest';
import { UploadFailure } from '../../main/domain/failure.js';
import { chooseProxy, isLoopbackHost, parseProxyUrl, readProxySettings, type ProxyEnv } from '../../main/protocols/proxy-choice.js';

const proxyOf = (url: string, env: ProxyEnv): string | undefined => {
  const variable = chooseProxy(new URL(url), readProxySettings(env));
  return variable && `${variable.name}=${parseProxyUrl(variable).href}`;
};

describe('proxy choice', () => {
  it('HTTPS_PROXY serves https, HTTP_PROXY http; lower-case wins over upper-case, empty counts as unset', () => {
    const env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'http://plain:8080' };
    expect(proxyOf('https://graph.microsoft.com/v1.0', env)).toBe('https_proxy=http://lower:3128/');
    expect(proxyOf('http://nas.example/files/', env)).toBe('HTTP_PROXY=http://plain:8080/');
    expect(proxyOf('https://graph.microsoft.com/', { https_proxy: '', HTTPS_PROXY: 'http://upper:3128' })).toBe('HTTPS_PROXY=http://upper:3128/');
    expect(proxyOf('https://graph.microsoft.com/', { HTTP_PROXY: 'http://plain:8080' })).toBeUndefined();
    expect(proxyOf('https://graph.microsoft.com/', {})).toBeUndefined();
  });

  it('a value without a scheme is an HTTP proxy; other schemes and unreadable values fail naming only the variable', () => {
    expect(proxyOf('https://api.box.com/', { HTTPS_PROXY: 'proxy.corp:3128' })).toBe('HTTPS_PROXY=http://proxy.corp:3128/');
    const fail = (value: string): UploadFailure => {
      try {
        proxyOf('https://api.box.com/', { HTTPS_PROXY: value });
      } catch (error) {
        return error as UploadFailure;
      }
      throw new Error('no failure');
    };
    expect(fail('socks5://user:hunter2@proxy:1080').failure).toEqual({ kind: 'fatal', code: 'proxy-config', reason: 'HTTPS_PROXY names a socks5 proxy; Hoist speaks to HTTP and HTTPS proxies only' });
    expect(fail('http://user:hunter2@[bad').message).toBe('HTTPS_PROXY is not a proxy URL Hoist can read (expected http://host:port)');
  });

  it('NO_PROXY as proxy-from-env reads it: exact hosts, .suffix and *.suffix, host:port, *, commas or spaces', () => {
    const env = (noProxy: string) => ({ HTTPS_PROXY: 'http://p:1', NO_PROXY: noProxy });
    expect(proxyOf('https://api.box.com/', env('api.box.com'))).toBeUndefined();
    expect(proxyOf('https://upload.box.com/', env('box.com'))).toBeDefined(); // exact: no subdomains
    expect(proxyOf('https://upload.box.com/', env('.box.com'))).toBeUndefined();
    expect(proxyOf('https://upload.box.com/', env('*.box.com'))).toBeUndefined();
    expect(proxyOf('https://s3.example:9000/', env('s3.example:9000'))).toBeUndefined();
    expect(proxyOf('https://s3.example/', env('s3.example:9000'))).toBeDefined(); // 443 is not 9000
    expect(proxyOf('https://a.example/', env('x.example  a.example'))).toBeUndefined();
    expect(proxyOf('https://a.example/', env('*'))).toBeUndefined();
    expect(proxyOf('https://A.Example/', env('a.EXAMPLE'))).toBeUndefined();
    expect(proxyOf('https://a.example/', { HTTPS_PROXY: 'http://p:1', no_proxy: 'a.example', NO_PROXY: 'other' })).toBeUndefined();
  });

  it('loopback targets go direct unless HOIST_PROXY_LOOPBACK=1, and NO_PROXY still applies then', () => {
    for (const host of ['localhost', 'app.localhost', '127.0.0.1', '127.8.9.10', '[::1]', '[::ffff:127.0.0.1]']) {
      expect(isLoopbackHost(new URL(`http://${host}:8080/`).hostname)).toBe(true);
      expect(proxyOf(`http://${host}:8080/`, { HTTP_PROXY: 'http://p:1' })).toBeUndefined();
      expect(proxyOf(`http://${host}:8080/`, { HTTP_PROXY: 'http://p:1', HOIST_PROXY_LOOPBACK: '1' })).toBeDefined();
    }
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.example')).toBe(false);
    expect(proxyOf('http://127.0.0.1:8080/', { HTTP_PROXY: 'http://p:1', HOIST_PROXY_LOOPBACK: '1', NO_PROXY: '127.0.0.1' })).toBeUndefined();
  });
});
