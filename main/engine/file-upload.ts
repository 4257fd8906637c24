import { HoistError } from '../domain/hoist-error.js';
import { UploadFailure } from '../domain/failure.js';
import { planParts } from '../domain/part-plan.js';
import { contiguousPrefixBytes, reconcileParts, type ByteRange } from '../domain/reconcile.js';
import { QuickXorFold } from '../domain/quick-xor-hash.js';
import type { JobRow } from '../store/jobs-repo.js';
import type { PartRow, SessionRow } from '../store/sessions-repo.js';
import type { Store } from '../store/store.js';
import type { LocalFileDigests, RemoteItem, UploadProtocol, UploadTarget } from '../protocols/upload-protocol.js';
import { createHash } from 'node:crypto';
import { describeChange, sameIdentity, type FileSource } from './file-source.js';
import type { EngineEventSink } from './engine-events.js';
import { FileChanged, fileRange, foldFor, handleOf, recordPart, sendPart, sentChunks, startPart, type PartSending } from './part-sending.js';
import { sendInOrder } from './send-in-order.js';
import { DEFAULT_PART_BUFFER_BUDGET_BYTES, sendSha1Parts } from './sha1-parts.js';

export { handleOf } from './part-sending.js';

export interface FileUploadDeps {
  store: Store;
  files: FileSource;
  nowMs: () => number;
  events: EngineEventSink;
  /** Waits before each part while the destination is held (no network, rate limited); rejects with the signal's reason. */
  beforePart?: (signal: AbortSignal) => Promise<void>;
  /** Memory for the part buffers of one upload (protocols with SHA-1 digests); default 64 MiB. */
  partBufferBudgetBytes?: number;
  /** Waits (a part's quick retry); rejects with the signal's reason. Default: a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A file that keeps changing is retried later rather than uploaded as a moving target. */
const MAX_RESTARTS_FOR_CHANGES = 3;

/**
 * Uploads one job's file: ask the server what it holds, reconcile with the database, send only what is missing, commit,
 * verify. Throws classified failures; the scheduler decides about retries.
 */
export async function uploadFile(deps: FileUploadDeps, jobId: number, protocol: UploadProtocol, signal: AbortSignal): Promise<RemoteItem> {
  for (let restarts = 0; ; restarts++) {
    const job = deps.store.jobs.get(jobId);
    if (!job) throw new HoistError('not-found', `Upload ${jobId} no longer exists.`);
    const identity = await deps.files.identity(job.localPath);
    if (!sameIdentity(identity, job)) {
      if (restarts >= MAX_RESTARTS_FOR_CHANGES) {
        throw new HoistError('file-changed', `${job.localPath} keeps changing while it is uploaded; it will be retried once it is stable.`);
      }
      await restartOnNewSession(deps, job, protocol, describeChange(job, identity), signal);
      deps.store.jobs.updateIdentity(job.id, identity, describeChange(job, identity), deps.nowMs());
      continue;
    }
    try {
      return await uploadUnchanged(deps, job, protocol, signal);
    } catch (error) {
      if (!(error instanceof FileChanged)) throw error;
      // loop: the identity check above records the new identity and the reason
    }
  }
}

async function uploadUnchanged(deps: FileUploadDeps, job: JobRow, protocol: UploadProtocol, signal: AbortSignal): Promise<RemoteItem> {
  const target: UploadTarget = { remotePath: job.remotePath, sizeBytes: job.sizeBytes, mtimeMs: job.mtimeMs };
  const checkUnchanged = async () => {
    if (!sameIdentity(await deps.files.identity(job.localPath), job)) throw new FileChanged();
  };

  if (job.sizeBytes < protocol.minSessionBytes) {
    deps.events({ type: 'job-started', jobId: job.id, totalBytes: job.sizeBytes, ackedBytes: 0 });
    const fold = foldFor(protocol);
    const reader = deps.files.open(job.localPath);
    let item: RemoteItem;
    try {
      const range = fileRange(reader, job, 0, job.sizeBytes);
      item = await protocol.uploadWhole(target, sentChunks(deps, job, 0, range, 0, job.sizeBytes, fold), signal);
    } finally {
      await reader.close();
    }
    await checkUnchanged();
    return finish(deps, job, protocol, item, fold, undefined, localDigests(deps, job));
  }

  let session = deps.store.sessions.openForJob(job.id);
  if (session) session = await resumeSession(deps, job, protocol, session, target, signal);
  if (!session) {
    const handle = await protocol.createSession(target, signal);
    session = deps.store.sessions.open({ jobId: job.id, provider: protocol.provider, ...handle }, planParts(0, job.sizeBytes, handle.partSizeBytes), deps.nowMs());
  }
  const completed = typeof session.extra.completedItem === 'object' ? (session.extra.completedItem as RemoteItem) : undefined;
  let item = completed;
  const parts = deps.store.sessions.parts(session.id);
  deps.events({ type: 'job-started', jobId: job.id, totalBytes: job.sizeBytes, ackedBytes: ackedBytes(parts) });

  // A session the server already completed needs no more bytes, whatever the database still lists as pending.
  const pending = item ? [] : parts.filter((p) => p.state === 'pending');
  const parallel = protocol.maxParallelPartsFor?.(handleOf(session)) ?? protocol.maxParallelParts;
  const isSha1Pass = !item && protocol.sha1Digests === true;
  // One part at a time: the reader reads the next part's first chunk while the server acknowledges this one.
  const reader = deps.files.open(job.localPath, parallel === 1 && !isSha1Pass ? { sequentialUpToBytes: job.sizeBytes } : {});
  const sending: PartSending = { deps, job, protocol, session, target, reader, checkUnchanged, signal };
  let sha1Base64: string | undefined;
  try {
    if (isSha1Pass) {
      const pass = await sendSha1Parts(sending, parts, parallel, deps.partBufferBudgetBytes ?? DEFAULT_PART_BUFFER_BUDGET_BYTES);
      item ??= pass.item;
      sha1Base64 = pass.sha1Base64;
    } else {
      item ??= parallel === 1 ? await sendInOrder(sending, pending) : await sendInParallel(sending, pending, parallel);
    }
  } finally {
    await reader.close();
  }

  // The last check before the server creates or we commit the file: never commit a mix of old and new bytes.
  await checkUnchanged();
  const local = localDigests(deps, job, sha1Base64);
  if (!item) item = await protocol.commit(handleOf(session), deps.store.sessions.parts(session.id), target, local, signal);
  const fold = foldFor(protocol) && (await combinedFold(deps, job, deps.store.sessions.parts(session.id)));
  return finish(deps, job, protocol, item, fold || undefined, session, local);
}

/** Asks the server about a persisted session and brings the database in line with it. Undefined: start a new session. */
async function resumeSession(
  deps: FileUploadDeps,
  job: JobRow,
  protocol: UploadProtocol,
  session: SessionRow,
  target: UploadTarget,
  signal: AbortSignal,
): Promise<SessionRow | undefined> {
  const state = await protocol.queryServerState(handleOf(session), target, signal, localDigests(deps, job));
  if (state.kind === 'completed') {
    deps.store.sessions.update(session.id, { extra: { ...session.extra, completedItem: state.item } });
    return deps.store.sessions.get(session.id);
  }
  if (state.kind === 'gone') {
    const adopted = await adoptFinishedUpload(deps, job, protocol, session, target, signal);
    if (adopted) return adopted;
    deps.store.sessions.setState(session.id, 'expired');
    const reason = `${state.reason}; started a new session`;
    deps.store.jobs.noteRestart(job.id, reason, deps.nowMs());
    deps.events({ type: 'job-restarted', jobId: job.id, reason });
    return undefined;
  }
  if (state.expiresAtMs !== null) deps.store.sessions.update(session.id, { expiresAtMs: state.expiresAtMs });
  await applyServerState(deps, job, protocol, session, state.received, state.partReplies);
  return session;
}

async function applyServerState(
  deps: FileUploadDeps,
  job: JobRow,
  protocol: UploadProtocol,
  session: SessionRow,
  received: ByteRange[],
  partReplies: ReadonlyMap<number, unknown> | undefined,
): Promise<void> {
  const repo = deps.store.sessions;
  let parts = repo.parts(session.id);
  if (protocol.addressing === 'offset') {
    // One writer: the server holds a prefix. Anything recorded beyond it was lost; a prefix ending inside a part splits it.
    const prefix = contiguousPrefixBytes(received);
    const split = parts.find((p) => p.offsetBytes < prefix && prefix < p.offsetBytes + p.sizeBytes);
    if (split) {
      const head = { partIndex: split.partIndex, offsetBytes: split.offsetBytes, sizeBytes: prefix - split.offsetBytes };
      const rest = planParts(prefix, job.sizeBytes, session.partSizeBytes, split.partIndex + 1);
      repo.replanFrom(session.id, split.partIndex, [head, ...rest]);
      repo.markPartDone(session.id, head.partIndex, await partDigest(deps, job, protocol, head.offsetBytes, head.sizeBytes), null);
      parts = repo.parts(session.id);
    }
    received = [{ startBytes: 0, endBytes: prefix }];
  }
  const { newlyDone, lost } = reconcileParts(parts, received);
  for (const index of lost) repo.markPartPending(session.id, index);
  for (const index of newlyDone) {
    const part = parts.find((p) => p.partIndex === index)!;
    const reply = partReplies?.get(part.offsetBytes) ?? null;
    repo.markPartDone(session.id, index, await partDigest(deps, job, protocol, part.offsetBytes, part.sizeBytes), reply);
  }
}

/**
 * A session the server no longer knows may have been consumed by our own last part (the process died before recording
 * it). If the file at the destination is byte-for-byte ours (size + hash), adopt it instead of uploading again.
 */
async function adoptFinishedUpload(
  deps: FileUploadDeps,
  job: JobRow,
  protocol: UploadProtocol,
  session: SessionRow,
  target: UploadTarget,
  signal: AbortSignal,
): Promise<SessionRow | undefined> {
  if (protocol.verifyHash !== 'quickXorHash') return undefined;
  const parts = deps.store.sessions.parts(session.id);
  if (parts.filter((p) => p.state === 'pending').length > protocol.maxParallelParts) return undefined;
  let item: RemoteItem;
  try {
    item = await protocol.commit(handleOf(session), parts, target, localDigests(deps, job), signal);
  } catch (error) {
    // An expired token is not "no such file": let the scheduler refresh it, then adoption is tried again.
    if (error instanceof UploadFailure && error.failure.kind === 'auth') throw error;
    return undefined;
  }
  const fold = await combinedFold(deps, job, parts);
  if (item.sizeBytes !== job.sizeBytes || item.hashes.quickXorHash !== fold.digest(job.sizeBytes)) return undefined;
  for (const p of parts) if (p.state === 'pending') deps.store.sessions.markPartDone(session.id, p.partIndex, (await foldOf(deps, job, p.offsetBytes, p.sizeBytes)).toBase64(), null);
  deps.store.sessions.update(session.id, { extra: { ...session.extra, completedItem: item } });
  return deps.store.sessions.get(session.id);
}

/** Parts that may travel together (S3, Box, some Apideck connectors): a pool, each part checked, sent and recorded. */
async function sendInParallel(ctx: PartSending, parts: readonly PartRow[], parallel: number): Promise<RemoteItem | undefined> {
  let item: RemoteItem | undefined;
  await runPool(
    parts,
    parallel,
    async (part) => {
      await ctx.deps.beforePart?.(ctx.signal);
      await ctx.checkUnchanged();
      if (ctx.signal.aborted) throw ctx.signal.reason;
      let fold = foldFor(ctx.protocol);
      ctx.deps.store.sessions.countAttempt(ctx.session.id, part.partIndex);
      const outcome = await sendPart(ctx, part, () => {
        fold = foldFor(ctx.protocol);
        const range = fileRange(ctx.reader, ctx.job, part.offsetBytes, part.sizeBytes);
        return sentChunks(ctx.deps, ctx.job, part.partIndex, range, part.offsetBytes, part.sizeBytes, fold);
      });
      recordPart(ctx, part, outcome, fold);
      if (outcome.kind === 'completed') item = outcome.item;
    },
    ctx.signal,
  );
  return item;
}

async function finish(
  deps: FileUploadDeps,
  job: JobRow,
  protocol: UploadProtocol,
  item: RemoteItem,
  fold: QuickXorFold | undefined,
  session: SessionRow | undefined,
  local: LocalFileDigests,
): Promise<RemoteItem> {
  if (item.sizeBytes !== job.sizeBytes) {
    throw new HoistError('verification-failed', `The server stored ${item.sizeBytes} bytes of ${job.localPath}, expected ${job.sizeBytes}.`);
  }
  if (fold && item.hashes.quickXorHash !== undefined) {
    const local = fold.digest(job.sizeBytes);
    if (item.hashes.quickXorHash !== local) {
      throw new HoistError('verification-failed', `The uploaded copy of ${job.localPath} does not match the local file (QuickXorHash ${item.hashes.quickXorHash} ≠ ${local}).`);
    }
  }
  if (protocol.verifyHash === 'sha1' && item.hashes.sha1Hex !== undefined) {
    const localHex = Buffer.from(await local.sha1Base64(), 'base64').toString('hex');
    if (item.hashes.sha1Hex !== localHex) {
      throw new HoistError('verification-failed', `The uploaded copy of ${job.localPath} does not match the local file (SHA-1 ${item.hashes.sha1Hex} ≠ ${localHex}).`);
    }
  }
  if (session) deps.store.sessions.setState(session.id, 'committed');
  deps.store.jobs.complete(job.id, item, deps.nowMs());
  return item;
}

async function restartOnNewSession(deps: FileUploadDeps, job: JobRow, protocol: UploadProtocol, reason: string, signal: AbortSignal): Promise<void> {
  const session = deps.store.sessions.openForJob(job.id);
  if (session) {
    // Best effort: the old session holds old bytes and must never be completed.
    await protocol.abort(handleOf(session), signal).catch(() => undefined);
    deps.store.sessions.setState(session.id, 'aborted');
  }
  deps.events({ type: 'job-restarted', jobId: job.id, reason: `${reason}; uploading the new content on a fresh session` });
}

async function partDigest(deps: FileUploadDeps, job: JobRow, protocol: UploadProtocol, offsetBytes: number, sizeBytes: number): Promise<string | null> {
  return protocol.verifyHash === 'quickXorHash' ? (await foldOf(deps, job, offsetBytes, sizeBytes)).toBase64() : null;
}

async function foldOf(deps: FileUploadDeps, job: JobRow, offsetBytes: number, sizeBytes: number): Promise<QuickXorFold> {
  const fold = new QuickXorFold();
  let position = offsetBytes;
  for await (const chunk of deps.files.read(job.localPath, offsetBytes, sizeBytes)) {
    fold.update(chunk, position);
    position += chunk.length;
  }
  return fold;
}

/** Whole-file fold from the parts' stored folds; parts without one (acknowledged but never recorded) are read from disk. */
async function combinedFold(deps: FileUploadDeps, job: JobRow, parts: readonly PartRow[]): Promise<QuickXorFold> {
  const total = new QuickXorFold();
  for (const part of parts) {
    total.merge(part.digest ? QuickXorFold.fromBase64(part.digest) : await foldOf(deps, job, part.offsetBytes, part.sizeBytes));
  }
  return total;
}

/** The whole file's SHA-1: the one the upload's pass computed, or else hashed from disk once, when first asked. */
function localDigests(deps: FileUploadDeps, job: JobRow, knownSha1Base64?: string): LocalFileDigests {
  let sha1: Promise<string> | undefined = knownSha1Base64 === undefined ? undefined : Promise.resolve(knownSha1Base64);
  return {
    sha1Base64: () => {
      sha1 ??= (async () => {
        const hash = createHash('sha1');
        for await (const chunk of deps.files.read(job.localPath, 0, job.sizeBytes)) hash.update(chunk);
        return hash.digest('base64');
      })();
      return sha1;
    },
  };
}

function ackedBytes(parts: readonly PartRow[]): number {
  return parts.reduce((sum, p) => sum + (p.state === 'done' ? p.sizeBytes : 0), 0);
}

/** Runs `work` over items in order with at most `limit` in flight; the first failure stops new work and is rethrown. */
async function runPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, signal: AbortSignal): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      if (signal.aborted) throw signal.reason;
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

