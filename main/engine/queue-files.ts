import { basename, posix, resolve } from 'node:path';
import { userMessage } from '../domain/hoist-error.js';
import type { DestinationRow } from '../store/destinations-repo.js';
import type { FileIdentity } from '../store/jobs-repo.js';
import type { Store } from '../store/store.js';
import type { FileSource } from './file-source.js';

export interface QueuedFiles {
  /** One job per file that could be queued: an unfinished one for the same file and target is resumed, not doubled. */
  jobIds: number[];
  /** Files that could not be queued, in plain words. */
  problems: string[];
  /** Jobs (in `jobIds` too) of files already uploaded there unchanged: nothing is sent again. */
  alreadyUploaded: number[];
}

export interface QueueOptions {
  /** Upload again even when the same file, unchanged, was already uploaded to the same place (`hoist upload --again`). */
  again?: boolean;
}

/** Same size, modification time and (where both have one) inode: the file is the one that was uploaded. */
const isUnchanged = (done: FileIdentity, now: FileIdentity): boolean =>
  done.sizeBytes === now.sizeBytes && done.mtimeMs === now.mtimeMs && (done.inode === null || now.inode === null || done.inode === now.inode);

/** Normalises a user's remote folder to a `/`-rooted posix path (Windows separators accepted). */
export const remoteDirOf = (remoteDir: string | undefined): string => posix.join('/', (remoteDir ?? '/').replaceAll('\\', '/'));

/**
 * Queues local files for upload to a destination: `hoist upload`, the window's "Add files…" and files dropped into it.
 * Re-queuing a file whose upload is unfinished resumes that job (and its server session); re-queuing one already
 * uploaded there, unchanged, gives its finished job instead of sending it twice (a re-run after a kill or a crash).
 */
export async function queueFiles(
  store: Store,
  files: Pick<FileSource, 'identity'>,
  dest: DestinationRow,
  paths: readonly string[],
  remoteDir: string | undefined,
  nowMs: () => number,
  options: QueueOptions = {},
): Promise<QueuedFiles> {
  const dir = remoteDirOf(remoteDir);
  const jobIds: number[] = [];
  const problems: string[] = [];
  const alreadyUploaded: number[] = [];
  for (const path of paths) {
    const localPath = resolve(path);
    try {
      const identity = await files.identity(localPath);
      const remotePath = posix.join(dir, basename(localPath));
      const existing = store.jobs.findActive(dest.id, localPath, remotePath);
      const done = existing || options.again ? undefined : store.jobs.findDone(dest.id, localPath, remotePath);
      if (existing) {
        store.jobs.resume([existing.id], nowMs());
        jobIds.push(existing.id);
      } else if (done && isUnchanged(done, identity)) {
        jobIds.push(done.id);
        alreadyUploaded.push(done.id);
      } else {
        jobIds.push(store.jobs.create({ destinationId: dest.id, localPath, remotePath, ...identity }, nowMs()).id);
      }
    } catch (error) {
      problems.push(userMessage(error));
    }
  }
  return { jobIds, problems, alreadyUploaded };
}
