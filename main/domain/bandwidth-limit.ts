import { parseRate } from './bandwidth-rate.js';
import { parseTimetable, rateInTimetable, type RateInForce, type TimetableSlot } from './bandwidth-timetable.js';
import { HoistError } from './hoist-error.js';

export type { RateInForce, TimetableSlot } from './bandwidth-timetable.js';

/** The upload bandwidth limit of the process: none, one rate, or a timetable of rates (local time). */
export type BandwidthLimit =
  | { kind: 'off' }
  | { kind: 'rate'; bytesPerSec: number }
  | { kind: 'timetable'; slots: TimetableSlot[] };

export const NO_BANDWIDTH_LIMIT: BandwidthLimit = { kind: 'off' };

/** `--bwlimit`: "3M", "off", or a timetable such as "08:00,1M 18:00,off" / "Mon-08:00,512K Fri-18:00,off". */
export function parseBandwidthLimit(text: string): BandwidthLimit {
  const trimmed = text.trim();
  if (trimmed === '') throw new HoistError('invalid-argument', 'the bandwidth limit is empty: give a rate such as 3M, off, or a timetable such as "08:00,1M 18:00,off"');
  if (trimmed.includes(',')) return { kind: 'timetable', slots: parseTimetable(trimmed) };
  const bytesPerSec = parseRate(trimmed);
  return bytesPerSec === null ? NO_BANDWIDTH_LIMIT : { kind: 'rate', bytesPerSec };
}

/** The rate in force at `nowMs` (null: unlimited) and when that next changes. */
export function rateInForce(limit: BandwidthLimit, nowMs: number): RateInForce {
  switch (limit.kind) {
    case 'off':
      return { bytesPerSec: null, untilMs: null };
    case 'rate':
      return { bytesPerSec: limit.bytesPerSec, untilMs: null };
    case 'timetable':
      return rateInTimetable(limit.slots, nowMs);
  }
}
