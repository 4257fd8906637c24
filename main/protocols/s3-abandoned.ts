import { MalformedListing } from './s3-parts.js';

/** A multipart upload nobody completed or aborted: S3 bills its parts until it is aborted (uploads never expire). */
export interface AbandonedUpload {
  key: string;
  uploadId: string;
  initiatedAtMs: number;
}

export interface S3UploadsPage {
  uploads: Array<{ key?: string; uploadId?: string; initiatedAtMs?: number }>;
  isTruncated: boolean;
  nextKeyMarker: string | undefined;
  nextUploadIdMarker: string | undefined;
}

export interface AbandonedCleanup {
  aborted: AbandonedUpload[];
  /** Uploads that could not be aborted this time, with why; the next cleanup tries again. */
  failed: Array<{ upload: AbandonedUpload; reason: string }>;
}

const MAX_UPLOAD_PAGES = 100_000;

/**
 * Walks ListMultipartUploads (KeyMarker + UploadIdMarker / IsTruncated) and keeps the uploads started at or before
 * `cutoffMs`. An upload without an `Initiated` time is kept out: nothing proves it is old.
 */
export async function collectAbandoned(
  fetchPage: (keyMarker: string | undefined, uploadIdMarker: string | undefined) => Promise<S3UploadsPage>,
  cutoffMs: number,
): Promise<AbandonedUpload[]> {
  const found: AbandonedUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (let page = 0; page < MAX_UPLOAD_PAGES; page++) {
    const reply = await fetchPage(keyMarker, uploadIdMarker);
    for (const u of reply.uploads) {
      if (u.key === undefined || u.uploadId === undefined || u.initiatedAtMs === undefined) continue;
      if (u.initiatedAtMs <= cutoffMs) found.push({ key: u.key, uploadId: u.uploadId, initiatedAtMs: u.initiatedAtMs });
    }
    if (!reply.isTruncated) return found;
    if (reply.nextKeyMarker === undefined || (reply.nextKeyMarker === keyMarker && reply.nextUploadIdMarker === uploadIdMarker)) {
      throw new MalformedListing('ListMultipartUploads said IsTruncated but gave no new NextKeyMarker/NextUploadIdMarker');
    }
    keyMarker = reply.nextKeyMarker;
    uploadIdMarker = reply.nextUploadIdMarker;
  }
  throw new MalformedListing(`ListMultipartUploads did not end after ${MAX_UPLOAD_PAGES} pages`);
}
