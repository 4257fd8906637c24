import { statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { remoteDirOf } from '../engine/queue-files.js';
import { makePathRules } from '../watch/path-rules.js';
import { scanTree } from '../watch/tree-scanner.js';

/** Files to queue into one remote folder. */
export interface IntakeGroup {
  /** Undefined: the folder the caller asked for (the destination's root by default). */
  remoteDir: string | undefined;
  paths: string[];
}

/** A dropped folder with more files than this is refused: a folder that big is a watched folder's job. */
export const MAX_FOLDER_FILES = 10_000;

/**
 * Expands the folders among dropped or opened paths into their files, keeping the tree: the files of `~/Photos/2025/a.jpg`
 * dropped as `~/Photos` go to `<remoteDir>/Photos/2025/`. The same rules as a watched folder skip OS clutter, hidden
 * files and symlinks. Plain files (and paths that cannot be read: queueing reports those) pass through unchanged.
 */
export async function expandFolders(paths: readonly string[], remoteDir: string | undefined, maxFiles = MAX_FOLDER_FILES): Promise<{ groups: IntakeGroup[]; problems: string[] }> {
  const plain: string[] = [];
  const byDir = new Map<string, string[]>();
  const problems: string[] = [];
  const rules = makePathRules({ patterns: [], includeHidden: false });
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // queueFiles says what is wrong with it
    }
    if (!isDir) {
      plain.push(path);
      continue;
    }
    const found: Array<{ dir: string; path: string }> = [];
    let isTooBig = false;
    const base = posix.join(remoteDirOf(remoteDir), basename(path));
    await scanTree({
      root: path,
      rules,
      symlinkPolicy: 'skip',
      onFile: (file) => {
        if (found.length >= maxFiles) return void (isTooBig = true);
        found.push({ dir: posix.join(base, posix.dirname(file.relPath)), path: join(path, ...file.relPath.split('/')) });
      },
    }).catch((error: unknown) => problems.push(`${path}: ${(error as Error).message}`));
    if (isTooBig) {
      problems.push(`${path} holds more than ${maxFiles.toLocaleString('en')} files: watch it instead (Watched folders), which uploads it in the background and keeps it in sync.`);
      continue;
    }
    if (found.length === 0) problems.push(`${path} is a folder with no files to upload.`);
    for (const file of found) {
      const list = byDir.get(file.dir);
      if (list) list.push(file.path);
      else byDir.set(file.dir, [file.path]);
    }
  }
  const groups: IntakeGroup[] = plain.length > 0 ? [{ remoteDir, paths: plain }] : [];
  for (const [dir, files] of [...byDir].sort(([a], [b]) => a.localeCompare(b))) groups.push({ remoteDir: dir, paths: files.sort() });
  return { groups, problems };
}
