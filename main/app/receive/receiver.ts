import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Server } from '@tus/server';
import { HoistError } from '../../domain/hoist-error.js';
import { DeliveringFileStore } from './delivering-file-store.js';
import { bearerMatches, hostHeaderIsLoopback, isLoopbackHost } from './request-guard.js';
import { STAGING_DIR_NAME, checkRelativePath, targetNameOf } from './safe-relative-path.js';

export interface ReceiverOptions {
  /** Finished files land here at their relativePath (or filename); unfinished ones wait in DIR/.hoist-receive. */
  dir: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  /** Default 127.0.0.1. Anything that is not loopback requires `token`. */
  host?: string;
  /** When set, every tus request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Unfinished uploads expire this long after creation (Upload-Expires). Default 7 days. */
  expirationMs?: number;
  /** Announced as Tus-Max-Size; larger uploads are refused at creation. Default: no limit. */
  maxSizeBytes?: number;
  /** One line per finished file and per housekeeping problem. */
  log?: (line: string) => void;
  /** How often expired uploads are removed. Default hourly. */
  sweepEveryMs?: number;
  /** Embedded in a command that should exit when its own work is done: the listener does not keep the process alive. */
  isBackground?: boolean;
}

export interface Receiver {
  /** The creation endpoint for clients, e.g. http://127.0.0.1:1080/files/ */
  url: string;
  close(): Promise<void>;
}

export const RECEIVER_PATH = '/files';
export const DEFAULT_EXPIRATION_MS = 7 * 24 * 60 * 60 * 1000;

/** A tus 1.0 server (@tus/server + FileStore) that files finished uploads into a folder under their own names. */
export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token || undefined;
  const log = options.log ?? (() => undefined);
  if (!isLoopbackHost(host) && !token) {
    throw new HoistError('invalid-argument', `Listening on ${host} makes the receiver reachable from the network; give a token (--token-env or --token) so only your clients can upload.`);
  }
  const root = resolve(options.dir);
  await prepareFolder(root);
  const staging = join(root, STAGING_DIR_NAME);
  await mkdir(staging, { recursive: true, mode: 0o700 });

  const store = new DeliveringFileStore(root, staging, options.expirationMs ?? DEFAULT_EXPIRATION_MS, log);
  await store.sweep(Date.now());
  const tus = new Server({
    path: RECEIVER_PATH,
    datastore: store,
    ...(options.maxSizeBytes ? { maxSize: options.maxSizeBytes } : {}),
    // No CORS: a web page in the user's browser must not be able to drive the receiver.
    allowedOrigins: () => false,
    // A delivered file belongs to the folder's owner; a client cannot delete it through tus.
    disableTerminationForFinishedUploads: true,
    onIncomingRequest: async (req) => {
      if (req.method === 'GET') throw { status_code: 404, body: 'Not found: this receiver does not serve downloads\n' };
      if (token) {
        if (!bearerMatches(req.headers.get('authorization'), token)) {
          throw { status_code: 401, body: 'Unauthorized: this receiver needs Authorization: Bearer <token>\n' };
        }
      } else if (!hostHeaderIsLoopback(req.headers.get('host'))) {
        throw { status_code: 403, body: 'Forbidden: address this receiver as 127.0.0.1 or localhost\n' };
      }
    },
    onUploadCreate: async (_req, upload) => {
      const check = checkRelativePath(targetNameOf(upload.metadata, upload.id));
      if (!check.ok) throw { status_code: 400, body: `The upload's relativePath/filename metadata is not allowed: ${check.reason}\n` };
      return {};
    },
    onUploadFinish: async (_req, upload) => {
      try {
        await store.deliver(upload.id);
      } catch (error) {
        log(`could not file upload ${upload.id}: ${(error as Error).message}`);
        throw { status_code: 500, body: `All bytes arrived but the file could not be put in place: ${(error as Error).message}\n` };
      }
      return {};
    },
  });

  const http = tus.listen(options.port, host);
  // One PATCH may carry a whole multi-GiB file (tus-js-client's default); Node's 5-minute request limit would cut it.
  http.requestTimeout = 0;
  await new Promise<void>((resolveListen, rejectListen) => {
    http.once('listening', resolveListen);
    http.once('error', (error: NodeJS.ErrnoException) => rejectListen(listenError(error, host, options.port)));
  });
  if (options.isBackground) http.unref();
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const sweeper = setInterval(() => void store.sweep(Date.now()), options.sweepEveryMs ?? 60 * 60 * 1000);
  sweeper.unref();

  return {
    url: `http://${urlHost(host)}:${port}${RECEIVER_PATH}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        clearInterval(sweeper);
        http.close(() => resolveClose());
        // Uploads in flight are resumable: end them rather than wait for them.
        http.closeAllConnections();
      }),
  };
}

async function prepareFolder(root: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true });
    if (!(await stat(root)).isDirectory()) throw new HoistError('invalid-argument', `${root} is not a folder.`);
  } catch (error) {
    if (error instanceof HoistError) throw error;
    throw new HoistError('invalid-argument', `Cannot use ${root} as the receive folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') return new HoistError('invalid-argument', `Port ${port} on ${host} is already in use; choose another with --port.`);
  if (error.code === 'EACCES') return new HoistError('invalid-argument', `Not allowed to listen on port ${port}; choose a port above 1023 with --port.`);
  if (error.code === 'EADDRNOTAVAIL') return new HoistError('invalid-argument', `${host} is not an address of this machine (--host).`);
  return error;
}

/** A wildcard address is not something to connect to: print loopback for local use. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
