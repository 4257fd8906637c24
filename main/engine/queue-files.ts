import { basename, posix, resolve } from 'node:path';
import { userMessage } from '../domain/hoist-error.js';
import type { DestinationRow } from '../store/destinations-repo.js';
import type { Store } from '../store/store.js';
import type { FileSource } from './file-source.js';

export interface QueuedFiles {
  /** One job per file that could be queued: an unfinished one for the same file and target is resumed, not doubled. */
  jobIds: number[];
  /** Files that could not be queued, in plain words. */
  problems: string[];
}

/** Normalises a user's remote folder to a `/`-rooted posix path (Windows separators accepted). */
export const remoteDirOf = (remoteDir: string | undefined): string => posix.join('/', (remoteDir ?? '/').replaceAll('\\', '/'));

/**
 * Queues local files for upload to a destination: `hoist upload`, the window's "Add files…" and files dropped into it.
 * Re-queuing a file whose upload is unfinished resumes that job (and its server session).
 */
export async function queueFiles(
  store: Store,
  files: Pick<FileSource, 'identity'>,
  dest: DestinationRow,
  paths: readonly string[],
  remoteDir: string | undefined,
  nowMs: () => number,
): Promise<QueuedFiles> {
  const dir = remoteDirOf(remoteDir);
  const jobIds: number[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    const localPath = resolve(path);
    try {
      const identity = await files.identity(localPath);
      const remotePath = posix.join(dir, basename(localPath));
      const existing = store.jobs.findActive(dest.id, localPath, remotePath);
      if (existing) {
        store.jobs.resume([existing.id], nowMs());
        jobIds.push(existing.id);
      } else {
        jobIds.push(store.jobs.create({ destinationId: dest.id, localPath, remotePath, ...identity }, nowMs()).id);
      }
    } catch (error) {
      problems.push(userMessage(error));
    }
  }
  return { jobIds, problems };
}
