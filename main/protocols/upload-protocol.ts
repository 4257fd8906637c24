import type { FragmentRules } from '../domain/fragment-size.js';
import type { ByteRange } from '../domain/reconcile.js';
import type { ProviderKind } from '../store/destinations-repo.js';
import type { PartRow } from '../store/sessions-repo.js';

/** What the engine wants uploaded. */
export interface UploadTarget {
  /** Remote path with a leading slash, e.g. "/Backups/disk.img". */
  remotePath: string;
  sizeBytes: number;
  mtimeMs: number;
}

/** A server session as the engine persists it. */
export interface SessionHandle {
  sessionUrl: string | null;
  remoteSessionId: string | null;
  partSizeBytes: number;
  expiresAtMs: number | null;
  extra: Record<string, unknown>;
}

/** The file as the server reports it after commit. */
export interface RemoteItem {
  id: string;
  name: string;
  sizeBytes: number;
  /** The item's page at the provider, when it gives one (an https URL only). */
  webUrl?: string;
  hashes: { quickXorHash?: string; sha1Hex?: string; sha256Hex?: string };
  raw: unknown;
}

/** What the server holds of a session, asked on every start (the server is the truth). */
export type ServerState =
  /** partReplies: the server's record of each held part keyed by its offset (Box part objects), kept for commit. */
  | { kind: 'open'; received: ByteRange[]; expiresAtMs: number | null; partReplies?: ReadonlyMap<number, unknown> }
  | { kind: 'gone'; reason: string }
  | { kind: 'completed'; item: RemoteItem };

export interface PartBody {
  partIndex: number;
  offsetBytes: number;
  sizeBytes: number;
  /** The part's bytes, streamed from disk; single use. */
  data: AsyncIterable<Uint8Array>;
  /** SHA-1 of the part's bytes (base64), when the engine hashed them before sending (protocols with `sha1Digests`). */
  sha1Base64?: string;
}

export type PartOutcome =
  | { kind: 'stored'; reply: unknown; expiresAtMs: number | null }
  /** Offset protocols finish on the last byte: the item is already created. */
  | { kind: 'completed'; item: RemoteItem };

/** Whole-file facts the engine computes from the local file on demand (streamed from disk, at most once per run). */
export interface LocalFileDigests {
  /** SHA-1 of the whole file, base64 (Box's commit `Digest: sha=`, Apideck's Box connector on finish). */
  sha1Base64(): Promise<string>;
}

/**
 * The port every server adapter implements (habit 5). Adapters are the only code that knows URLs, headers and status
 * codes; they throw `UploadFailure` with a classified `Failure` and never retry on their own.
 */
export interface UploadProtocol {
  readonly provider: ProviderKind;
  /** 'offset': one writer, sequential bytes, resume point may be unaligned (Graph, tus). 'indexed': fixed parts (Box, S3). */
  readonly addressing: 'offset' | 'indexed';
  /** Parts of one file that may be in flight at once. */
  readonly maxParallelParts: number;
  /** When the server decides per session (Apideck's parallel_upload_supported), the limit for that session. */
  maxParallelPartsFor?(session: SessionHandle): number;
  /**
   * Offset protocols whose request size Hoist chooses (the user set none): what a size must be. The engine then sizes the
   * parts it has yet to send to the link. Undefined: the session's part size is used as it is.
   */
  fragmentRules?(session: SessionHandle): FragmentRules | undefined;
  /** Files smaller than this go through `uploadWhole` (Graph cannot open a session for an empty file). */
  readonly minSessionBytes: number;
  /** The whole-file hash the server reports and the engine verifies. */
  readonly verifyHash: 'quickXorHash' | 'sha1' | 'none';
  /**
   * Every part's SHA-1 goes in a header before its bytes and the whole file's on the commit (Box, Apideck's Box
   * connector): the engine computes both in one pass over the file and hands each part its digest in `PartBody`.
   */
  readonly sha1Digests?: boolean;

  createSession(target: UploadTarget, signal: AbortSignal): Promise<SessionHandle>;
  /**
   * `local` lets an adapter whose session vanishes once committed (Box) tell "our commit went through but its answer was
   * lost to a kill" from "gone": the file at the target with the local file's digest means completed.
   */
  queryServerState(session: SessionHandle, target: UploadTarget, signal: AbortSignal, local?: LocalFileDigests): Promise<ServerState>;
  uploadPart(session: SessionHandle, part: PartBody, target: UploadTarget, signal: AbortSignal): Promise<PartOutcome>;
  /** Called when every part is acknowledged and no item came back from the last part. */
  commit(session: SessionHandle, parts: readonly PartRow[], target: UploadTarget, local: LocalFileDigests, signal: AbortSignal): Promise<RemoteItem>;
  abort(session: SessionHandle, signal: AbortSignal): Promise<void>;
  uploadWhole(target: UploadTarget, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<RemoteItem>;
  /**
   * Servers that keep unfinished uploads forever (S3 multipart): aborts those started at least `olderThanMs` ago, except
   * the ones Hoist still resumes. Returns how many it aborted and which could not be.
   */
  abortAbandonedUploads?(olderThanMs: number, options: { keepUploadIds?: Iterable<string>; signal?: AbortSignal }): Promise<{ aborted: unknown[]; failed: Array<{ reason: string }> }>;
}
