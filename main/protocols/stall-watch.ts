import type { BytePacer } from './transfer-settings.js';

/**
 * Notices a transfer that moved no byte for `timeoutMs`, for clients whose socket we do not hold (the AWS SDK): the
 * body reports each piece the client takes, and time spent waiting for the bandwidth limiter does not count.
 * One timer per watched request, rearmed lazily (only when it fires), so reporting progress costs a clock read.
 */
export class StallWatch {
  private lastMovedMs: number;
  private waits = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onStall: () => void,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.lastMovedMs = nowMs();
    this.arm(timeoutMs);
  }

  moved(): void {
    this.lastMovedMs = this.nowMs();
  }

  /** Held back by the limiter from now until `resume`. */
  suspend(): void {
    this.waits++;
  }

  resume(): void {
    this.waits--;
    this.lastMovedMs = this.nowMs();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private check(): void {
    const idleMs = this.waits > 0 ? 0 : this.nowMs() - this.lastMovedMs;
    if (idleMs >= this.timeoutMs) {
      this.timer = undefined;
      this.onStall();
      return;
    }
    this.arm(this.timeoutMs - idleMs);
  }
}

/**
 * Without a limit, pieces are at most this large (the file source's own chunk size, so streamed parts pass unchanged):
 * the watch sees progress each time one drained, every 17 s even at 60 KB/s. Parts held whole (Content-MD5) are cut.
 */
const UNPACED_PIECE_BYTES = 1024 * 1024;

/**
 * The body's chunks cut into pieces the pacer lets through (its slice under a limit), telling `watch` each time the
 * consumer takes the next piece: a consumer that stops taking (the socket stopped draining) is a stall.
 */
export async function* pacedPieces(
  data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  pacer: BytePacer,
  signal: AbortSignal,
  watch: StallWatch,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of data) {
    for (let at = 0; at < chunk.length; ) {
      const sliceBytes = pacer.sliceBytes();
      const end = Math.min(chunk.length, at + (sliceBytes > 0 ? sliceBytes : UNPACED_PIECE_BYTES));
      if (sliceBytes > 0) {
        watch.suspend();
        try {
          await pacer.take(end - at, signal);
        } finally {
          watch.resume();
        }
      }
      yield at === 0 && end === chunk.length ? chunk : chunk.subarray(at, end);
      watch.moved();
      at = end;
    }
  }
}
