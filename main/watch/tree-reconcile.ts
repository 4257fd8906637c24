import { diffFile, renameKey } from '../domain/sync-diff.js';
import type { Store } from '../store/store.js';
import type { WatchRow } from '../store/watches-repo.js';
import type { PathRules } from './path-rules.js';
import type { PendingGate, SettledFile } from './pending-gate.js';
import type { SyncWriter } from './sync-writer.js';
import { scanTree, ScanRootMissing, type ScanCounts, type ScannedFile } from './tree-scanner.js';

export interface ReconcileInput {
  store: Store;
  watch: WatchRow;
  rules: PathRules;
  gate: PendingGate;
  writer: SyncWriter;
  batchSize: number;
  sliceMs: number;
  /** '' = the whole tree. */
  underRel: string;
  signal: AbortSignal;
  /** Settled files, a batch at a time (the watcher queues them and wakes whoever needs waking). */
  applySettled(files: SettledFile[]): void;
  /** False once the watcher stopped or restarted: nothing more may be written. */
  isCurrent(): boolean;
  /** Why the folder should count as unavailable (see FolderWatcher); asked only when a full scan found it empty. */
  whyUnusable(): string | undefined;
}

export type ReconcileResult =
  | { kind: 'stale' }
  | { kind: 'missing'; reason: string }
  | { kind: 'done'; counts: ScanCounts; changed: number; deleted: number; renamed: number };

/**
 * Compares the tree (or one folder of it) with the index: new and changed files go through the gate, recorded files
 * no longer there are recorded as deleted (those that reappeared under another name with the same inode, size and
 * mtime are counted as renamed), unchanged files cost one lstat and one map lookup.
 */
export async function reconcileTree(input: ReconcileInput): Promise<ReconcileResult> {
  const { store, watch } = input;
  const rows = store.syncIndex.loadAll(watch.id, input.underRel);
  const canRename = rows.size > 0;
  const appeared = new Set<string>();
  const inodeFixes: Array<{ relPath: string; inode: string | null }> = [];
  let settled: SettledFile[] = [];
  let changed = 0;
  const flush = () => {
    if (!input.isCurrent() || settled.length === 0) return;
    const batch = settled;
    settled = [];
    input.applySettled(batch);
  };
  const onFile = (file: ScannedFile) => {
    const row = rows.get(file.relPath);
    if (row) rows.delete(file.relPath);
    const diff = diffFile(row, file.identity);
    if (diff.kind === 'restore' || (diff.kind === 'unchanged' && diff.isInodeStale)) {
      inodeFixes.push({ relPath: file.relPath, inode: file.identity.inode });
      return;
    }
    if (diff.kind === 'unchanged') return;
    changed++;
    if (canRename && (!row || row.state === 'deleted')) {
      const key = renameKey(file.identity);
      if (key) appeared.add(key);
    }
    const ready = input.gate.noteScanned(file.relPath, file.identity);
    if (ready) settled.push(ready);
    if (settled.length >= input.batchSize) flush();
  };
  let counts: ScanCounts;
  try {
    counts = await scanTree({ root: watch.dir, underRel: input.underRel, rules: input.rules, symlinkPolicy: watch.symlinkPolicy, onFile, onYield: flush, signal: input.signal, sliceMs: input.sliceMs });
  } catch (error) {
    if (!input.isCurrent()) return { kind: 'stale' };
    if (error instanceof ScanRootMissing) return { kind: 'missing', reason: `${watch.dir} disappeared (an unplugged drive, or a moved or deleted folder?)` };
    throw error;
  }
  if (!input.isCurrent()) return { kind: 'stale' };
  flush();
  const missing = [...rows.values()].filter((r) => r.state !== 'deleted');
  if (input.underRel === '' && counts.files === 0 && counts.dirs <= 1 && missing.length > 0) {
    const reason = input.whyUnusable();
    if (reason) return { kind: 'missing', reason };
  }
  const renamed = missing.filter((r) => appeared.has(renameKey(r) ?? '')).length;
  const deleted = input.writer.recordDeletions(missing.map((r) => r.relPath));
  if (inodeFixes.length > 0) input.writer.refreshInodes(inodeFixes);
  return { kind: 'done', counts, changed, deleted, renamed };
}
