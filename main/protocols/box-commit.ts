import { UploadFailure } from '../domain/failure.js';
import type { PartRow } from '../store/sessions-repo.js';
import type { HttpReply } from './http.js';
import { boxErrorOf, boxFailure } from './box-errors.js';
import type { BoxSend } from './box-folders.js';
import { boxTimestamp, parseReply, partSchema, partsPageSchema, type BoxPart, type BoxSessionExtra } from './box-replies.js';
import type { UploadTarget } from './upload-protocol.js';

export type BoxSleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** 202s are Box saying "not yet", not errors (box-ui-elements keeps them off the retry budget; rclone allows 100). */
export const MAX_PROCESSING_REPLIES = 100;
/** parts_mismatch right after the last part is Box lagging behind (rclone#97); a real mismatch still ends. */
export const MAX_PARTS_MISMATCH = 10;
const DEFAULT_PROCESSING_WAIT_MS = 10_000;
const DEFAULT_MISMATCH_WAIT_MS = 2_000;

const LIST_LIMIT = 1000;
// Box sessions have at most 10,000 parts and list offsets stop at 10,000.
const MAX_LIST_PAGES = 12;

/** Every part Box holds for the session (offset-paged), or 'gone' when the session no longer exists. */
export async function listAllParts(send: BoxSend, listPartsUrl: string, signal: AbortSignal): Promise<BoxPart[] | 'gone'> {
  const parts: BoxPart[] = [];
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const url = new URL(listPartsUrl);
    // `offset` counts entries, not bytes.
    url.searchParams.set('offset', String(parts.length));
    url.searchParams.set('limit', String(LIST_LIMIT));
    const reply = await send(url.toString(), { method: 'GET', signal });
    if (reply.status === 404 || reply.status === 410) return 'gone';
    if (reply.status !== 200) throw boxFailure(reply, 'listing the parts Box holds', 'session');
    const body = parseReply(reply, partsPageSchema, 'part list');
    parts.push(...body.entries);
    if (body.entries.length === 0 || parts.length >= body.total_count) return parts;
  }
  throw new UploadFailure({ kind: 'retry', reason: `Box kept paging the part list beyond ${parts.length} entries` });
}

/**
 * POSTs the commit until Box answers something other than "still processing" (202 + Retry-After) or a transient
 * parts_mismatch, waiting as asked in between (the wait ends at once on pause or cancel). Returns that final reply.
 */
export async function postCommit(
  deps: { send: BoxSend; sleep: BoxSleep },
  extra: BoxSessionExtra,
  stored: readonly PartRow[],
  target: UploadTarget,
  sha1Base64: string,
  signal: AbortSignal,
): Promise<HttpReply> {
  let body = await commitBody(deps.send, extra, stored, target, signal);
  let processing = 0;
  let mismatches = 0;
  for (;;) {
    const reply = await deps.send(extra.endpoints.commit, {
      method: 'POST',
      headers: { 'content-type': 'application/json', digest: `sha=${sha1Base64}` },
      body,
      signal,
    });
    if (reply.status === 202) {
      processing += 1;
      if (processing >= MAX_PROCESSING_REPLIES) {
        throw new UploadFailure({ kind: 'retry', reason: `Box was still processing the parts after ${processing} commit attempts` });
      }
      await deps.sleep(reply.retryAfterMs ?? DEFAULT_PROCESSING_WAIT_MS, signal);
      continue;
    }
    if (reply.status === 400 && boxErrorOf(reply).code === 'parts_mismatch') {
      mismatches += 1;
      if (mismatches >= MAX_PARTS_MISMATCH) throw boxFailure(reply, `committing the upload (${mismatches} tries)`, 'commit');
      await deps.sleep(reply.retryAfterMs ?? DEFAULT_MISMATCH_WAIT_MS, signal);
      body = await commitBody(deps.send, extra, stored, target, signal);
      continue;
    }
    return reply;
  }
}

/**
 * Commit body: every part sorted by offset, as Box lists them (the server is the truth), falling back to the replies
 * stored when each part was acknowledged; optional content_modified_at from the local mtime.
 */
async function commitBody(send: BoxSend, extra: BoxSessionExtra, stored: readonly PartRow[], target: UploadTarget, signal: AbortSignal): Promise<string> {
  const byOffset = new Map<number, BoxPart>();
  for (const row of stored) {
    const part = partSchema.safeParse(row.serverReply);
    if (part.success) byOffset.set(part.data.offset, part.data);
  }
  let listed: BoxPart[] | 'gone' = [];
  try {
    listed = await listAllParts(send, extra.endpoints.list_parts, signal);
  } catch (error) {
    // A flaky list call is no reason not to try the commit with what we recorded.
    if (!(error instanceof UploadFailure && error.failure.kind === 'retry')) throw error;
  }
  if (listed === 'gone') throw new UploadFailure({ kind: 'session-expired', reason: 'the Box upload session is gone (it expired or was discarded)' });
  for (const part of listed) byOffset.set(part.offset, part);
  const parts = [...byOffset.values()].sort((a, b) => a.offset - b.offset);
  let nextOffset = 0;
  for (const part of parts) {
    if (part.offset !== nextOffset) throw missingBytes(nextOffset, part.offset);
    nextOffset = part.offset + part.size;
  }
  if (nextOffset !== target.sizeBytes) throw missingBytes(nextOffset, target.sizeBytes);
  const modifiedAt = boxTimestamp(target.mtimeMs);
  return JSON.stringify({
    parts: parts.map((p) => ({ part_id: p.part_id, offset: p.offset, size: p.size, ...(p.sha1 ? { sha1: p.sha1.toLowerCase() } : {}) })),
    ...(modifiedAt ? { attributes: { content_modified_at: modifiedAt } } : {}),
  });
}

function missingBytes(fromBytes: number, toBytes: number): UploadFailure {
  const what = toBytes > fromBytes ? `bytes ${fromBytes}-${toBytes - 1}` : `a consistent part list around byte ${fromBytes}`;
  return new UploadFailure({ kind: 'retry', reason: `Box holds no ${what}; re-checking which parts it has` });
}

