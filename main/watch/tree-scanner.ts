import { lstatSync, readdirSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import { join, sep } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FileIdentity } from '../store/jobs-repo.js';
import type { SymlinkPolicy } from '../store/watches-repo.js';
import type { PathRules } from './path-rules.js';

export interface ScannedFile {
  /** `/`-separated, relative to the watched folder. */
  relPath: string;
  identity: FileIdentity;
}

export interface ScanCounts {
  files: number;
  dirs: number;
  ignored: number;
  symlinksSkipped: number;
  /** Sockets, FIFOs, devices, dangling links: never uploaded. */
  special: number;
  /** Folders that could not be read (permissions), at most 20 named. */
  unreadableDirs: string[];
  durationMs: number;
}

export interface ScanInput {
  root: string;
  /** Only this folder (relative, `/`-separated) and below; '' = everything. */
  underRel?: string;
  rules: PathRules;
  symlinkPolicy: SymlinkPolicy;
  onFile(file: ScannedFile): void;
  /** Called whenever the scan yields to the event loop: a natural point to flush batches. */
  onYield?(): void;
  signal?: AbortSignal;
  /** Longest stretch of synchronous file-system work before yielding (default 8 ms). */
  sliceMs?: number;
}

export class ScanRootMissing extends Error {}

/** Size, mtime (µs, as the engine's FileSource reports it) and inode from a bigint stat. */
export function identityOf(s: BigIntStats): FileIdentity {
  return { sizeBytes: Number(s.size), mtimeMs: Number(s.mtimeNs / 1000n) / 1000, inode: s.ino > 0n ? s.ino.toString() : null };
}

const toRel = sep === '/' ? (p: string) => p : (p: string) => p.split(sep).join('/');

/**
 * Walks the tree in one pass: readdir with file types, one lstat per file, none per directory entry it can skip.
 * Synchronous calls in time slices (a few ms, then a yield) are about three times faster than the promise API on a
 * 100,000-file tree, and keep the event loop responsive. Folders are identified by device and inode, so a followed
 * symlink (or a bind mount) that points back up the tree is visited once, never looped.
 */
export async function scanTree(input: ScanInput): Promise<ScanCounts> {
  const started = performance.now();
  const sliceMs = input.sliceMs ?? 8;
  const counts: ScanCounts = { files: 0, dirs: 0, ignored: 0, symlinksSkipped: 0, special: 0, unreadableDirs: [], durationMs: 0 };
  const visited = new Set<string>();
  const startRel = input.underRel ?? '';
  const startAbs = startRel ? join(input.root, ...startRel.split('/')) : input.root;
  let rootStat: BigIntStats;
  try {
    rootStat = statSync(startAbs, { bigint: true });
  } catch (error) {
    if (startRel === '') throw new ScanRootMissing(`${input.root}: ${(error as Error).message}`);
    return finish();
  }
  if (!rootStat.isDirectory()) {
    if (startRel === '') throw new ScanRootMissing(`${input.root} is not a folder`);
    return finish();
  }
  visited.add(`${rootStat.dev}:${rootStat.ino}`);
  const stack: string[] = [startRel];
  let sliceStart = performance.now();

  while (stack.length > 0) {
    if (input.signal?.aborted) throw input.signal.reason;
    const dirRel = stack.pop()!;
    const dirAbs = dirRel ? join(input.root, dirRel) : input.root;
    let entries: Dirent[];
    try {
      entries = readdirSync(dirAbs, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (dirRel === '' && (code === 'ENOENT' || code === 'ENOTDIR')) throw new ScanRootMissing(`${input.root} disappeared during the scan`);
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && counts.unreadableDirs.length < 20) counts.unreadableDirs.push(dirRel || '.');
      continue;
    }
    counts.dirs++;
    for (const entry of entries) {
      const rel = dirRel ? `${dirRel}/${toRel(entry.name)}` : toRel(entry.name);
      visitEntry(entry, rel, join(dirAbs, entry.name));
      if (performance.now() - sliceStart > sliceMs) {
        input.onYield?.();
        await yieldToLoop();
        if (input.signal?.aborted) throw input.signal.reason;
        sliceStart = performance.now();
      }
    }
  }
  return finish();

  function visitEntry(entry: Dirent, rel: string, abs: string): void {
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    let followed: BigIntStats | undefined;
    if (entry.isSymbolicLink()) {
      if (input.symlinkPolicy === 'skip') {
        counts.symlinksSkipped++;
        return;
      }
      try {
        followed = statSync(abs, { bigint: true });
      } catch {
        counts.special++; // dangling or looping link
        return;
      }
      isDir = followed.isDirectory();
      isFile = followed.isFile();
    }
    if (isDir) {
      if (input.rules.isIgnoredDir(rel)) {
        counts.ignored++;
        return;
      }
      let s = followed;
      try {
        s ??= lstatSync(abs, { bigint: true });
      } catch {
        return; // vanished since readdir
      }
      const key = `${s.dev}:${s.ino}`;
      if (visited.has(key)) return;
      visited.add(key);
      stack.push(rel);
      return;
    }
    if (!isFile) {
      counts.special++;
      return;
    }
    if (input.rules.isIgnoredFile(rel)) {
      counts.ignored++;
      return;
    }
    let s = followed;
    try {
      s ??= lstatSync(abs, { bigint: true });
    } catch {
      return; // vanished since readdir: a live event reports it
    }
    counts.files++;
    input.onFile({ relPath: rel, identity: identityOf(s) });
  }

  function finish(): ScanCounts {
    counts.durationMs = performance.now() - started;
    input.onYield?.();
    return counts;
  }
}
