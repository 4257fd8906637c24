import { parseRate } from './bandwidth-rate.js';
import { HoistError } from './hoist-error.js';

/** From this minute of the week (Monday 00:00 = 0, local time) the rate is `bytesPerSec` (null: no limit). */
export interface TimetableSlot {
  minuteOfWeek: number;
  bytesPerSec: number | null;
}

/** The rate in force and when it next changes (null: it never does). */
export interface RateInForce {
  bytesPerSec: number | null;
  untilMs: number | null;
}

const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const FULL_DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const ENTRY_FORMS = 'write HH:MM,RATE or Day-HH:MM,RATE, such as 08:00,1M or Mon-08:00,512K';

/**
 * rclone's `--bwlimit` timetable: space-separated `HH:MM,RATE` entries, each in force from its time (local) until the
 * next; before the first entry of a day the previous day's last one holds. `Day-HH:MM,RATE` (Mon … Sun) gives a weekly
 * timetable; an entry without a day then applies to every day, as in rclone.
 */
export function parseTimetable(text: string): TimetableSlot[] {
  const slots = new Map<number, number | null>();
  for (const entry of text.trim().split(/\s+/)) {
    const match = /^(?:([a-z]+)-)?(\d{1,2}):(\d{2}),(.+)$/i.exec(entry);
    const hours = Number(match?.[2]);
    const minutes = Number(match?.[3]);
    const day = match?.[1] === undefined ? undefined : dayIndex(match[1]);
    if (!match || hours > 23 || minutes > 59 || day === -1) throw new HoistError('invalid-argument', `"${entry}" is not a timetable entry: ${ENTRY_FORMS}`);
    let bytesPerSec: number | null;
    try {
      bytesPerSec = parseRate(match[4]!);
    } catch (error) {
      throw new HoistError('invalid-argument', `in the timetable entry "${entry}", ${(error as Error).message}`);
    }
    for (const d of day === undefined ? [0, 1, 2, 3, 4, 5, 6] : [day]) {
      const minuteOfWeek = d * MINUTES_PER_DAY + hours * 60 + minutes;
      if (slots.has(minuteOfWeek)) throw new HoistError('invalid-argument', `the timetable sets ${entry.split(',')[0]} twice`);
      slots.set(minuteOfWeek, bytesPerSec);
    }
  }
  return [...slots].map(([minuteOfWeek, bytesPerSec]) => ({ minuteOfWeek, bytesPerSec })).sort((a, b) => a.minuteOfWeek - b.minuteOfWeek);
}

/** Monday = 0 … Sunday = 6; -1 for anything else. */
function dayIndex(name: string): number {
  const lower = name.toLowerCase();
  const short = DAY_NAMES.indexOf(lower);
  return short >= 0 ? short : FULL_DAY_NAMES.indexOf(lower);
}

/** The slot in force at local time `nowMs` and the next moment a slot with another rate begins. `slots` is sorted. */
export function rateInTimetable(slots: readonly TimetableSlot[], nowMs: number): RateInForce {
  if (slots.length === 0) return { bytesPerSec: null, untilMs: null };
  const now = new Date(nowMs);
  const minuteOfDay = now.getHours() * 60 + now.getMinutes();
  const minuteOfWeek = ((now.getDay() + 6) % 7) * MINUTES_PER_DAY + minuteOfDay;
  // Before the week's first slot, last week's last slot still holds.
  let current = slots.length - 1;
  for (let i = 0; i < slots.length && slots[i]!.minuteOfWeek <= minuteOfWeek; i++) current = i;
  const bytesPerSec = slots[current]!.bytesPerSec;
  for (let k = 1; k < slots.length; k++) {
    const next = slots[(current + k) % slots.length]!;
    if (next.bytesPerSec === bytesPerSec) continue;
    const aheadMinutes = (next.minuteOfWeek - minuteOfWeek + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
    // Wall-clock arithmetic (the Date constructor normalises the minutes), so a daylight-saving change moves nothing.
    const untilMs = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 0, minuteOfDay + aheadMinutes).getTime();
    // Inside a repeated hour (clocks going back) the boundary may already have passed: look again in a minute.
    return { bytesPerSec, untilMs: untilMs > nowMs ? untilMs : nowMs + 60_000 };
  }
  return { bytesPerSec, untilMs: null };
}
