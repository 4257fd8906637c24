/**
 * Servers for the flaky-networks bench (flaky-bench.ts): the Graph or Box emulator with a FaultProxy in front of it
 * (random faults, a throughput cap, outages), both in the bench's own process so the bench reads the proxy's request
 * log (arrival and first-body-byte times) and the emulator's byte arrivals directly, with one clock. Hoist runs as its
 * own process (the built CLI) and is pointed at the proxy, or straight at the emulator for the bandwidth-limit run.
 */
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { BoxEmulator } from '../emulators/box-emulator.js';
import type { ByteArrival } from '../emulators/faults.js';
import { FaultProxy } from '../emulators/fault-proxy.js';
import { GraphEmulator } from '../emulators/graph-emulator.js';
import type { TestFile } from './files.js';

export type FlakyProviderName = 'graph' | 'box';

export interface FlakyTarget {
  name: FlakyProviderName;
  /** Printed in the results: "OneDrive (Graph emulator)". */
  label: string;
  proxy: FaultProxy;
  /** `hoist dest add NAME` arguments; through the proxy unless `direct`. */
  destAddArgs(opts?: { direct?: boolean }): string[];
  /** Body bytes as the emulator reads them (not the proxy): set up before a run, read after it. Graph only. */
  recordArrivals?(): ByteArrival[];
  /** Throws unless the server holds exactly `file`'s bytes at `remoteDir`/name; then deletes the stored copy. */
  verifyStored(what: string, file: TestFile, remoteDir: string): Promise<void>;
  close(): Promise<void>;
}

export async function startFlakyTarget(name: FlakyProviderName, storageDir: string): Promise<FlakyTarget> {
  return name === 'graph' ? startGraph(storageDir) : startBox(storageDir);
}

function viaProxy(url: string, upstreamUrl: string, proxy: FaultProxy): string {
  return url.replace(`:${new URL(upstreamUrl).port}`, `:${proxy.port}`);
}

async function startGraph(storageDir: string): Promise<FlakyTarget> {
  const em = await GraphEmulator.start({ storageDir });
  const proxy = await FaultProxy.start(em.url, () => 'graph');
  return {
    name: 'graph',
    label: 'OneDrive (Graph emulator)',
    proxy,
    destAddArgs: (opts) => [
      '--provider', 'graph',
      '--endpoint', opts?.direct ? em.graphBaseUrl : viaProxy(em.graphBaseUrl, em.url, proxy),
      '--token', 'graph-test-token',
    ],
    recordArrivals: () => em.recordArrivals(),
    async verifyStored(what, file, remoteDir) {
      const path = `${remoteDir}/${basename(file.path)}`;
      const item = em.items().find((i) => i.path === path);
      if (!item) throw new Error(`${what}: VERIFICATION FAILED: the server has no item ${path}`);
      if (item.size !== file.sizeBytes || item.sha256 !== file.sha256) {
        throw new Error(`${what}: VERIFICATION FAILED for ${path}: ${item.size} bytes, sha256 ${item.sha256}; local ${file.sizeBytes} bytes, ${file.sha256}`);
      }
      await rm(item.storagePath, { force: true });
    },
    async close() {
      await proxy.close();
      await em.close();
    },
  };
}

async function startBox(storageDir: string): Promise<FlakyTarget> {
  const em = await BoxEmulator.start({ storageDir });
  // Upload host, API host and session URLs are path prefixes of one port: one proxy fronts all of them, and it rewrites
  // the absolute session_endpoints in Box's JSON replies so the parts come back through it too.
  const proxy = await FaultProxy.start(em.url, () => 'box');
  const folderName = (remoteDir: string): string => remoteDir.split('/').filter(Boolean).at(-1) ?? '';
  return {
    name: 'box',
    label: 'Box (Box emulator)',
    proxy,
    destAddArgs: (opts) => [
      '--provider', 'box',
      '--endpoint', opts?.direct ? em.uploadBaseUrl : viaProxy(em.uploadBaseUrl, em.url, proxy),
      '--api-endpoint', opts?.direct ? em.apiBaseUrl : viaProxy(em.apiBaseUrl, em.url, proxy),
      '--token', 'box-test-token',
    ],
    async verifyStored(what, file, remoteDir) {
      const folder = em.folders().find((f) => f.name === folderName(remoteDir));
      const stored = em.files().filter((f) => f.name === basename(file.path) && f.folderId === folder?.id);
      if (stored.length !== 1) throw new Error(`${what}: VERIFICATION FAILED: expected 1 file ${basename(file.path)} in ${remoteDir}, found ${stored.length}`);
      const f = stored[0]!;
      if (f.size !== file.sizeBytes || f.sha256 !== file.sha256 || f.versions !== 1) {
        throw new Error(`${what}: VERIFICATION FAILED for ${remoteDir}: ${f.size} bytes, sha256 ${f.sha256}, ${f.versions} versions; local ${file.sizeBytes} bytes, ${file.sha256}`);
      }
      await rm(f.storagePath, { force: true });
    },
    async close() {
      await proxy.close();
      await em.close();
    },
  };
}
