import { UploadFailure } from '../domain/failure.js';
import { grownFragmentBytes, shrunkFragmentBytes, type FragmentRules } from '../domain/fragment-size.js';
import { planParts } from '../domain/part-plan.js';
import type { RemoteItem } from '../protocols/upload-protocol.js';
import type { PartRow } from '../store/sessions-repo.js';
import { fileRange, foldFor, handleOf, recordPart, sentChunks, startPart, type PartSending } from './part-sending.js';

/**
 * One part at a time (Graph, tus): the server sits idle between a reply and the next request, so that gap is kept to
 * the minimum. The file check for part N+1 runs as soon as part N's bytes are read (not after the reply), part N+1's
 * first chunk is already read ahead, and part N is recorded while part N+1 streams. A part is still recorded only after
 * the server acknowledged it; a crash before that is reconciled from the server on the next start.
 *
 * When the protocol lets Hoist choose the size (`fragmentRules`), the parts still to send are re-planned as the link
 * shows what suits it: larger while the wait for each reply is a large share of a part's time, half as large after a
 * reset or a stall. The new plan is stored before its first part leaves, so a kill re-sends at most the part in flight.
 */
export async function sendInOrder(ctx: PartSending, pendingParts: readonly PartRow[]): Promise<RemoteItem | undefined> {
  const rules = ctx.protocol.fragmentRules?.(handleOf(ctx.session));
  let parts = pendingParts;
  let item: RemoteItem | undefined;
  let recordPrevious: (() => void) | undefined;
  let check: Promise<void> | undefined;
  let current: PartRow | undefined;
  try {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      current = part;
      await ctx.deps.beforePart?.(ctx.signal);
      await (check ?? ctx.checkUnchanged());
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const fold = foldFor(ctx.protocol);
      let allRead!: () => void;
      check = new Promise<void>((resolve) => (allRead = resolve)).then(ctx.checkUnchanged);
      check.catch(() => undefined); // awaited by the next part; a failure of this one must not leave it unhandled
      const isLast = part.offsetBytes + part.sizeBytes === ctx.job.sizeBytes;
      const startedAtMs = performance.now();
      let allSentAtMs = startedAtMs;
      // The last bytes complete the upload on the server: the file is checked once more before they leave.
      const hooks = { onAllRead: allRead, beforeLastChunk: isLast ? ctx.checkUnchanged : undefined, onAllSent: () => (allSentAtMs = performance.now()) };
      const range = fileRange(ctx.reader, ctx.job, part.offsetBytes, part.sizeBytes);
      const outcome = startPart(ctx, part, sentChunks(ctx.deps, ctx.job, part.partIndex, range, part.offsetBytes, part.sizeBytes, fold, hooks));
      outcome.catch(() => undefined); // awaited below, after the bookkeeping
      // Bookkeeping waits until the request just started has put its first chunk on the socket.
      await afterPendingIo();
      const record = recordPrevious;
      recordPrevious = undefined;
      record?.();
      ctx.deps.store.sessions.countAttempt(ctx.session.id, part.partIndex);
      const acked = await outcome;
      recordPrevious = () => recordPart(ctx, part, acked, fold);
      if (acked.kind === 'completed') item = acked.item;
      const next = parts[i + 1];
      if (rules && next) {
        const timing = { sizeBytes: part.sizeBytes, sendMs: allSentAtMs - startedAtMs, waitMs: performance.now() - allSentAtMs };
        const sizeBytes = grownFragmentBytes(ctx.session.partSizeBytes, timing, rules);
        if (sizeBytes !== ctx.session.partSizeBytes) parts = [...parts.slice(0, i + 1), ...replan(ctx, next, sizeBytes)];
      }
    }
  } catch (error) {
    if (rules && current && isLinkFailure(error)) {
      const sizeBytes = shrunkFragmentBytes(ctx.session.partSizeBytes, rules);
      if (sizeBytes !== ctx.session.partSizeBytes) replan(ctx, current, sizeBytes);
    }
    throw error;
  } finally {
    recordPrevious?.();
  }
  return item;
}

/** Re-plans every part from `from` on at `sizeBytes` (stored, with the session's part size) and says so to the UI. */
function replan(ctx: PartSending, from: PartRow, sizeBytes: number): PartRow[] {
  const planned = planParts(from.offsetBytes, ctx.job.sizeBytes, sizeBytes, from.partIndex);
  ctx.deps.store.sessions.replanFrom(ctx.session.id, from.partIndex, planned, sizeBytes);
  ctx.session = { ...ctx.session, partSizeBytes: sizeBytes };
  ctx.deps.events({ type: 'parts-replanned', jobId: ctx.job.id, partSizeBytes: sizeBytes });
  return planned.map((p) => ({ ...p, sessionId: ctx.session.id, state: 'pending', digest: null, serverReply: null, attempts: 0 }));
}

/** A reset connection or a stall (not a refusal, a pause or a changed file): the link struggled with this size. */
function isLinkFailure(error: unknown): boolean {
  return error instanceof UploadFailure && error.failure.kind === 'retry' && error.failure.network !== undefined;
}

const afterPendingIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
