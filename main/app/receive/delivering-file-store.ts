import { link, lstat, mkdir, readdir, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Upload } from '@tus/server';
import { checkRelativePath, numberedName, targetNameOf } from './safe-relative-path.js';

/** The tus info file (`<id>.json`) as FileStore writes it, plus where we delivered the finished file. */
interface StoredInfo {
  id: string;
  size?: number;
  offset: number;
  metadata?: Record<string, string | null>;
  creation_date?: string;
  /** Set once the finished file was moved out of the staging folder: posix path relative to the receive folder. */
  hoist_delivered_path?: string;
}

// Errors of file systems without hard links (FAT, exFAT, some network shares): fall back to rename.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK']);
const MAX_NUMBERED_NAMES = 10_000;

/**
 * A FileStore whose finished uploads are moved to `<root>/<relativePath or filename>`. The info file stays in the
 * staging folder, marked delivered, so HEAD on a finished upload still answers Upload-Offset = Upload-Length (a client
 * whose last reply was lost sees it complete) until the upload's expiration passes; then HEAD answers 410.
 * The staging folder must exist before construction.
 */
export class DeliveringFileStore extends FileStore {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly staging: string,
    expirationMs: number,
    private readonly log: (line: string) => void,
  ) {
    super({ directory: staging, expirationPeriodInMilliseconds: expirationMs });
  }

  override async getUpload(id: string): Promise<Upload> {
    const info = await this.info(id);
    if (info?.hoist_delivered_path !== undefined) return deliveredUpload(info, join(this.root, info.hoist_delivered_path));
    let upload: Upload;
    try {
      upload = await super.getUpload(id);
    } catch (error) {
      // Delivered between our read of the info file and FileStore's stat of the (now moved) data file.
      const now = await this.info(id);
      if (now?.hoist_delivered_path !== undefined) return deliveredUpload(now, join(this.root, now.hoist_delivered_path));
      throw error;
    }
    // Complete but not moved (the move failed, or the process stopped in between): move it before saying "complete".
    if (upload.size !== undefined && upload.offset === upload.size) await this.deliver(id);
    return upload;
  }

  /** Moves a finished upload into place (once, however many requests ask at the same time); returns its relative path. */
  deliver(id: string): Promise<string> {
    let running = this.inFlight.get(id);
    if (!running) {
      running = this.moveIntoPlace(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, running);
    }
    return running;
  }

  /**
   * Housekeeping at start and then periodically: delivers complete uploads left behind, removes expired unfinished
   * uploads (FileStore) and the info files of delivered uploads once they expired.
   */
  async sweep(nowMs: number): Promise<void> {
    const names = await readdir(this.staging).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const id = name.slice(0, -'.json'.length);
      try {
        const info = await this.info(id);
        if (!info) continue;
        const dataPath = join(this.staging, id);
        const dataSize = await stat(dataPath).then((s) => s.size, () => undefined);
        if (info.hoist_delivered_path !== undefined) {
          if (dataSize !== undefined) await unlink(dataPath); // the link was made, the unlink was not
          if (this.isExpired(info, nowMs)) await unlink(join(this.staging, name));
        } else if (info.size !== undefined && dataSize === info.size) {
          await this.deliver(id);
        } else if (this.isExpired(info, nowMs)) {
          await this.remove(id);
        }
      } catch (error) {
        this.log(`could not tidy upload ${id}: ${(error as Error).message}`);
      }
    }
  }

  private async moveIntoPlace(id: string): Promise<string> {
    const info = await this.info(id);
    if (!info) throw new Error(`upload ${id} is unknown`);
    if (info.hoist_delivered_path !== undefined) return info.hoist_delivered_path;
    const check = checkRelativePath(targetNameOf(info.metadata, id));
    if (!check.ok) throw new Error(`the upload's file name is not allowed: ${check.reason}`);
    const realRoot = await realpath(this.root);
    const realFolder = await folderInside(realRoot, check.segments.slice(0, -1));
    const source = join(this.staging, id);
    const placed = await placeWithoutOverwriting(source, realFolder, check.segments.at(-1)!);
    const deliveredPath = relative(realRoot, placed).split(sep).join('/');
    // Record before removing the staging copy: a crash in between leaves a link the next sweep removes, not a lost file.
    await this.configstore.set(id, { ...info, offset: info.size ?? 0, hoist_delivered_path: deliveredPath } as unknown as Upload);
    await unlink(source).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.log(`received ${deliveredPath} (${(info.size ?? 0).toLocaleString('en-US')} bytes)`);
    return deliveredPath;
  }

  private isExpired(info: StoredInfo, nowMs: number): boolean {
    const expirationMs = this.getExpiration();
    if (!(expirationMs > 0) || !info.creation_date) return false;
    return Date.parse(info.creation_date) + expirationMs < nowMs;
  }

  private async info(id: string): Promise<StoredInfo | undefined> {
    try {
      return JSON.parse(await readFile(join(this.staging, `${id}.json`), 'utf8')) as StoredInfo;
    } catch {
      return undefined;
    }
  }
}

// FileStore's constructor starts an mkdir whose callback throws on failure (an uncaught exception if the folder vanishes
// meanwhile, e.g. a test removing it right after close). The receiver creates the staging folder itself, before
// constructing the store, so that step is switched off. Pinned @tus/file-store 2.1.1 names it checkOrCreateDirectory.
Object.defineProperty(DeliveringFileStore.prototype, 'checkOrCreateDirectory', { value: () => undefined });

function deliveredUpload(info: StoredInfo, path: string): Upload {
  const size = info.size ?? 0;
  return new Upload({ id: info.id, size, offset: size, metadata: info.metadata, creation_date: info.creation_date, storage: { type: 'file', path } });
}

/**
 * Creates root/a/b/… one level at a time, checking each level before going deeper, so that a symbolic link inside the
 * receive folder can never make us create or write anything outside it.
 */
async function folderInside(realRoot: string, segments: readonly string[]): Promise<string> {
  let folder = realRoot;
  for (const segment of segments) {
    await mkdir(join(folder, segment)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    folder = await realpath(join(folder, segment));
    if (!folder.startsWith(realRoot + sep)) throw new Error('the upload’s folder leads outside the receive folder (through a symbolic link)');
  }
  return folder;
}

/**
 * Puts `source` at folder/name, or "name (1)", "name (2)"… when taken. A hard link fails on an existing name, so two
 * uploads finishing together can never replace each other; without hard links, a checked rename (a tiny race window).
 * Returns the final path; `source` still exists after a link (the caller unlinks it).
 */
async function placeWithoutOverwriting(source: string, folder: string, name: string): Promise<string> {
  for (let n = 0; n < MAX_NUMBERED_NAMES; n++) {
    const target = join(folder, numberedName(name, n));
    try {
      await link(source, target);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') continue;
      if (!NO_HARD_LINKS.has(code)) throw error;
      const taken = await lstat(target).then(() => true, () => false);
      if (taken) continue;
      await rename(source, target);
      return target;
    }
  }
  throw new Error(`${MAX_NUMBERED_NAMES} files named like ${name} already exist`);
}
