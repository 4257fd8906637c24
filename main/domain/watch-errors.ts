/** Why live watching of a folder stopped, and what Hoist does instead. */
export type WatchErrorKind = 'watch-limit' | 'open-files-limit' | 'other';

export interface WatchLimits {
  /** fs.inotify.max_user_watches (Linux) when readable. */
  maxUserWatches?: number;
  /** fs.inotify.max_user_instances (Linux) when readable. */
  maxUserInstances?: number;
}

export function classifyWatchError(code: string | undefined): WatchErrorKind {
  if (code === 'ENOSPC') return 'watch-limit';
  if (code === 'EMFILE' || code === 'ENFILE') return 'open-files-limit';
  return 'other';
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * The message a user sees when the OS refuses another watch: what happened, what Hoist does meanwhile (a full rescan
 * every `rescanEveryMs`, so nothing is missed, only noticed later) and the exact command that fixes it. Syncthing names
 * the inotify limit in its errors too; a silent partial watch is the failure to avoid.
 */
export function describeWatchError(input: {
  kind: WatchErrorKind;
  folder: string;
  platform: string;
  detail: string;
  rescanEveryMs: number;
  limits: WatchLimits;
}): string {
  const { kind, folder, platform, limits } = input;
  const fallback = `Hoist now rescans it every ${seconds(input.rescanEveryMs)} instead, so changes are still uploaded, only noticed later.`;
  const restart = 'Then restart `hoist serve` (or `hoist watch pause` and `hoist watch resume` the folder) to watch live again.';
  if (kind === 'watch-limit' && platform === 'linux') {
    const current = limits.maxUserWatches === undefined ? '' : ` (fs.inotify.max_user_watches = ${limits.maxUserWatches})`;
    const wanted = Math.max(524_288, (limits.maxUserWatches ?? 0) * 2);
    return (
      `Cannot watch ${folder} for changes: the system limit on watched folders is reached${current}. ${fallback} ` +
      `To raise the limit: sudo sysctl fs.inotify.max_user_watches=${wanted} ` +
      `(to keep it after a reboot: echo fs.inotify.max_user_watches=${wanted} | sudo tee /etc/sysctl.d/90-hoist.conf). ${restart}`
    );
  }
  if (kind === 'open-files-limit') {
    const linux =
      platform === 'linux'
        ? ` On Linux this is also the number of inotify instances${limits.maxUserInstances === undefined ? '' : ` (fs.inotify.max_user_instances = ${limits.maxUserInstances})`}: sudo sysctl fs.inotify.max_user_instances=1024.`
        : '';
    return (
      `Cannot watch ${folder} for changes: too many open files (${input.detail}). ${fallback} ` +
      `Raise the open-file limit (ulimit -n 65536 in the shell that starts Hoist, or LimitNOFILE= in its service).${linux} ${restart}`
    );
  }
  return `Cannot watch ${folder} for changes (${input.detail}). ${fallback}`;
}
