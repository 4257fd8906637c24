/**
 * The Box emulator's world: folders, files and upload sessions, their JSON views, and the on-disk layout
 * (`parts/<session>/…` for stored parts, `files/<id>` for committed content, `tmp/` for work in progress).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { boxTimestamp, newPartId } from './box-wire.js';

export interface StoredPart {
  partId: string;
  offset: number;
  size: number;
  sha1Hex: string;
  path: string;
  storedAtMs: number;
}

export type SessionState = 'open' | 'committing' | 'committed' | 'aborted' | 'expired' | 'failed';

export interface UploadSession {
  id: string;
  fileName: string;
  folderId: string;
  /** Set for a new-version session. */
  fileId?: string;
  fileSizeBytes: number;
  partSizeBytes: number;
  totalParts: number;
  expiresAtMs: number;
  state: SessionState;
  parts: Map<number, StoredPart>;
  /** Byte ranges of part bodies still arriving, to detect a second upload of the same chunk. */
  receiving: Set<{ first: number; last: number }>;
  bytesReceivedTotal: number;
  commitAttempts: number;
}

export interface FolderRecord {
  id: string;
  name: string;
  parentId: string;
  createdAtMs: number;
}

export interface FileRecord {
  id: string;
  name: string;
  folderId: string;
  size: number;
  sha1Hex: string;
  sha256Hex: string;
  versions: number;
  versionId: string;
  storagePath: string;
  createdAtMs: number;
  modifiedAtMs: number;
  contentCreatedAt?: string;
  contentModifiedAt?: string;
}

export type Item = { type: 'file'; file: FileRecord } | { type: 'folder'; folder: FolderRecord };

export const ROOT_FOLDER_ID = '0';

export class BoxStore {
  readonly folders = new Map<string, FolderRecord>();
  readonly files = new Map<string, FileRecord>();
  readonly sessions = new Map<string, UploadSession>();
  // Box ids are decimal strings of about 12 digits.
  private nextNumericId = 100_000_000_000;

  constructor(readonly storageDir: string) {
    for (const dir of ['parts', 'files', 'tmp']) mkdirSync(`${storageDir}/${dir}`, { recursive: true });
  }

  newNumericId(): string {
    this.nextNumericId += 1;
    return String(this.nextNumericId);
  }

  tmpPath(): string {
    return `${this.storageDir}/tmp/${newPartId()}${newPartId()}.tmp`;
  }

  async partPath(session: UploadSession): Promise<string> {
    const dir = `${this.storageDir}/parts/${session.id}`;
    await mkdir(dir, { recursive: true });
    return `${dir}/${newPartId()}${newPartId()}.part`;
  }

  /** Frees a finished session's part files; the part records stay so tests can still inspect what arrived. */
  async discardParts(session: UploadSession): Promise<void> {
    await rm(`${this.storageDir}/parts/${session.id}`, { recursive: true, force: true });
  }

  /** Moves an open session past its expiry into 'expired' (and frees its disk); the server does this lazily too. */
  observeExpiry(session: UploadSession, nowMs: number): void {
    if (session.state === 'open' && nowMs >= session.expiresAtMs) {
      session.state = 'expired';
      void this.discardParts(session);
    }
  }

  folderExists(id: string): boolean {
    return id === ROOT_FOLDER_ID || this.folders.has(id);
  }

  /** Box keeps folders first, then files, each by name. */
  children(folderId: string): Item[] {
    const folders = [...this.folders.values()].filter((f) => f.parentId === folderId).sort((a, b) => a.name.localeCompare(b.name));
    const files = [...this.files.values()].filter((f) => f.folderId === folderId).sort((a, b) => a.name.localeCompare(b.name));
    return [...folders.map((folder) => ({ type: 'folder' as const, folder })), ...files.map((file) => ({ type: 'file' as const, file }))];
  }

  /** Files and folders share one namespace per folder. `exceptId` lets a renamed version ignore itself. */
  childNamed(folderId: string, name: string, exceptId?: string): Item | undefined {
    return this.children(folderId).find((item) => {
      const record = item.type === 'file' ? item.file : item.folder;
      return record.name === name && record.id !== exceptId;
    });
  }

  createFolder(name: string, parentId: string, nowMs: number): FolderRecord {
    const folder = { id: this.newNumericId(), name, parentId, createdAtMs: nowMs };
    this.folders.set(folder.id, folder);
    return folder;
  }

  usedBytes(): number {
    let total = 0;
    for (const file of this.files.values()) total += file.size;
    return total;
  }

  /** Concatenates parts (sorted by offset) into a temp file, hashing once per byte in file order. */
  async assemble(parts: StoredPart[]): Promise<{ path: string; sha1: Buffer; sha256: Buffer }> {
    const path = this.tmpPath();
    const sha1 = createHash('sha1');
    const sha256 = createHash('sha256');
    const out = await open(path, 'w');
    const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
    try {
      for (const part of parts) {
        const input = await open(part.path, 'r');
        try {
          for (;;) {
            const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
            if (bytesRead === 0) break;
            const chunk = buffer.subarray(0, bytesRead);
            sha1.update(chunk);
            sha256.update(chunk);
            await out.write(chunk);
          }
        } finally {
          await input.close();
        }
      }
    } finally {
      await out.close();
    }
    return { path, sha1: sha1.digest(), sha256: sha256.digest() };
  }

  /** Installs content from `contentPath` as a new file or as a new version of `existing` (content replaced). */
  async installContent(
    target: { existing?: FileRecord; name: string; folderId: string },
    content: { path: string; size: number; sha1: Buffer; sha256: Buffer },
    attributes: { contentCreatedAt?: string; contentModifiedAt?: string },
    nowMs: number,
  ): Promise<FileRecord> {
    const id = target.existing?.id ?? this.newNumericId();
    const storagePath = `${this.storageDir}/files/${id}`;
    await rename(content.path, storagePath);
    const file: FileRecord = {
      id,
      name: target.name,
      folderId: target.folderId,
      size: content.size,
      sha1Hex: content.sha1.toString('hex'),
      sha256Hex: content.sha256.toString('hex'),
      versions: (target.existing?.versions ?? 0) + 1,
      versionId: this.newNumericId(),
      storagePath,
      createdAtMs: target.existing?.createdAtMs ?? nowMs,
      modifiedAtMs: nowMs,
      ...(attributes.contentCreatedAt ? { contentCreatedAt: attributes.contentCreatedAt } : {}),
      ...(attributes.contentModifiedAt ? { contentModifiedAt: attributes.contentModifiedAt } : {}),
    };
    this.files.set(id, file);
    return file;
  }

  // ---- JSON views (field names as Box sends them) ----

  folderMini(id: string): Record<string, unknown> {
    const folder = this.folders.get(id);
    if (!folder) return { type: 'folder', id: ROOT_FOLDER_ID, sequence_id: null, etag: null, name: 'All Files' };
    return { type: 'folder', id: folder.id, sequence_id: '0', etag: '0', name: folder.name };
  }

  pathCollection(folderId: string): Record<string, unknown> {
    const entries: Array<Record<string, unknown>> = [];
    for (let id: string | undefined = folderId; id !== undefined; id = id === ROOT_FOLDER_ID ? undefined : this.folders.get(id)?.parentId) {
      entries.unshift(this.folderMini(id));
    }
    return { total_count: entries.length, entries };
  }

  fileMini(file: FileRecord): Record<string, unknown> {
    const etag = String(file.versions - 1);
    return {
      type: 'file',
      id: file.id,
      sequence_id: etag,
      etag,
      sha1: file.sha1Hex,
      name: file.name,
      file_version: { type: 'file_version', id: file.versionId, sha1: file.sha1Hex },
    };
  }

  itemMini(item: Item): Record<string, unknown> {
    return item.type === 'file' ? this.fileMini(item.file) : this.folderMini(item.folder.id);
  }

  fileJson(file: FileRecord): Record<string, unknown> {
    return {
      ...this.fileMini(file),
      size: file.size,
      parent: this.folderMini(file.folderId),
      path_collection: this.pathCollection(file.folderId),
      created_at: boxTimestamp(file.createdAtMs),
      modified_at: boxTimestamp(file.modifiedAtMs),
      content_created_at: file.contentCreatedAt ?? boxTimestamp(file.createdAtMs),
      content_modified_at: file.contentModifiedAt ?? boxTimestamp(file.modifiedAtMs),
      item_status: 'active',
    };
  }

  /** Page of a folder's items, as both `GET /folders/{id}/items` and `item_collection` use it. */
  itemsPage(folderId: string, offset: number, limit: number): Record<string, unknown> {
    const all = this.children(folderId);
    return {
      total_count: all.length,
      entries: all.slice(offset, offset + limit).map((item) => this.itemMini(item)),
      offset,
      limit,
      order: [
        { by: 'type', direction: 'ASC' },
        { by: 'name', direction: 'ASC' },
      ],
    };
  }

  folderJson(id: string): Record<string, unknown> {
    const folder = this.folders.get(id);
    return {
      ...this.folderMini(id),
      created_at: folder ? boxTimestamp(folder.createdAtMs) : null,
      parent: folder ? this.folderMini(folder.parentId) : null,
      path_collection: folder ? this.pathCollection(folder.parentId) : { total_count: 0, entries: [] },
      item_status: 'active',
      item_collection: this.itemsPage(id, 0, 100),
    };
  }

  sessionJson(session: UploadSession, sessionBaseUrl: string, processedParts: number): Record<string, unknown> {
    const base = `${sessionBaseUrl}/files/upload_sessions/${session.id}`;
    return {
      id: session.id,
      type: 'upload_session',
      session_expires_at: boxTimestamp(session.expiresAtMs),
      part_size: session.partSizeBytes,
      total_parts: session.totalParts,
      num_parts_processed: processedParts,
      session_endpoints: {
        upload_part: base,
        commit: `${base}/commit`,
        abort: base,
        list_parts: `${base}/parts`,
        status: base,
        log_event: `${base}/log`,
      },
    };
  }
}
