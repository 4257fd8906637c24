import { UploadFailure } from '../domain/failure.js';
import type { HttpReply, HttpRequestInit } from './http.js';
import { boxFailure, conflictOfType, isNameInUse } from './box-errors.js';
import { folderSchema, itemsPageSchema, parseReply } from './box-replies.js';

/** An authorized Box call (the bearer token is added by the adapter). */
export type BoxSend = (url: string, init: HttpRequestInit) => Promise<HttpReply>;

export interface BoxItemMini {
  type: string;
  id: string;
  name?: string;
}

const PAGE_LIMIT = 1000;
// Box rejects offsets above 10,000; beyond that a folder is not searched further (creating then answers 409).
const MAX_OFFSET = 10_000;

/**
 * Remote folder paths → Box folder ids, creating what is missing through the API host. Only resolved ids are
 * cached: two uploads racing to create the same folder both end up with its id through the 409 conflict.
 */
export class BoxFolders {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly send: BoxSend,
    private readonly apiBase: string,
    private readonly rootId: string,
  ) {}

  /** Id of the folder at `path` ("/" is the configured root folder), creating missing folders on the way. */
  async ensure(path: string, signal: AbortSignal): Promise<string> {
    let parentId = this.rootId;
    let key = '';
    for (const name of segments(path)) {
      key += `/${name}`;
      const cached = this.ids.get(key);
      if (cached !== undefined) {
        parentId = cached;
        continue;
      }
      const existing = await this.findChild(parentId, name, signal, key);
      if (existing && existing.type !== 'folder') throw fileInTheWay(key);
      parentId = existing?.id ?? (await this.create(parentId, name, key, signal));
      this.ids.set(key, parentId);
    }
    return parentId;
  }

  /** Drops cached ids at and below `path` (the server said a folder is gone). */
  forget(path: string): void {
    const key = segments(path).map((s) => `/${s}`).join('');
    for (const cached of [...this.ids.keys()]) if (key === '' || cached === key || cached.startsWith(`${key}/`)) this.ids.delete(cached);
  }

  isRoot(path: string): boolean {
    return segments(path).length === 0;
  }

  /** The child of `folderId` with exactly this name (files and folders share one namespace). */
  async findChild(folderId: string, name: string, signal: AbortSignal, pathForErrors = name): Promise<BoxItemMini | undefined> {
    let found: BoxItemMini | undefined;
    await this.eachChild(folderId, signal, pathForErrors, (item) => {
      if (item.name === name) found = item;
      return found !== undefined;
    });
    return found;
  }

  /** Every child name of a folder (for picking a free "name (n).ext"). */
  async childNames(folderId: string, signal: AbortSignal): Promise<Set<string>> {
    const names = new Set<string>();
    await this.eachChild(folderId, signal, `folder ${folderId}`, (item) => {
      if (item.name !== undefined) names.add(item.name);
      return false;
    });
    return names;
  }

  /** Pages through `GET /folders/{id}/items` until `visit` says stop or every entry was seen. */
  private async eachChild(folderId: string, signal: AbortSignal, what: string, visit: (item: BoxItemMini) => boolean): Promise<void> {
    for (let offset = 0; offset <= MAX_OFFSET; ) {
      const url = `${this.apiBase}/folders/${encodeURIComponent(folderId)}/items?fields=type,id,name&offset=${offset}&limit=${PAGE_LIMIT}`;
      const reply = await this.send(url, { method: 'GET', signal });
      if (reply.status === 404) throw this.gone(what, folderId);
      if (reply.status !== 200) throw boxFailure(reply, `listing the Box folder ${what}`, 'api');
      const page = parseReply(reply, itemsPageSchema, 'folder listing');
      for (const entry of page.entries) if (visit(entry)) return;
      offset += page.entries.length;
      if (page.entries.length === 0 || offset >= page.total_count) return;
    }
  }

  private async create(parentId: string, name: string, key: string, signal: AbortSignal): Promise<string> {
    const reply = await this.send(`${this.apiBase}/folders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, parent: { id: parentId } }),
      signal,
    });
    if (reply.status === 201 || reply.status === 200) return parseReply(reply, folderSchema, 'created folder').id;
    if (isNameInUse(reply)) {
      // Someone (perhaps another upload of ours) created it meanwhile: use theirs.
      const folder = conflictOfType(reply, 'folder', name);
      if (folder) return folder.id;
      throw fileInTheWay(key);
    }
    if (reply.status === 404) throw this.gone(key, parentId);
    throw boxFailure(reply, `creating the Box folder ${key}`, 'api');
  }

  private gone(what: string, folderId: string): UploadFailure {
    if (folderId === this.rootId) {
      const reason = `The Box folder ${this.rootId} (the destination's root) does not exist or this account cannot see it.`;
      return new UploadFailure({ kind: 'fatal', code: 'not-found', reason });
    }
    this.ids.clear();
    return new UploadFailure({ kind: 'retry', reason: `a Box folder on the way to ${what} no longer exists; the path will be walked again` });
  }
}

function segments(path: string): string[] {
  return path.replaceAll('\\', '/').split('/').filter((s) => s !== '' && s !== '.');
}

function fileInTheWay(path: string): UploadFailure {
  return new UploadFailure({ kind: 'fatal', code: 'name-conflict', reason: `"${path}" is a file on Box, but a folder is needed there.` });
}
