import { ProxyRoutes } from '../../protocols/proxy-routes.js';
import { TusProtocol } from '../../protocols/tus-protocol.js';
import type { PartBody, RemoteItem, ServerState, SessionHandle, UploadProtocol, UploadTarget, LocalFileDigests } from '../../protocols/upload-protocol.js';
import type { PartRow } from '../../store/sessions-repo.js';
import type { Receiver } from './receiver.js';

const receivers = new Map<string, Promise<Receiver>>();

/**
 * The tus adapter against an in-process receiver, started on first use on a free loopback port. The port differs from
 * run to run, so persisted upload URLs are re-pointed at this run's receiver: the partial uploads on disk stay
 * resumable across restarts.
 */
export class LocalTusProtocol implements UploadProtocol {
  readonly provider = 'tus' as const;
  readonly addressing = 'offset' as const;
  readonly maxParallelParts = 1;
  readonly minSessionBytes = 1;
  readonly verifyHash = 'none' as const;
  private inner: Promise<{ tus: TusProtocol; origin: string }> | undefined;

  constructor(private readonly dir: string) {}

  async createSession(target: UploadTarget, signal: AbortSignal): Promise<SessionHandle> {
    return (await this.tus()).tus.createSession(target, signal);
  }

  async queryServerState(session: SessionHandle, target: UploadTarget, signal: AbortSignal): Promise<ServerState> {
    const { tus, origin } = await this.tus();
    return tus.queryServerState(repoint(session, origin), target, signal);
  }

  async uploadPart(session: SessionHandle, part: PartBody, target: UploadTarget, signal: AbortSignal) {
    const { tus, origin } = await this.tus();
    return tus.uploadPart(repoint(session, origin), part, target, signal);
  }

  async commit(session: SessionHandle, parts: readonly PartRow[], target: UploadTarget, local: LocalFileDigests, signal: AbortSignal): Promise<RemoteItem> {
    const { tus, origin } = await this.tus();
    return tus.commit(repoint(session, origin), parts, target, local, signal);
  }

  async abort(session: SessionHandle, signal: AbortSignal): Promise<void> {
    const { tus, origin } = await this.tus();
    return tus.abort(repoint(session, origin), signal);
  }

  async uploadWhole(target: UploadTarget, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<RemoteItem> {
    return (await this.tus()).tus.uploadWhole(target, data, signal);
  }

  private tus(): Promise<{ tus: TusProtocol; origin: string }> {
    this.inner ??= (async () => {
      let receiver = receivers.get(this.dir);
      if (!receiver) {
        receiver = import('./receiver.js').then(({ startReceiver }) => startReceiver({ dir: this.dir, port: 0, isBackground: true }));
        receivers.set(this.dir, receiver);
      }
      const { url } = await receiver;
      // In-process, on loopback: never through a proxy, whatever the environment says.
      return { tus: new TusProtocol({ endpoint: url, proxies: ProxyRoutes.direct }), origin: new URL(url).origin };
    })();
    return this.inner;
  }
}

function repoint(session: SessionHandle, origin: string): SessionHandle {
  if (!session.sessionUrl) return session;
  const url = new URL(session.sessionUrl);
  return { ...session, sessionUrl: `${origin}${url.pathname}${url.search}` };
}
