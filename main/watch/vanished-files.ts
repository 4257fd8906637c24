import { renameKey } from '../domain/sync-diff.js';
import type { FileIdentity } from '../store/jobs-repo.js';

/** A file recorded in the index that vanished; held for deleteDelayMs in case it reappears under another name. */
export interface VanishedFile {
  relPath: string;
  identity: FileIdentity;
  goneAtMs: number;
}

/**
 * Vanished files waiting to be recorded as deleted. Syncthing delays deletions on purpose; here the delay is what lets
 * the two halves of a rename (gone + appeared, often in separate events) be recognised as one file.
 */
export class VanishedFiles {
  private readonly byPath = new Map<string, VanishedFile>();
  private readonly byKey = new Map<string, string>();

  get size(): number {
    return this.byPath.size;
  }

  add(relPath: string, identity: FileIdentity, goneAtMs: number): void {
    this.byPath.set(relPath, { relPath, identity: { sizeBytes: identity.sizeBytes, mtimeMs: identity.mtimeMs, inode: identity.inode }, goneAtMs });
    const key = renameKey(identity);
    if (key) this.byKey.set(key, relPath);
  }

  /** The vanished file with this inode, size and mtime (the old name of `relPath`), removed from the waiting set. */
  takeRenamed(identity: FileIdentity, relPath: string): VanishedFile | undefined {
    const key = renameKey(identity);
    const from = key === undefined ? undefined : this.byKey.get(key);
    if (from === undefined || from === relPath) return undefined;
    const file = this.byPath.get(from);
    this.forget(from);
    return file;
  }

  /** Removes and returns the files held at least delayMs; `nextDueAtMs` is when the next one will be (or Infinity). */
  takeDue(nowMs: number, delayMs: number): { due: VanishedFile[]; nextDueAtMs: number } {
    const due: VanishedFile[] = [];
    let nextDueAtMs = Number.POSITIVE_INFINITY;
    for (const file of this.byPath.values()) {
      if (file.goneAtMs + delayMs > nowMs) nextDueAtMs = Math.min(nextDueAtMs, file.goneAtMs + delayMs);
      else due.push(file);
    }
    for (const file of due) this.forget(file.relPath);
    return { due, nextDueAtMs };
  }

  clear(): void {
    this.byPath.clear();
    this.byKey.clear();
  }

  private forget(relPath: string): void {
    const file = this.byPath.get(relPath);
    if (!file) return;
    this.byPath.delete(relPath);
    const key = renameKey(file.identity);
    if (key && this.byKey.get(key) === relPath) this.byKey.delete(key);
  }
}
