/**
 * Upload-session state and the fragment header rules of Graph's uploadUrl (protocols.md §2.3/§2.6), kept apart from the
 * HTTP plumbing so the order of the checks is readable in one place.
 */
import type { Hash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FaultAction } from './faults.js';
import type { QuickXorFold } from '../../main/domain/quick-xor-hash.js';
import type { ConflictBehavior, GraphDrive } from './graph-drive.js';
import { GraphFailure, invalidRequest, isoTime } from './graph-odata.js';

/** Graph's per-request cap (60 MiB). */
export const MAX_FRAGMENT_BYTES = 62_914_560;
/** Every fragment but the last must be a multiple of 320 KiB. */
export const FRAGMENT_MULTIPLE_BYTES = 327_680;
/** OneDrive / SharePoint per-file limit (250 GB). */
export const MAX_FILE_BYTES = 250 * 1024 ** 3;

export type SessionState = 'open' | 'completed' | 'cancelled' | 'expired' | 'failed';

export interface UploadSession {
  id: string;
  uploadUrl: string;
  drive: GraphDrive;
  segments: string[];
  conflictBehavior: ConflictBehavior;
  isDeferCommit: boolean;
  /** Undefined until fixed by `item.fileSize` at create or by the first fragment's Content-Range. */
  totalBytes: number | undefined;
  receivedBytes: number;
  bytesReceivedTotal: number;
  state: SessionState;
  expiresAtMs: number;
  putCount: number;
  partPath: string;
  /** Hash state of the accepted prefix; a fragment hashes into a copy that replaces it only once the fragment is accepted. */
  sha256: Hash;
  fold: QuickXorFold;
  /** A non-final fragment was not a 320 KiB multiple: the service fails the commit of such uploads. */
  isMisaligned: boolean;
  /** Serialises fragments of one session so a retry racing a dying request cannot write over accepted bytes. */
  lockTail: Promise<void>;
}

/** One request as the handlers see it. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The uploadUrl's session, when the route names one (even a dead one, so its bytes are still counted). */
  session?: UploadSession;
  bodyBytes: number;
  /** False while the body is unread: the reply drains it first so the connection stays usable. */
  isBodyConsumed: boolean;
  /** Set by apply-then-fail / malformed-json: the work is done, the reply is replaced. */
  lateFault?: FaultAction;
  /** Every body byte goes through here (request log, session's bytesReceivedTotal). */
  countBody(bytes: number): void;
}

export interface Outcome {
  status: number;
  body?: unknown;
  /** Send `body` as it is, even for an error status (identity-platform errors are not OData errors). */
  plain?: boolean;
}

export interface FragmentRange {
  firstByte: number;
  lastByte: number;
  totalBytes: number;
  lengthBytes: number;
}

export function statusBody(session: UploadSession): { expirationDateTime: string; nextExpectedRanges: string[] } {
  const isComplete = session.totalBytes !== undefined && session.receivedBytes >= session.totalBytes;
  return {
    expirationDateTime: isoTime(session.expiresAtMs),
    // A failed session reports nothing missing although nothing was committed, as the service does (protocols.md §2.8).
    nextExpectedRanges: isComplete || session.state === 'failed' ? [] : [`${session.receivedBytes}-`],
  };
}

/** Header checks of a fragment PUT that need no body, in the service's order; fixes the session total on first use. */
export function checkFragmentHeaders(session: UploadSession, headers: IncomingHttpHeaders): FragmentRange {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/i.exec(headers['content-range']?.trim() ?? '');
  const [firstByte, lastByte, totalBytes] = match ? [match[1], match[2], match[3]].map(Number) : [];
  if (firstByte === undefined || lastByte === undefined || totalBytes === undefined || lastByte < firstByte || lastByte >= totalBytes) {
    throw new GraphFailure(invalidRequest('The Content-Range header is missing or malformed.'));
  }
  if (totalBytes > MAX_FILE_BYTES) {
    throw new GraphFailure({ status: 400, code: 'invalidArgument', message: 'Max file size exceeded.', innerCode: 'maxFileSizeExceeded' });
  }
  session.totalBytes ??= totalBytes;
  if (totalBytes !== session.totalBytes) {
    throw new GraphFailure(
      invalidRequest(
        `The current upload session is for ${session.totalBytes} total bytes, but the current fragment declares a total of ${totalBytes}.`,
        'fragmentLengthMismatch',
      ),
    );
  }
  const lengthBytes = lastByte - firstByte + 1;
  const declared = headers['content-length'];
  if (declared === undefined) {
    throw new GraphFailure({ status: 411, code: 'invalidRequest', message: 'A Content-Length header is required.' });
  }
  if (Number(declared) !== lengthBytes) {
    throw new GraphFailure(
      invalidRequest('Declared total size for this fragment does not match the actual number of bytes.', 'fragmentLengthMismatch'),
    );
  }
  if (lengthBytes > MAX_FRAGMENT_BYTES) {
    throw new GraphFailure({ status: 413, code: 'invalidRequest', message: 'Max fragment length exceeded.', innerCode: 'maxFragmentLengthExceeded' });
  }
  return { firstByte, lastByte, totalBytes, lengthBytes };
}

/** Fragments must continue exactly where the accepted prefix ends. */
export function checkFragmentPosition(session: UploadSession, range: FragmentRange): void {
  if (range.firstByte < session.receivedBytes) {
    throw new GraphFailure({
      status: 416,
      code: 'invalidRange',
      message: 'The uploaded fragment overlaps with data that has already been received.',
      innerCode: 'fragmentOverlap',
    });
  }
  if (range.firstByte > session.receivedBytes) {
    throw new GraphFailure({
      status: 416,
      code: 'invalidRange',
      message: 'The uploaded fragment is not contiguous with the last one received.',
      innerCode: 'fragmentOutOfOrder',
    });
  }
}

export async function withSessionLock<T>(session: UploadSession, fn: () => Promise<T>): Promise<T> {
  const previous = session.lockTail;
  let release!: () => void;
  session.lockTail = new Promise((resolve) => (release = resolve));
  await previous;
  try {
    return await fn();
  } finally {
    release();
  }
}
