/**
 * Upload Sessions API handlers (protocols.md §1.1–1.6): create, part, status, list parts, commit, abort, log.
 * Checks run in the order §1.6 gives, so tests can rely on which error wins.
 */
import type { IncomingMessage } from 'node:http';
import { rm } from 'node:fs/promises';
import type { ThroughputCap } from './faults.js';
import { type BodyCounter, readJsonObject, readSmallBody, receiveToFile } from './box-body.js';
import type { BoxStore, FileRecord, Item, StoredPart, UploadSession } from './box-store.js';
import { type Reply, SESSION_ID_PATTERN, fail, isValidItemName, newPartId, newSessionId, pageParams, parseDigestHeader } from './box-wire.js';

export interface BoxSettings {
  minChunkedFileBytes: number;
  partSizeBytes: (fileSizeBytes: number) => number;
  sessionTtlMs: number;
  commitProcessingDelayMs: number;
  partsMismatchWindowMs: number;
  listPartsTotalCount: 'stored' | 'expected';
  duplicateCreateCode?: 'session_conflict' | 'name_temporarily_reserved';
  storageQuotaBytes?: number;
  maxFileSizeBytes?: number;
}

export interface BoxWorld {
  store: BoxStore;
  settings: BoxSettings;
  cap: ThroughputCap;
  /** Base of the returned `session_endpoints` (deliberately not the create base). */
  sessionBaseUrl: string;
}

export interface BoxRequest {
  req: IncomingMessage;
  url: URL;
  counter: BodyCounter;
}

const JSON_LIMIT_BYTES = 1024 * 1024;
// 10,000 parts of ~120 JSON bytes each fit comfortably; beyond that Box's legacy spec answers 413.
const COMMIT_LIMIT_BYTES = 16 * 1024 * 1024;
const NOT_FOUND = 'Could not find the specified resource';

/** Box sends one conflicting item as an object at upload time (syndesis#5233). */
export function fileConflict(store: BoxStore, item: Item): Record<string, unknown> {
  return { conflicts: store.itemMini(item) };
}

function processedParts(world: BoxWorld, session: UploadSession, nowMs: number): number {
  let count = 0;
  for (const part of session.parts.values()) if (part.storedAtMs + world.settings.commitProcessingDelayMs <= nowMs) count += 1;
  return count;
}

function partJson(part: StoredPart): Record<string, unknown> {
  return { part_id: part.partId, offset: part.offset, size: part.size, sha1: part.sha1Hex };
}

function lookupSession(world: BoxWorld, id: string): UploadSession {
  if (!SESSION_ID_PATTERN.test(id)) fail(400, 'invalid_upload_session_id', 'The upload session id is malformed');
  const session = world.store.sessions.get(id);
  if (!session || session.state === 'committed' || session.state === 'aborted') fail(404, 'not_found', NOT_FOUND);
  world.store.observeExpiry(session, Date.now());
  if (session.state === 'expired') fail(410, 'session_expired', 'The upload session has expired');
  if (session.state === 'failed') fail(410, 'upload_failed', 'The upload session is in an unrecoverable state');
  return session;
}

export async function createSession(world: BoxWorld, rq: BoxRequest, fileId: string | undefined): Promise<Reply> {
  const { store, settings } = world;
  const body = await readJsonObject(rq.req, world.cap, rq.counter, JSON_LIMIT_BYTES);
  const existing = fileId === undefined ? undefined : store.files.get(fileId);
  if (fileId !== undefined && !existing) fail(404, 'not_found', NOT_FOUND);
  let folderId = existing?.folderId;
  if (!existing) {
    const raw = body.folder_id;
    if (raw === undefined || raw === null || raw === '') fail(400, 'missing_destination', 'folder_id is required');
    const isValid = (typeof raw === 'string' && /^\d+$/.test(raw)) || (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0);
    if (!isValid) fail(400, 'invalid_folder_id', `folder_id '${String(raw)}' is not a valid folder id`);
    folderId = String(raw);
  }
  const rawName = body.file_name;
  if (rawName === undefined && !existing) fail(400, 'missing_file_name', 'file_name is required');
  if (rawName !== undefined && (typeof rawName !== 'string' || !isValidItemName(rawName))) fail(400, 'item_name_invalid', 'Item name invalid');
  const fileName = typeof rawName === 'string' ? rawName : (existing?.name ?? '');
  const size = body.file_size;
  if (size === undefined || size === null) fail(400, 'missing_file_size', 'file_size is required');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(400, 'invalid_file_size', 'file_size must be a non-negative integer');
  if (size < settings.minChunkedFileBytes) {
    fail(400, 'file_size_too_small', `File size is less than minimum allowed for this API: ${settings.minChunkedFileBytes}`);
  }
  if (folderId === undefined || !store.folderExists(folderId)) fail(404, 'invalid_parameter', `Folder ${String(folderId)} was not found`);
  const taken = store.childNamed(folderId, fileName, existing?.id);
  if (taken) fail(409, 'item_name_in_use', 'Item with the same name already exists', fileConflict(store, taken));
  if (settings.maxFileSizeBytes !== undefined && size > settings.maxFileSizeBytes) {
    fail(403, 'file_size_limit_exceeded', `File size exceeds the account limit of ${settings.maxFileSizeBytes} bytes`);
  }
  if (settings.storageQuotaBytes !== undefined && store.usedBytes() + size > settings.storageQuotaBytes) {
    fail(403, 'storage_limit_exceeded', 'Account storage limit reached');
  }
  const nowMs = Date.now();
  if (settings.duplicateCreateCode) rejectDuplicate(world, folderId, fileName, existing, nowMs);
  const partSizeBytes = settings.partSizeBytes(size);
  const session: UploadSession = {
    id: newSessionId(),
    fileName,
    folderId,
    ...(existing ? { fileId: existing.id } : {}),
    fileSizeBytes: size,
    partSizeBytes,
    totalParts: Math.ceil(size / partSizeBytes),
    expiresAtMs: nowMs + settings.sessionTtlMs,
    state: 'open',
    parts: new Map(),
    receiving: new Set(),
    bytesReceivedTotal: 0,
    commitAttempts: 0,
  };
  store.sessions.set(session.id, session);
  return { status: 201, body: store.sessionJson(session, world.sessionBaseUrl, 0) };
}

/** Opt-in: a second create for an upload that already has an open session (box-ui-elements adopts `session_conflict`). */
function rejectDuplicate(world: BoxWorld, folderId: string, fileName: string, existing: FileRecord | undefined, nowMs: number): void {
  const { store, settings } = world;
  const open = [...store.sessions.values()].find((s) => {
    store.observeExpiry(s, nowMs);
    return s.state === 'open' && s.folderId === folderId && s.fileName === fileName && s.fileId === existing?.id;
  });
  if (!open) return;
  if (settings.duplicateCreateCode === 'session_conflict') {
    fail(409, 'session_conflict', 'A session already exists for this upload', {
      session: store.sessionJson(open, world.sessionBaseUrl, processedParts(world, open, nowMs)),
    });
  }
  fail(409, 'name_temporarily_reserved', 'The name is temporarily reserved by another upload in progress');
}

function parseContentRange(header: string | undefined): { first: number; last: number; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { first: Number(match[1]), last: Number(match[2]), total: Number(match[3]) };
}

// 416 code is undocumented (protocols.md §1.4 [UNVERIFIED]); only the status is Box's.
function rangeError(why: string): never {
  fail(416, 'requested_range_not_satisfiable', why);
}

function checkRange(session: UploadSession, header: string | undefined, bodyBytes: number): { first: number; last: number } {
  const range = parseContentRange(header);
  if (!range) rangeError('Content-Range must be "bytes <first>-<last>/<total>"');
  if (range.total !== session.fileSizeBytes) rangeError(`Content-Range total ${range.total} is not the session file size ${session.fileSizeBytes}`);
  if (range.last < range.first || range.last >= session.fileSizeBytes) rangeError('Content-Range lies outside the file');
  if (range.first % session.partSizeBytes !== 0) rangeError(`Part offset must be a multiple of part_size ${session.partSizeBytes}`);
  const expectedBytes = Math.min(session.partSizeBytes, session.fileSizeBytes - range.first);
  if (range.last - range.first + 1 !== expectedBytes) rangeError(`The part at offset ${range.first} must be ${expectedBytes} bytes`);
  if (bodyBytes !== expectedBytes) rangeError('Body length does not match Content-Range');
  return range;
}

/**
 * How many body bytes the part declares. protocols.md §1.3/§1.4 list 411 `length_required` for a part without
 * Content-Length, yet box-node-sdk 10.12.0 (`chunkedUploads.uploadBigFile`, `uploadFilePartByUrl`) streams every part
 * with `Transfer-Encoding: chunked` and no Content-Length, and succeeds against the service. So a chunked part is
 * accepted and judged by the bytes that actually arrive against its Content-Range (400 `request_size_mismatch` when
 * they differ, as for a body that misses its Content-Length). Only a part with no body framing at all stays 411.
 */
function declaredBodyBytes(req: IncomingMessage): number | 'chunked' {
  const declared = req.headers['content-length'];
  if (declared !== undefined) return Number(declared);
  if (/\bchunked\b/i.test(req.headers['transfer-encoding'] ?? '')) return 'chunked';
  fail(411, 'length_required', 'Content-Length header is required');
}

export async function uploadPart(world: BoxWorld, rq: BoxRequest, id: string): Promise<Reply> {
  const { store } = world;
  const session = lookupSession(world, id);
  const declared = declaredBodyBytes(rq.req);
  // A second upload of a chunk whose first upload is still arriving: Box lists 409 "conflicts with another chunk".
  const claimed = parseContentRange(rq.req.headers['content-range']);
  if (claimed && [...session.receiving].some((r) => r.first <= claimed.last && claimed.first <= r.last)) {
    fail(409, 'conflict', 'The part conflicts with another chunk being uploaded');
  }
  const inFlight = claimed ? { first: claimed.first, last: claimed.last } : undefined;
  if (inFlight) session.receiving.add(inFlight);
  const path = await store.partPath(session);
  let isStored = false;
  try {
    const got = await receiveToFile(rq.req, path, world.cap, rq.counter, (n) => {
      session.bytesReceivedTotal += n;
    });
    if (declared !== 'chunked' && got.bytes !== declared) fail(400, 'request_size_mismatch', 'Body size does not match Content-Length');
    // A chunked body has only its Content-Range to answer to (an unparsable range is the 416 of checkRange).
    if (declared === 'chunked' && claimed && claimed.last >= claimed.first && got.bytes !== claimed.last - claimed.first + 1) {
      fail(400, 'request_size_mismatch', `Body size ${got.bytes} does not match Content-Range ${claimed.first}-${claimed.last}`);
    }
    const range = checkRange(session, rq.req.headers['content-range'], got.bytes);
    const overlapping = [...session.parts.values()].find((p) => p.offset <= range.last && range.first < p.offset + p.size);
    if (overlapping) fail(416, 'range_overlaps_existing_part', `Part overlaps with previously uploaded part: ${JSON.stringify(partJson(overlapping))}`);
    const digest = parseDigestHeader(rq.req.headers.digest);
    if (!digest.sha1 && !digest.sha256) fail(412, 'precondition_failed', 'Digest header is missing or has no valid sha= or sha-256= value');
    if ((digest.sha1 && !digest.sha1.equals(got.sha1)) || (digest.sha256 && !digest.sha256.equals(got.sha256))) {
      fail(412, 'precondition_failed', 'The Digest header does not match the part body');
    }
    lookupSession(world, id); // aborted or expired while the body was arriving
    const part: StoredPart = { partId: newPartId(), offset: range.first, size: got.bytes, sha1Hex: got.sha1.toString('hex'), path, storedAtMs: Date.now() };
    session.parts.set(part.offset, part);
    isStored = true;
    return { status: 200, body: { part: partJson(part) } };
  } finally {
    if (inFlight) session.receiving.delete(inFlight);
    if (!isStored) await rm(path, { force: true });
  }
}

export function sessionStatus(world: BoxWorld, id: string): Reply {
  const session = lookupSession(world, id);
  return { status: 200, body: world.store.sessionJson(session, world.sessionBaseUrl, processedParts(world, session, Date.now())) };
}

export function listParts(world: BoxWorld, rq: BoxRequest, id: string): Reply {
  const session = lookupSession(world, id);
  // `offset` is a part index, not a byte offset (§1.3). Default limit 100 (not Box's 1000) so clients must page.
  const { offset, limit } = pageParams(rq.url, 100);
  const sorted = [...session.parts.values()].sort((a, b) => a.offset - b.offset);
  const totalCount = world.settings.listPartsTotalCount === 'expected' ? session.totalParts : sorted.length;
  return { status: 200, body: { total_count: totalCount, limit, offset, entries: sorted.slice(offset, offset + limit).map(partJson) } };
}

export async function abortSession(world: BoxWorld, id: string): Promise<Reply> {
  const session = lookupSession(world, id);
  session.state = 'aborted';
  await world.store.discardParts(session);
  return { status: 204 };
}

/** Undocumented diagnostics endpoint Box's web uploader posts to; accepted and ignored. */
export async function logEvent(world: BoxWorld, rq: BoxRequest, id: string): Promise<Reply> {
  lookupSession(world, id);
  await readSmallBody(rq.req, world.cap, rq.counter, JSON_LIMIT_BYTES);
  return { status: 204 };
}

interface ListedPart {
  part_id: string;
  offset: number;
  size: number;
  sha1?: string;
}

function parseListedParts(raw: unknown): ListedPart[] {
  const isPart = (p: unknown): p is ListedPart => {
    const c = p as Partial<ListedPart> | null;
    return typeof c === 'object' && c !== null && typeof c.part_id === 'string' && typeof c.offset === 'number' && typeof c.size === 'number';
  };
  if (!Array.isArray(raw) || !raw.every(isPart)) fail(400, 'bad_request', 'parts must be an array of {part_id, offset, size, sha1}');
  return raw;
}

function noMatch(part: ListedPart | undefined): never {
  fail(400, 'parts_mismatch', `No matching part found on server for ${JSON.stringify(part ?? {})}`);
}

/** Every listed part must be a stored one, in offset order, covering the file without gaps (§1.6). */
function checkListedParts(session: UploadSession, listed: ListedPart[]): StoredPart[] {
  const matched: StoredPart[] = [];
  let nextOffset = 0;
  for (const part of listed) {
    const stored = session.parts.get(part.offset);
    const isSame = stored && stored.partId === part.part_id && stored.size === part.size && (part.sha1 === undefined || part.sha1.toLowerCase() === stored.sha1Hex);
    if (!isSame) noMatch(part);
    if (part.offset !== nextOffset) fail(400, 'parts_mismatch', `Parts must be sorted by offset without gaps; expected offset ${nextOffset}, got ${part.offset}`);
    matched.push(stored);
    nextOffset += part.size;
  }
  if (nextOffset !== session.fileSizeBytes) fail(400, 'parts_mismatch', `Parts cover ${nextOffset} of ${session.fileSizeBytes} bytes`);
  return matched;
}

function checkPreconditions(req: IncomingMessage, target: FileRecord | undefined): void {
  const etag = target ? String(target.versions - 1) : undefined;
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && ifMatch !== etag) fail(412, 'precondition_failed', 'The resource has been modified (If-Match)');
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && etag !== undefined && (ifNoneMatch === '*' || ifNoneMatch === etag)) {
    fail(412, 'precondition_failed', 'The resource already exists (If-None-Match)');
  }
}

export async function commitSession(world: BoxWorld, rq: BoxRequest, id: string): Promise<Reply> {
  const { store, settings } = world;
  const session = lookupSession(world, id);
  session.commitAttempts += 1;
  const body = await readJsonObject(rq.req, world.cap, rq.counter, COMMIT_LIMIT_BYTES);
  const retryLater: Reply = { status: 202, headers: { 'retry-after': '1' } };
  const nowMs = Date.now();
  // A parallel commit still assembling, or parts not yet "processed": Box's 202 + Retry-After with an empty body.
  if (session.state === 'committing' || processedParts(world, session, nowMs) < session.parts.size) return retryLater;
  const listed = parseListedParts(body.parts);
  let lastStoredAtMs = 0;
  for (const part of session.parts.values()) lastStoredAtMs = Math.max(lastStoredAtMs, part.storedAtMs);
  // rclone#97: right after the last part Box may claim not to know a listed part; clients must wait and retry.
  if (session.parts.size > 0 && nowMs < lastStoredAtMs + settings.partsMismatchWindowMs) noMatch(listed[listed.length - 1]);
  const parts = checkListedParts(session, listed);
  const wanted = parseDigestHeader(rq.req.headers.digest).sha1;
  // Box documents Digest as required on commit; the code for a missing one is not documented.
  if (!wanted) fail(400, 'missing_digest', 'Digest header with a sha= value is required');
  session.state = 'committing';
  const assembled = await store.assemble(parts).catch((error: unknown) => {
    session.state = 'open';
    throw error;
  });
  try {
    if (!assembled.sha1.equals(wanted)) {
      fail(400, 'digest_mismatch', `File digest was incorrect. Actual: ${assembled.sha1.toString('base64')} Expected: ${wanted.toString('base64')}`);
    }
    const target = session.fileId === undefined ? undefined : store.files.get(session.fileId);
    if (session.fileId !== undefined && !target) fail(404, 'not_found', NOT_FOUND);
    checkPreconditions(rq.req, target);
    const taken = store.childNamed(session.folderId, session.fileName, target?.id);
    if (taken) fail(409, 'item_name_in_use', 'Item with the same name already exists', fileConflict(store, taken));
    const attributes = (typeof body.attributes === 'object' && body.attributes !== null ? body.attributes : {}) as Record<string, unknown>;
    const file = await store.installContent(
      { ...(target ? { existing: target } : {}), name: session.fileName, folderId: session.folderId },
      { path: assembled.path, size: session.fileSizeBytes, sha1: assembled.sha1, sha256: assembled.sha256 },
      {
        ...(typeof attributes.content_created_at === 'string' ? { contentCreatedAt: attributes.content_created_at } : {}),
        ...(typeof attributes.content_modified_at === 'string' ? { contentModifiedAt: attributes.content_modified_at } : {}),
      },
      Date.now(),
    );
    session.state = 'committed';
    await store.discardParts(session);
    return { status: 201, body: { total_count: 1, entries: [store.fileJson(file)] } };
  } catch (error) {
    if (session.state === 'committing') session.state = 'open';
    await rm(assembled.path, { force: true });
    throw error;
  }
}
