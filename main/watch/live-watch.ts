import { watch as chokidarWatch } from 'chokidar';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WatchLimits } from '../domain/watch-errors.js';

export interface LiveWatchInput {
  root: string;
  followSymlinks: boolean;
  /** Absolute path of a folder → skip it and everything below (ignore rules, hidden, Hoist's own data folder). */
  isIgnoredDir(absPath: string): boolean;
  /** Something at this absolute path may have changed (created, written, renamed, deleted); it is looked at later. */
  onPathChanged(absPath: string): void;
  /** The watched folder itself was touched (deleted, renamed, remounted): check that it is still there. */
  onRootTouched(): void;
  onError(error: NodeJS.ErrnoException): void;
}

/** The port over the OS watcher: live change notifications for one folder tree. */
export interface LiveWatch {
  /** Resolves when every folder of the tree is watched. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export type StartLiveWatch = (input: LiveWatchInput) => LiveWatch;

/**
 * chokidar 4, watching folders only. Plain chokidar opens one OS watch per file (101,001 inotify watches for 100,000
 * files in 1,000 folders, so two such trees exhaust a default Linux limit, and ~585 MiB of watcher objects). A folder's
 * watch already reports every change of its entries by name, so files are passed to `ignored` and their changes are
 * read from the folder watches' raw events: one inotify watch per folder, and nothing per file held in memory.
 * chokidar still does the work it is good at: walking new folders, attaching and detaching their watches, throttling
 * re-reads, following symlinks without loops.
 */
export const startChokidarWatch: StartLiveWatch = (input) => {
  const watcher = chokidarWatch(input.root, {
    ignoreInitial: true,
    persistent: true,
    atomic: false,
    followSymlinks: input.followSymlinks,
    ignorePermissionErrors: true,
    ignored: (path, stats) => {
      if (stats === undefined) return false;
      if (stats.isDirectory()) return input.isIgnoredDir(path);
      if (stats.isSymbolicLink()) return !input.followSymlinks || input.isIgnoredDir(path);
      return true;
    },
  });
  watcher.on('raw', (_event, name, details) => {
    const watchedPath = (details as { watchedPath?: string } | undefined)?.watchedPath;
    if (watchedPath === undefined) return;
    if (name) input.onPathChanged(join(watchedPath, name));
    if (watchedPath === input.root) input.onRootTouched();
  });
  watcher.on('addDir', (path) => input.onPathChanged(path));
  watcher.on('unlinkDir', (path) => (path === input.root ? input.onRootTouched() : input.onPathChanged(path)));
  watcher.on('error', (error) => input.onError(error as NodeJS.ErrnoException));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { ready, close: () => watcher.close() };
};

/** The Linux inotify limits, for error messages (undefined elsewhere or when unreadable). */
export function readWatchLimits(): WatchLimits {
  const read = (path: string) => {
    try {
      const value = Number(readFileSync(path, 'utf8').trim());
      return Number.isFinite(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };
  // A container's user namespace can have a lower limit (/proc/sys/user) than the machine's (/proc/sys/fs/inotify).
  const lowest = (...values: Array<number | undefined>) => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.length === 0 ? undefined : Math.min(...known);
  };
  if (process.platform !== 'linux') return {};
  return {
    maxUserWatches: lowest(read('/proc/sys/fs/inotify/max_user_watches'), read('/proc/sys/user/max_inotify_watches')),
    maxUserInstances: lowest(read('/proc/sys/fs/inotify/max_user_instances'), read('/proc/sys/user/max_inotify_instances')),
  };
}
