/**
 * Box API-host routes the uploader needs around sessions (folders, file metadata) and the plain multipart upload
 * used below the chunked minimum.
 */
import { rm } from 'node:fs/promises';
import { parseMultipart, readJsonObject, readSmallBody, writeHashed } from './box-body.js';
import { type BoxRequest, type BoxWorld, fileConflict } from './box-session-routes.js';
import { type Reply, fail, isValidItemName, pageParams } from './box-wire.js';

const NOT_FOUND = 'Could not find the specified resource';
// Box's plain upload accepts up to 50 MB; bigger files must use upload sessions.
const PLAIN_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

export function getFolder(world: BoxWorld, id: string): Reply {
  if (!world.store.folderExists(id)) fail(404, 'not_found', NOT_FOUND);
  return { status: 200, body: world.store.folderJson(id) };
}

export function getFolderItems(world: BoxWorld, rq: BoxRequest, id: string): Reply {
  if (!world.store.folderExists(id)) fail(404, 'not_found', NOT_FOUND);
  const { offset, limit } = pageParams(rq.url, 100);
  return { status: 200, body: world.store.itemsPage(id, offset, limit) };
}

export function getFile(world: BoxWorld, id: string): Reply {
  const file = world.store.files.get(id);
  if (!file) fail(404, 'not_found', NOT_FOUND);
  return { status: 200, body: world.store.fileJson(file) };
}

export async function createFolder(world: BoxWorld, rq: BoxRequest): Promise<Reply> {
  const { store } = world;
  const body = await readJsonObject(rq.req, world.cap, rq.counter, 1024 * 1024);
  const name = body.name;
  const parentId = (body.parent as { id?: unknown } | undefined)?.id;
  if (typeof name !== 'string') fail(400, 'bad_request', "'name' is required");
  if (!isValidItemName(name)) fail(400, 'item_name_invalid', 'Item name invalid');
  if (typeof parentId !== 'string') fail(400, 'bad_request', "'parent.id' is required");
  if (!store.folderExists(parentId)) fail(404, 'not_found', NOT_FOUND);
  const taken = store.childNamed(parentId, name);
  // Folder creation reports conflicts as an array (ruby-box#93), unlike the single object of uploads.
  if (taken) fail(409, 'item_name_in_use', 'Item with the same name already exists', { conflicts: [store.itemMini(taken)] });
  const folder = store.createFolder(name, parentId, Date.now());
  return { status: 201, body: store.folderJson(folder.id) };
}

/** `POST /files/content` (new file) and `POST /files/{id}/content` (new version): attributes part, then file part. */
export async function plainUpload(world: BoxWorld, rq: BoxRequest, fileId: string | undefined): Promise<Reply> {
  const { store } = world;
  const existing = fileId === undefined ? undefined : store.files.get(fileId);
  if (fileId !== undefined && !existing) fail(404, 'not_found', NOT_FOUND);
  const raw = await readSmallBody(rq.req, world.cap, rq.counter, PLAIN_UPLOAD_LIMIT_BYTES);
  const parts = parseMultipart(raw, rq.req.headers['content-type']);
  if (!parts) fail(400, 'bad_request', 'Body must be multipart/form-data');
  const fileIndex = parts.findIndex((p) => p.name === 'file' || p.fileName !== undefined);
  const attributesIndex = parts.findIndex((p) => p.name === 'attributes');
  const filePart = parts[fileIndex];
  if (!filePart) fail(400, 'bad_request', 'A file part is required');
  if (attributesIndex > fileIndex) fail(400, 'metadata_after_file_contents', 'The attributes part must come before the file part');
  const attributesPart = parts[attributesIndex];
  if (!attributesPart && !existing) fail(400, 'bad_request', 'An attributes part is required');
  let attributes: Record<string, unknown> = {};
  try {
    if (attributesPart) attributes = JSON.parse(attributesPart.data.toString('utf8')) as Record<string, unknown>;
  } catch {
    fail(400, 'bad_request', 'attributes is not valid JSON');
  }
  const name = attributes.name ?? existing?.name;
  if (typeof name !== 'string') fail(400, 'missing_file_name', "'name' is required in attributes");
  if (!isValidItemName(name)) fail(400, 'item_name_invalid', 'Item name invalid');
  const folderId = existing?.folderId ?? (attributes.parent as { id?: unknown } | undefined)?.id;
  if (typeof folderId !== 'string') fail(400, 'missing_destination', "'parent.id' is required in attributes");
  if (!store.folderExists(folderId)) fail(404, 'not_found', NOT_FOUND);
  const ifMatch = rq.req.headers['if-match'];
  if (existing && ifMatch !== undefined && ifMatch !== String(existing.versions - 1)) fail(412, 'precondition_failed', 'The resource has been modified (If-Match)');
  const taken = store.childNamed(folderId, name, existing?.id);
  if (taken) fail(409, 'item_name_in_use', 'Item with the same name already exists', fileConflict(store, taken));
  const path = store.tmpPath();
  const written = await writeHashed(path, filePart.data);
  try {
    const file = await store.installContent(
      { ...(existing ? { existing } : {}), name, folderId },
      { path, size: written.bytes, sha1: written.sha1, sha256: written.sha256 },
      {
        ...(typeof attributes.content_created_at === 'string' ? { contentCreatedAt: attributes.content_created_at } : {}),
        ...(typeof attributes.content_modified_at === 'string' ? { contentModifiedAt: attributes.content_modified_at } : {}),
      },
      Date.now(),
    );
    return { status: 201, body: { total_count: 1, entries: [store.fileJson(file)] } };
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}
