import { connect } from 'node:net';
import type { NetworkTarget } from '../domain/failure.js';

/**
 * Whether a host answers at all: a fresh TCP connection (no pooled socket that may be dead), closed at once. It tells
 * an outage (nothing answers) from a failure of one request (the host answers; retry as usual).
 */
export function probeConnect(target: NetworkTarget, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const socket = connect({ host: target.host, port: target.port });
    const done = (isUp: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(isUp);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
