import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { HoistError } from '../domain/hoist-error.js';
import { normalizeRemoteDir } from '../domain/sync-diff.js';
import type { Store } from '../store/store.js';
import type { SymlinkPolicy, WatchRow } from '../store/watches-repo.js';
import { checkPattern } from './path-rules.js';

export interface NewWatchInput {
  dir: string;
  destination: string;
  remoteDir?: string;
  ignorePatterns?: string[];
  symlinks?: SymlinkPolicy;
  includeHidden?: boolean;
  mirrorDeletes?: boolean;
}

/** A watch was added; `notes` are what the user should know about it (overlaps, the data folder inside, hidden files). */
export interface AddedWatch {
  row: WatchRow;
  destination: string;
  notes: string[];
}

/** Validates and records a watched folder (`hoist watch add`, the window's "Add folder"). Throws HoistError. */
export function addWatch(store: Store, dataDir: string, input: NewWatchInput, nowMs: number): AddedWatch {
  const dest = store.destinations.byName(input.destination);
  if (!dest) throw new HoistError('not-found', `No destination named "${input.destination}" (see \`hoist dest list\`).`);
  let dir: string;
  try {
    dir = realpathSync(resolve(input.dir));
    if (!statSync(dir).isDirectory()) throw new HoistError('invalid-argument', `${input.dir} is a file; watch the folder that holds it.`);
  } catch (error) {
    if (error instanceof HoistError) throw error;
    throw new HoistError('invalid-argument', `Cannot watch ${input.dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}.`);
  }
  const remoteDir = normalizeRemoteDir(input.remoteDir ?? '/');
  if (remoteDir === undefined) throw new HoistError('invalid-argument', `--remote-dir "${input.remoteDir}" must not contain "..".`);
  const patterns = input.ignorePatterns ?? [];
  for (const pattern of patterns) {
    const problem = checkPattern(pattern);
    if (problem) throw new HoistError('invalid-argument', `--ignore ${problem}.`);
  }
  const same = store.watches.find(dir, dest.id, remoteDir);
  if (same) throw new HoistError('invalid-argument', `${dir} is already watched into ${dest.name}:${remoteDir} (watch #${same.id}).`);
  const row = store.watches.add(
    {
      dir,
      destinationId: dest.id,
      remoteDir,
      ignorePatterns: patterns,
      symlinkPolicy: input.symlinks ?? 'skip',
      includeHidden: Boolean(input.includeHidden),
      mirrorDeletes: Boolean(input.mirrorDeletes),
    },
    nowMs,
  );
  const notes: string[] = [];
  for (const w of store.watches.list().filter((w) => w.id !== row.id && (isInside(w.dir, dir) || isInside(dir, w.dir)))) {
    notes.push(`Note: it overlaps watch #${w.id} (${w.dir}); files in both are uploaded by each.`);
  }
  if (isInside(dataDir, dir)) notes.push(`Note: Hoist's data folder ${dataDir} is inside it and is never uploaded.`);
  if (!row.includeHidden) notes.push('Hidden files (names starting with a dot) are skipped; add --include-hidden to upload them.');
  if (row.mirrorDeletes) notes.push('Note: deletions are recorded but not mirrored yet: no upload protocol can delete remote files, so remote copies stay.');
  return { row, destination: dest.name, notes };
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
