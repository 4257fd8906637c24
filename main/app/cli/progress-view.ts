import cliProgress from 'cli-progress';
import { basename } from 'node:path';
import type { EngineEvent } from '../../engine/engine-events.js';
import { addBytes, etaSeconds, formatBytes, formatDuration, newRate, type RateState } from '../../domain/transfer-rate.js';

interface Row {
  name: string;
  totalBytes: number;
  sentBytes: number;
  ackedBytes: number;
  rate: RateState;
  bar?: cliProgress.SingleBar;
}

/**
 * Renders engine events: live bars on a terminal, one line per noteworthy event otherwise, nothing in --json mode.
 * Byte counts shown are what the server acknowledged plus what is on the wire for the current part.
 */
export class ProgressView {
  private readonly rows = new Map<number, Row>();
  private readonly multi?: cliProgress.MultiBar;

  constructor(
    private readonly mode: 'tty' | 'lines' | 'silent',
    private readonly names: Map<number, string>,
    private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {
    if (mode === 'tty') {
      this.multi = new cliProgress.MultiBar(
        {
          format: '{name} |{bar}| {percentage}% {done}/{total} {speed} ETA {eta}',
          barCompleteChar: '█',
          barIncompleteChar: '░',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          fps: 10,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  readonly onEvent = (event: EngineEvent): void => {
    const now = Date.now();
    switch (event.type) {
      case 'job-started': {
        const row: Row = { name: this.label(event.jobId), totalBytes: event.totalBytes, sentBytes: 0, ackedBytes: event.ackedBytes, rate: newRate(now) };
        const previous = this.rows.get(event.jobId);
        row.bar = previous?.bar ?? this.multi?.create(Math.max(1, event.totalBytes), event.ackedBytes, this.payload(row));
        this.rows.set(event.jobId, row);
        if (this.mode === 'lines') {
          const resumed = event.ackedBytes > 0 ? `, resuming at ${formatBytes(event.ackedBytes)}` : '';
          this.write(`${row.name}: uploading ${formatBytes(event.totalBytes)}${resumed}`);
        }
        this.render(row);
        return;
      }
      case 'bytes-sent': {
        const row = this.rows.get(event.jobId);
        if (!row) return;
        row.sentBytes += event.bytes;
        row.rate = addBytes(row.rate, event.bytes, now);
        this.render(row);
        return;
      }
      case 'part-acked': {
        const row = this.rows.get(event.jobId);
        if (!row) return;
        row.ackedBytes = event.ackedBytes;
        row.sentBytes = 0;
        this.render(row);
        return;
      }
      case 'job-restarted':
        this.note(`${this.label(event.jobId)}: started over – ${event.reason}`);
        return;
      case 'job-retrying':
        this.note(`${this.label(event.jobId)}: retrying in ${formatDuration(Math.ceil(event.delayMs / 1000))} – ${event.reason}`);
        return;
      case 'job-finished': {
        const row = this.rows.get(event.jobId);
        if (row && event.state === 'done') {
          row.ackedBytes = row.totalBytes;
          row.sentBytes = 0;
          this.render(row);
        }
        const detail = event.message ? ` – ${event.message}` : '';
        if (this.mode === 'lines' || event.state !== 'done') this.note(`${this.label(event.jobId)}: ${event.state}${detail}`);
        return;
      }
    }
  };

  stop(): void {
    this.multi?.stop();
  }

  /** A line for the user (above the bars on a terminal; nothing in --json mode). */
  note(line: string): void {
    if (this.mode === 'silent') return;
    if (this.multi) this.multi.log(`${line}\n`);
    else this.write(line);
  }

  private render(row: Row): void {
    row.bar?.update(Math.min(row.totalBytes, row.ackedBytes + row.sentBytes), this.payload(row));
  }

  private payload(row: Row): Record<string, string> {
    const shown = Math.min(row.totalBytes, row.ackedBytes + row.sentBytes);
    return {
      name: row.name.length > 28 ? `…${row.name.slice(-27)}` : row.name.padEnd(28),
      done: formatBytes(shown),
      total: formatBytes(row.totalBytes),
      speed: `${formatBytes(Math.round(row.rate.bytesPerSec))}/s`,
      eta: formatDuration(etaSeconds(row.totalBytes - shown, row.rate)),
    };
  }

  private label(jobId: number): string {
    return `#${jobId} ${basename(this.names.get(jobId) ?? String(jobId))}`;
  }
}
