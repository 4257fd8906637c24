import { describe, expect, it } from 'vitest';
import type { WarningView } from '../../preload/contract/index.js';
import { formatBytes, formatBytesOf, formatCount, formatSpeed, percentOf, plural } from '../../renderer/format/bytes.js';
import { folderOf, isClockDependent, jobStateWords } from '../../renderer/format/job-words.js';
import { formatClock, formatDuration, formatIn, formatRoughDuration } from '../../renderer/format/time.js';
import { bannerWarnings, warningText } from '../../renderer/format/warning-words.js';
import { jobNumbers } from '../../renderer/features/queue/job-numbers.js';
import { failed, job } from '../support/renderer-fixtures.js';

const GiB = 1024 ** 3;
const at = (h: number, m: number, day = 3) => new Date(2026, 11, day, h, m, 0).getTime();

describe('sizes and speeds', () => {
  it('shows sizes in binary units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1.2 * GiB)).toBe('1.2 GiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
    expect(formatBytes(-5)).toBe('0 B');
  });

  it('shows done and total in the unit of the total', () => {
    expect(formatBytesOf(2.5 * GiB, 4 * GiB)).toBe('2.5 of 4.0 GiB');
    expect(formatBytesOf(300 * 1024 ** 2, 4 * GiB)).toBe('0.3 of 4.0 GiB');
    expect(formatBytesOf(10, 900)).toBe('10 of 900 B');
  });

  it('shows speeds in decimal units', () => {
    expect(formatSpeed(12_345_678)).toBe('12.3 MB/s');
    expect(formatSpeed(850_000)).toBe('850.0 kB/s');
    expect(formatSpeed(999_960)).toBe('1.0 MB/s');
    expect(formatSpeed(42)).toBe('42 B/s');
  });

  it('rounds percent down so 100 % means complete', () => {
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(1000, 1000)).toBe(100);
    expect(percentOf(62.9, 100)).toBe(62);
    expect(percentOf(0, 0)).toBe(0);
  });

  it('groups thousands and picks the plural', () => {
    expect(formatCount(1203)).toBe('1,203');
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(10_000, 'file')).toBe('10,000 files');
  });
});

describe('times', () => {
  it('says clock times in 24 h, with the date when not today', () => {
    expect(formatClock(at(14, 32), at(9, 0))).toBe('14:32');
    expect(formatClock(at(7, 5, 4), at(23, 0))).toBe('4 Dec 07:05');
  });

  it('counts down in words', () => {
    expect(formatIn(42_001, 0)).toBe('in 43 s');
    expect(formatIn(42_000, 0)).toBe('in 42 s');
    expect(formatIn(8_000, 0)).toBe('in 8 s');
    expect(formatIn(12 * 60_000, 0)).toBe('in 12 min');
    expect(formatIn(1000, 1000)).toBe('now');
  });

  it('says durations with at most two units', () => {
    expect(formatDuration(84)).toBe('1 min 24 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(65 * 60)).toBe('1 h 5 min');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(51 * 3600)).toBe('2 d 3 h');
    expect(formatRoughDuration(6 * 60 - 10)).toBe('about 6 min');
    expect(formatRoughDuration(20)).toBe('less than a minute');
  });
});

describe('job words', () => {
  const now = at(14, 0);
  it('puts every state and activity into words', () => {
    const cases: Array<[Parameters<typeof job>[1], string]> = [
      [{ state: 'running', activity: { kind: 'sending' } }, 'Uploading'],
      [{ state: 'queued' }, 'Queued'],
      [{ state: 'paused' }, 'Paused'],
      [{ state: 'paused', pausedUntilMs: at(16, 0) }, 'Paused until 16:00'],
      [{ state: 'queued', activity: { kind: 'waiting-network', sinceMs: now } }, 'Waiting for network'],
      [{ state: 'queued', activity: { kind: 'rate-limited', untilMs: now + 42_000 } }, 'Rate limited until 14:00 (in 42 s)'],
      [{ state: 'running', activity: { kind: 'retrying', atMs: now + 8000, reason: 'HTTP 503' } }, 'Retrying in 8 s'],
      [{ state: 'running', activity: { kind: 'stalled', sinceMs: now } }, 'Stalled'],
      [{ state: 'queued', activity: { kind: 'waiting-stable', sinceMs: now } }, 'Waiting for the file to stop changing'],
      [{ state: 'running', activity: { kind: 'elsewhere', pid: 42 } }, 'Uploading in another Hoist process'],
      [{ state: 'done' }, 'Done'],
      [{ state: 'cancelled' }, 'Cancelled'],
    ];
    for (const [patch, text] of cases) expect(jobStateWords(job(1, patch), undefined, now).text).toBe(text);
    expect(jobStateWords(failed(1, 'signed-out'), undefined, now).text).toBe('Failed: failed because signed-out');
  });

  it('says stalled from the live tick, and keeps countdowns out of the accessible label', () => {
    const running = job(1, { state: 'running', activity: { kind: 'sending' } });
    expect(jobStateWords(running, { id: 1, ackedBytes: 0, inFlightBytes: 0, bytesPerSec: 0, etaSec: null, stalledSinceMs: now }, now).text).toBe('Stalled');
    expect(jobStateWords(job(1, { state: 'running', activity: { kind: 'retrying', atMs: now + 8000, reason: 'x' } }), undefined, now).label).toBe('Retrying');
  });

  it('follows the clock only for words that count down', () => {
    expect(isClockDependent(job(1, { state: 'running', activity: { kind: 'retrying', atMs: 1, reason: 'x' } }))).toBe(true);
    expect(isClockDependent(job(1, { state: 'paused', pausedUntilMs: 5 }))).toBe(true);
    expect(isClockDependent(job(1, { state: 'running', activity: { kind: 'sending' } }))).toBe(false);
  });

  it('shows numbers with speed and ETA, or "stalled" instead of a growing ETA', () => {
    const running = job(1, { state: 'running', sizeBytes: 4 * GiB });
    const live = { id: 1, ackedBytes: 2.5 * GiB, inFlightBytes: 0, bytesPerSec: 18_200_000, etaSec: 84, stalledSinceMs: null };
    expect(jobNumbers(running, live, now)).toBe('2.5 of 4.0 GiB · 18.2 MB/s · 1 min 24 s left');
    expect(jobNumbers(running, { ...live, bytesPerSec: 0, etaSec: null, stalledSinceMs: now }, now)).toBe('2.5 of 4.0 GiB · stalled');
  });

  it('shortens the home folder', () => {
    expect(folderOf('/home/ana/Videos/film.mov')).toBe('~/Videos');
    expect(folderOf('/Users/bo/film.mov')).toBe('~');
    expect(folderOf('/data/x.bin')).toBe('/data');
    expect(folderOf('C:\\Users\\bo\\x.bin')).toBe('C:\\Users\\bo');
  });
});

describe('warnings', () => {
  const now = at(14, 20);
  const expiring: WarningView = { kind: 'session-expiring', id: 'a', jobId: 1, jobName: 'film.mov', destination: 'OneDrive', provider: 'graph', expiresAtMs: at(14, 32), bytesAtRiskBytes: 3.2 * GiB };
  const expired: WarningView = { kind: 'session-expired', id: 'b', jobId: 2, jobName: 'clip.mov', destination: 'OneDrive', provider: 'graph', expiredAtMs: at(13, 0), bytesAtRiskBytes: GiB, restartReason: null };

  it('says what expires when and what it costs', () => {
    expect(warningText(expiring, now, 'paused')).toBe('Paused: OneDrive will drop the upload session of film.mov — it expires in 12 min (14:32); after that 3.2 GiB must be sent again.');
    expect(warningText(expired, now, 'paused')).toContain('Session expired; resuming starts a new session');
    expect(warningText({ ...expired, restartReason: 'session expired' }, now, 'running')).toContain('Session expired; clip.mov restarted on a new session');
  });

  it('shows one banner per kind, the most pressing first, and skips dismissed ones', () => {
    const sooner = { ...expiring, id: 'c', expiresAtMs: at(14, 25) };
    expect(bannerWarnings([expired, expiring, sooner], new Set()).map((w) => w.id)).toEqual(['c', 'b']);
    expect(bannerWarnings([expired, expiring, sooner], new Set(['c'])).map((w) => w.id)).toEqual(['a', 'b']);
  });
});
