import type { ByteRange } from '../domain/reconcile.js';

/** A part as ListParts reports it. */
export interface S3ListedPart {
  partNumber: number;
  eTag: string;
  sizeBytes: number;
}

/** What the engine stores per acknowledged part, and what CompleteMultipartUpload needs back. */
export interface S3PartReply {
  ETag: string;
  PartNumber: number;
}

export interface S3ListPartsPage {
  parts: S3ListedPart[];
  isTruncated: boolean;
  nextPartNumberMarker: string | undefined;
}

/** ListParts answers at most 1,000 parts; a 10,000-part upload needs ten pages (and a server may page sooner). */
const MAX_LIST_PAGES = 10_001;

/** Walks every page of ListParts (PartNumberMarker / NextPartNumberMarker / IsTruncated) into one map by part number. */
export async function listAllParts(fetchPage: (marker: string | undefined) => Promise<S3ListPartsPage>): Promise<Map<number, S3ListedPart>> {
  const byNumber = new Map<number, S3ListedPart>();
  let marker: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const reply = await fetchPage(marker);
    for (const part of reply.parts) byNumber.set(part.partNumber, part);
    if (!reply.isTruncated) return byNumber;
    // A truncated page without a marker that moves forward would loop forever: treat it as an unreadable reply.
    if (reply.nextPartNumberMarker === undefined || reply.nextPartNumberMarker === marker) {
      throw new MalformedListing(`ListParts said IsTruncated but gave no new NextPartNumberMarker (after ${marker ?? 'the start'})`);
    }
    marker = reply.nextPartNumberMarker;
  }
  throw new MalformedListing(`ListParts did not end after ${MAX_LIST_PAGES} pages`);
}

export class MalformedListing extends Error {}

/**
 * What the server holds, as byte ranges of the file: part N covers [(N-1)·partSize, …). A part counts only when its size
 * is the size the plan gives that position; anything else (left from another plan, cut short) is not ours and is sent
 * again, which overwrites it.
 */
export function receivedFromParts(
  listed: ReadonlyMap<number, S3ListedPart>,
  partSizeBytes: number,
  fileSizeBytes: number,
): { received: ByteRange[]; partReplies: Map<number, S3PartReply> } {
  const received: ByteRange[] = [];
  const partReplies = new Map<number, S3PartReply>();
  for (const part of [...listed.values()].sort((a, b) => a.partNumber - b.partNumber)) {
    const offsetBytes = (part.partNumber - 1) * partSizeBytes;
    if (part.partNumber < 1 || offsetBytes >= fileSizeBytes) continue;
    if (part.sizeBytes !== Math.min(partSizeBytes, fileSizeBytes - offsetBytes)) continue;
    received.push({ startBytes: offsetBytes, endBytes: offsetBytes + part.sizeBytes });
    partReplies.set(offsetBytes, { ETag: part.eTag, PartNumber: part.partNumber });
  }
  return { received, partReplies };
}

/** The first planned part the server does not hold as planned, to explain why a commit must wait. */
export function firstMissingPart(
  planned: ReadonlyArray<{ partIndex: number; sizeBytes: number }>,
  listed: ReadonlyMap<number, S3ListedPart>,
): { partNumber: number; detail: string } | undefined {
  for (const part of planned) {
    const held = listed.get(part.partIndex + 1);
    if (!held) return { partNumber: part.partIndex + 1, detail: 'not held by the server' };
    if (held.sizeBytes !== part.sizeBytes) return { partNumber: part.partIndex + 1, detail: `held with ${held.sizeBytes} bytes, planned ${part.sizeBytes}` };
  }
  return undefined;
}
