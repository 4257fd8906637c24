import { describe, expect, it } from 'vitest';
import { expiryWarning, sessionExpiry, SESSION_LOST_NOTICE_MS, type ExpiryInput } from '../../main/domain/session-expiry.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = 1_800_000_000_000;
const WINDOW = HOUR;

const job = (over: Partial<ExpiryInput> = {}): ExpiryInput => ({
  jobId: 7,
  jobName: 'film.mov',
  destination: 'OneDrive',
  provider: 'graph',
  state: 'paused',
  isSending: false,
  sizeBytes: 4 * 1024 ** 3,
  restartReason: null,
  sessionLostAtMs: null,
  session: { state: 'open', expiresAtMs: NOW + 12 * MIN, createdAtMs: NOW - 2 * HOUR, ackedBytes: 3_435_973_837 },
  ...over,
});

describe('session expiry (a fake clock: every "now" is passed in)', () => {
  it('warns for a paused OneDrive upload whose session expires within the window, with the bytes that would be sent again', () => {
    expect(expiryWarning(job(), NOW, WINDOW)).toEqual({
      kind: 'session-expiring',
      id: `expiring:7:${NOW - 2 * HOUR}`,
      jobId: 7,
      jobName: 'film.mov',
      destination: 'OneDrive',
      provider: 'graph',
      expiresAtMs: NOW + 12 * MIN,
      bytesAtRiskBytes: 3_435_973_837,
    });
  });

  it('does not warn while the job sends (each part extends the session), outside the window, or with nothing at risk', () => {
    expect(expiryWarning(job({ isSending: true }), NOW, WINDOW)).toBeNull();
    expect(expiryWarning(job(), NOW - 2 * HOUR, WINDOW)).toBeNull();
    expect(expiryWarning(job({ session: { state: 'open', expiresAtMs: NOW + 12 * MIN, createdAtMs: NOW, ackedBytes: 0 } }), NOW, WINDOW)).toBeNull();
  });

  it('warns for queued and waiting jobs too, not for finished ones', () => {
    expect(expiryWarning(job({ state: 'queued' }), NOW, WINDOW)?.kind).toBe('session-expiring');
    expect(expiryWarning(job({ state: 'running', isSending: false }), NOW, WINDOW)?.kind).toBe('session-expiring');
    expect(expiryWarning(job({ state: 'done' }), NOW, WINDOW)).toBeNull();
    expect(expiryWarning(job({ state: 'failed' }), NOW, WINDOW)).toBeNull();
  });

  it('moves from expiring to expired as the clock passes the expiry', () => {
    const input = job();
    expect(expiryWarning(input, NOW + 11 * MIN, WINDOW)?.kind).toBe('session-expiring');
    expect(expiryWarning(input, NOW + 12 * MIN, WINDOW)).toMatchObject({ kind: 'session-expired', expiredAtMs: NOW + 12 * MIN, restartReason: null, bytesAtRiskBytes: 3_435_973_837 });
  });

  it('caps a Graph session at 24 hours from its creation, whatever expiry it last reported', () => {
    const created = NOW - 23.5 * HOUR;
    const expiry = sessionExpiry(job({ session: { state: 'open', expiresAtMs: NOW + 10 * HOUR, createdAtMs: created, ackedBytes: 1 } }));
    expect(expiry).toEqual({ expiresAtMs: created + 24 * HOUR, isSliding: true, bytesAtRiskBytes: 1 });
  });

  it('knows Box sessions last 7 days from creation and S3 multipart uploads do not expire', () => {
    const created = NOW - 7 * 24 * HOUR + 30 * MIN;
    const box = job({ provider: 'box', destination: 'Box', session: { state: 'open', expiresAtMs: null, createdAtMs: created, ackedBytes: 8 } });
    expect(sessionExpiry(box)).toEqual({ expiresAtMs: created + 7 * 24 * HOUR, isSliding: false, bytesAtRiskBytes: 8 });
    expect(expiryWarning(box, NOW, WINDOW)?.kind).toBe('session-expiring');
    expect(sessionExpiry(job({ provider: 's3' }))).toBeNull();
    expect(expiryWarning(job({ provider: 's3' }), NOW, WINDOW)).toBeNull();
  });

  it('has no expiry without an open session', () => {
    expect(sessionExpiry(job({ session: null }))).toBeNull();
    expect(sessionExpiry(job({ session: { state: 'expired', expiresAtMs: NOW, createdAtMs: NOW - HOUR, ackedBytes: 5 } }))).toBeNull();
  });

  it('tells for a day that a lost session restarted the upload on a new one, and why', () => {
    const lost = job({ state: 'running', isSending: true, sessionLostAtMs: NOW - HOUR, restartReason: 'the upload session expired; started a new session', session: { state: 'open', expiresAtMs: NOW + 14 * MIN, createdAtMs: NOW - HOUR, ackedBytes: 0 } });
    expect(expiryWarning(lost, NOW, WINDOW)).toMatchObject({ kind: 'session-expired', id: `lost:7:${NOW - HOUR}`, restartReason: 'the upload session expired; started a new session' });
    expect(expiryWarning(lost, NOW - HOUR + SESSION_LOST_NOTICE_MS, WINDOW)).toBeNull();
  });

  it('lets a kept-alive paused session be, except before its hard cap', () => {
    expect(expiryWarning(job({ isKeptAlive: true }), NOW, WINDOW)).toBeNull();
    // The keep-alive cannot move Graph's 24-hour cap: that expiry still warns.
    const capped = job({ isKeptAlive: true, session: { state: 'open', expiresAtMs: NOW + 2 * HOUR, createdAtMs: NOW - 23.5 * HOUR, ackedBytes: 9 } });
    expect(expiryWarning(capped, NOW, WINDOW)).toMatchObject({ kind: 'session-expiring', expiresAtMs: NOW + 0.5 * HOUR });
    // A queued job is not kept alive (it will be sending soon, or it waits for the network).
    expect(expiryWarning(job({ isKeptAlive: true, state: 'queued' }), NOW, WINDOW)?.kind).toBe('session-expiring');
  });
});
