/** Times as the window shows them: clock times ("14:32"), countdowns ("in 42 s") and durations ("1 min 24 s"). */

const pad = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** "14:32" (local time, 24 h); "3 Dec 14:32" when it is not on the day of `nowMs`. */
export function formatClock(atMs: number, nowMs: number = atMs): string {
  const at = new Date(atMs);
  const now = new Date(nowMs);
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const isSameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  return isSameDay ? time : `${at.getDate()} ${MONTHS[at.getMonth()]} ${time}`;
}

/** Local midnight of the day of `ms`: what "finished 14:02" depends on (it gains a date on another day). */
export function startOfDayMs(ms: number): number {
  const day = new Date(ms);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

/** "42 s", "1 min 24 s", "12 min", "1 h 5 min", "2 d 3 h": two units at most, seconds only below ten minutes. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 600) return s % 60 === 0 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 3600) return `${Math.round(s / 60) === 60 ? 59 : Math.round(s / 60)} min`;
  if (s < 86_400) {
    const minutes = Math.floor((s % 3600) / 60);
    return minutes === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${minutes} min`;
  }
  const hours = Math.floor((s % 86_400) / 3600);
  return hours === 0 ? `${Math.floor(s / 86_400)} d` : `${Math.floor(s / 86_400)} d ${hours} h`;
}

/** "in 42 s", "in 12 min"; "now" once the moment has come. Counts up to whole seconds so "in 0 s" never shows. */
export function formatIn(targetMs: number, nowMs: number): string {
  const seconds = Math.ceil((targetMs - nowMs) / 1000);
  return seconds <= 0 ? 'now' : `in ${formatDuration(seconds)}`;
}

/** "42 s ago"; "just now" within a second. */
export function formatAgo(sinceMs: number, nowMs: number): string {
  const seconds = Math.floor((nowMs - sinceMs) / 1000);
  return seconds < 1 ? 'just now' : `${formatDuration(seconds)} ago`;
}

/** A rough time left for the summary line: "less than a minute", "about 6 min", "about 2 h 10 min". */
export function formatRoughDuration(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  if (seconds < 3600) return `about ${Math.ceil(seconds / 60)} min`;
  return `about ${formatDuration(Math.ceil(seconds / 60) * 60)}`;
}
