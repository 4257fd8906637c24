/**
 * The drive side of the Graph emulator: a case-insensitive tree of files (bytes on disk, one file per item id) and implicit
 * folders, name validation, conflict resolution at commit time, and the driveItem JSON the service returns.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { GraphFailure, invalidRequest, isoTime, itemNotFound } from './graph-odata.js';
import { decodePath, decodeSegment, type DriveTarget } from './graph-routes.js';

export type ConflictBehavior = 'fail' | 'replace' | 'rename';

export interface DriveFile {
  kind: 'file';
  id: string;
  segments: string[];
  sizeBytes: number;
  sha256Hex: string;
  quickXorHash: string;
  storagePath: string;
  createdAtMs: number;
  modifiedAtMs: number;
  version: number;
  tagGuid: string;
}

interface DriveFolder {
  kind: 'folder';
  id: string;
  segments: string[];
  createdAtMs: number;
}

export interface CommitRequest {
  segments: string[];
  conflictBehavior: ConflictBehavior;
  /** Complete content, renamed into place (never copied) so commit cost does not depend on size. */
  sourcePath: string;
  sizeBytes: number;
  sha256Hex: string;
  quickXorHash: string;
  nowMs: number;
}

const INVALID_NAME = /["*:<>?/\\|\x00-\x1f]/;
const MAX_RENAME_ATTEMPTS = 10_000;

const keyOf = (segments: string[]): string => segments.join('/').toLowerCase();
const newItemId = (): string => `01${randomBytes(16).toString('hex').toUpperCase()}`;

export class GraphDrive {
  private readonly files = new Map<string, DriveFile>();
  private readonly folders = new Map<string, DriveFolder>();
  private readonly byId = new Map<string, DriveFile | DriveFolder>();
  private readonly root: DriveFolder;

  constructor(
    readonly driveId: string,
    private readonly itemsDir: string,
    /** How parentReference.path addresses this drive: '/drive' for the caller's own drive, '/drives/{id}' otherwise. */
    private readonly apiPrefix: string,
  ) {
    this.root = { kind: 'folder', id: newItemId(), segments: [], createdAtMs: Date.now() };
    this.folders.set('', this.root);
    this.byId.set(this.root.id, this.root);
  }

  listFiles(): DriveFile[] {
    return [...this.files.values()];
  }

  /** Decodes and validates the target's path (for `id` targets, the existing item's path). */
  resolveSegments(target: DriveTarget): string[] {
    let segments: string[];
    if (target.kind === 'path') {
      segments = decodePath(target.rawPath);
    } else if (target.kind === 'child') {
      const parent = this.byIdOrRoot(decodeSegment(target.rawParentId));
      if (!parent) throw new GraphFailure(itemNotFound('The parent item was not found.'));
      if (parent.kind === 'file') throw new GraphFailure(invalidRequest('The parent item is not a folder.'));
      segments = [...parent.segments, ...decodePath(target.rawPath)];
    } else {
      const item = this.byIdOrRoot(decodeSegment(target.rawItemId));
      if (!item) throw new GraphFailure(itemNotFound());
      segments = [...item.segments];
    }
    for (const name of segments) validateName(name);
    return segments;
  }

  find(segments: string[]): DriveFile | DriveFolder | undefined {
    const key = keyOf(segments);
    return this.files.get(key) ?? this.folders.get(key);
  }

  /** If-Match / If-None-Match on create, matched against either the eTag or the cTag as the service does. */
  checkPreconditions(segments: string[], ifMatch: string | undefined, ifNoneMatch: string | undefined): void {
    const existing = this.files.get(keyOf(segments));
    const tags = existing ? [etagOf(existing), ctagOf(existing)].map(unquote) : [];
    const matches = (header: string): boolean =>
      header.split(',').some((raw) => {
        const tag = unquote(raw.trim());
        return tag === '*' ? existing !== undefined : tags.includes(tag);
      });
    if ((ifMatch && !matches(ifMatch)) || (ifNoneMatch && matches(ifNoneMatch))) {
      throw new GraphFailure({
        status: 412,
        code: 'resourceModified',
        message: 'ETag does not match current item\'s value',
        innerCode: 'entityTagDoesNotMatch',
      });
    }
  }

  /** Places finished content at `segments`, resolving a name conflict; 201 for a new item, 200 for a replaced one. */
  commit(req: CommitRequest): { status: 200 | 201; file: DriveFile } {
    let segments = req.segments;
    for (let depth = 1; depth < segments.length; depth++) {
      if (this.files.has(keyOf(segments.slice(0, depth)))) throw nameAlreadyExists(segments[depth - 1]!);
    }
    const existing = this.find(segments);
    if (existing && req.conflictBehavior === 'rename') {
      segments = this.freeName(segments);
    } else if (existing && (req.conflictBehavior === 'fail' || existing.kind === 'folder')) {
      throw nameAlreadyExists(segments[segments.length - 1]!);
    } else if (existing?.kind === 'file') {
      renameSync(req.sourcePath, existing.storagePath);
      Object.assign(existing, {
        sizeBytes: req.sizeBytes,
        sha256Hex: req.sha256Hex,
        quickXorHash: req.quickXorHash,
        modifiedAtMs: req.nowMs,
        version: existing.version + 1,
      });
      return { status: 200, file: existing };
    }
    this.ensureFolders(segments.slice(0, -1), req.nowMs);
    const id = newItemId();
    const file: DriveFile = {
      kind: 'file',
      id,
      segments,
      sizeBytes: req.sizeBytes,
      sha256Hex: req.sha256Hex,
      quickXorHash: req.quickXorHash,
      storagePath: join(this.itemsDir, id),
      createdAtMs: req.nowMs,
      modifiedAtMs: req.nowMs,
      version: 1,
      tagGuid: randomUUID().toUpperCase(),
    };
    renameSync(req.sourcePath, file.storagePath);
    this.files.set(keyOf(segments), file);
    this.byId.set(id, file);
    return { status: 201, file };
  }

  itemJson(item: DriveFile | DriveFolder): Record<string, unknown> {
    const parentSegments = item.segments.slice(0, -1);
    const parent = this.folders.get(keyOf(parentSegments));
    const base: Record<string, unknown> = {
      id: item.id,
      name: item.segments[item.segments.length - 1] ?? 'root',
      createdDateTime: isoTime(item.createdAtMs),
      // The real service answers with a SharePoint/OneDrive page for the item; any https URL serves the window's "Open".
      webUrl: `https://contoso-my.sharepoint.com/personal/drive${item.segments.map((s) => `/${encodeURIComponent(s)}`).join('')}`,
    };
    if (item.segments.length > 0) {
      base.parentReference = {
        driveType: 'business',
        driveId: this.driveId,
        id: parent?.id ?? this.root.id,
        path: `${this.apiPrefix}/root:${parentSegments.map((s) => `/${encodeURIComponent(s)}`).join('')}`,
      };
    } else {
      base.root = {};
    }
    if (item.kind === 'folder') {
      const prefix = item.segments.length === 0 ? '' : `${keyOf(item.segments)}/`;
      const children = [...this.files.keys(), ...this.folders.keys()].filter(
        (k) => k.startsWith(prefix) && k !== '' && !k.slice(prefix.length).includes('/'),
      );
      return { ...base, lastModifiedDateTime: base.createdDateTime, size: 0, folder: { childCount: children.length } };
    }
    return {
      ...base,
      eTag: etagOf(item),
      cTag: ctagOf(item),
      lastModifiedDateTime: isoTime(item.modifiedAtMs),
      size: item.sizeBytes,
      file: {
        mimeType: 'application/octet-stream',
        hashes: { quickXorHash: item.quickXorHash, sha256Hash: item.sha256Hex.toUpperCase() },
      },
      fileSystemInfo: { createdDateTime: isoTime(item.createdAtMs), lastModifiedDateTime: isoTime(item.modifiedAtMs) },
    };
  }

  private byIdOrRoot(id: string): DriveFile | DriveFolder | undefined {
    return id.toLowerCase() === 'root' ? this.root : this.byId.get(id);
  }

  private ensureFolders(segments: string[], nowMs: number): void {
    for (let depth = 1; depth <= segments.length; depth++) {
      const prefix = segments.slice(0, depth);
      if (this.folders.has(keyOf(prefix))) continue;
      const folder: DriveFolder = { kind: 'folder', id: newItemId(), segments: prefix, createdAtMs: nowMs };
      this.folders.set(keyOf(prefix), folder);
      this.byId.set(folder.id, folder);
    }
  }

  /** OneDrive's rename: "name 1.ext", "name 2.ext", … (the extension is kept). */
  private freeName(segments: string[]): string[] {
    const name = segments[segments.length - 1]!;
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 1; n <= MAX_RENAME_ATTEMPTS; n++) {
      const candidate = [...segments.slice(0, -1), `${stem} ${n}${ext}`];
      if (!this.find(candidate)) return candidate;
    }
    throw nameAlreadyExists(name);
  }
}

export function validateName(name: string): void {
  if (name === '' || name === '.' || name === '..' || INVALID_NAME.test(name) || name.length > 255 || name !== name.trim()) {
    throw new GraphFailure(invalidRequest(`The provided name '${name}' is not valid.`));
  }
}

export function parseConflictBehavior(value: unknown, fallback: ConflictBehavior): ConflictBehavior {
  if (value === undefined || value === null) return fallback;
  if (value === 'fail' || value === 'replace' || value === 'rename') return value;
  throw new GraphFailure(invalidRequest(`Invalid value '${String(value)}' for @microsoft.graph.conflictBehavior.`));
}

function nameAlreadyExists(name: string): GraphFailure {
  return new GraphFailure({
    status: 409,
    code: 'nameAlreadyExists',
    message: `The specified item name already exists. Name: ${name}`,
  });
}

const etagOf = (f: DriveFile): string => `"{${f.tagGuid}},${f.version}"`;
const ctagOf = (f: DriveFile): string => `"c:{${f.tagGuid}},${f.version}"`;
const unquote = (tag: string): string => tag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
