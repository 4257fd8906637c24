import type { IncomingMessage } from 'node:http';

/** What the server holds for one remote file. */
export interface StoredFile {
  sha256: string;
  sizeBytes: number;
  /** How many times it was written: completed uploads, or versions where the server keeps them. 1 when uploaded once. */
  writes: number;
}

/** An upload session still open on the server. */
export interface OpenSession {
  /** The file it is for. */
  name: string;
  /** What names it in Hoist's own records: its id, or a part of its URL that holds the id. */
  ref: string;
}

/**
 * One provider's server for the soak test, started fresh. The test puts a fault proxy in front of `upstreamUrl` and
 * points Hoist at the proxy; the target answers from the server's own records.
 */
export interface SoakTarget {
  /** The one port every request goes to (the fault proxy fronts it). */
  upstreamUrl: string;
  /** `hoist dest add NAME` arguments, every URL passed through `viaProxy`. */
  destAddArgs(viaProxy: (url: string) => string): string[];
  /** Requests the proxy may stall (default all: the adapter's --stall-timeout covers every request). */
  canStall?: (req: IncomingMessage) => boolean;
  /** What the server stores under this name at the destination's root, or undefined. */
  stored(name: string): Promise<StoredFile | undefined>;
  /** Every file name the server stores at the root (a file uploaded twice under a numbered name shows here). */
  storedNames(): Promise<string[]>;
  /** Upload sessions the server still holds open (never committed, never aborted). */
  openSessions(): Promise<OpenSession[]>;
  close(): Promise<void>;
}

export interface SoakProvider {
  name: 'graph' | 'box' | 'apideck' | 'tus' | 's3';
  start(dir: string): Promise<SoakTarget>;
}
