/**
 * Canned, realistic state for the renderer's development fake (fake-bridge-server.ts): a dozen jobs in every state,
 * destinations of each auth kind, watched folders and warnings. Times are relative to `nowMs`.
 */
import type { DestinationView, JobActivity, JobStateView, JobView, PartView, ProviderKind, WarningView, WatchView } from '../../preload/contract/index.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface FakeJob extends JobView {
  /** Speed the fake sends at while running (bytes per second). */
  speedBytesPerSec: number;
  /** Part indexes that failed and retry. */
  failedParts: number[];
}

let nextId = 1;
export const takeId = () => nextId++;

interface JobSeed {
  name: string;
  dir?: string;
  destination: string;
  provider: ProviderKind;
  state: JobStateView;
  sizeBytes: number;
  ackedFraction?: number;
  activity?: JobActivity;
  speedMBps?: number;
  parts?: number;
  failedParts?: number[];
  pausedUntilMs?: number | null;
  error?: { code: string; cause: NonNullable<JobView['error']>['cause']; message: string };
  expiresInMs?: number;
  isSliding?: boolean;
  ageMs?: number;
  remoteWebUrl?: string | null;
}

export function makeJob(seed: JobSeed, nowMs: number): FakeJob {
  const acked = Math.floor(seed.sizeBytes * (seed.state === 'done' ? 1 : (seed.ackedFraction ?? 0)));
  const partsTotal = seed.parts ?? (seed.sizeBytes > 64 * MiB ? Math.ceil(seed.sizeBytes / (100 * MiB)) : 1);
  const expiresAtMs = seed.expiresInMs !== undefined ? nowMs + seed.expiresInMs : null;
  const dir = seed.dir ?? '/home/ana/Videos';
  return {
    id: takeId(),
    name: seed.name,
    localPath: `${dir}/${seed.name}`,
    isReceivedCopy: false,
    remotePath: `/Uploads/${seed.name}`,
    destination: seed.destination,
    provider: seed.provider,
    state: seed.state,
    activity: seed.activity ?? { kind: seed.state === 'running' ? 'sending' : 'none' },
    pausedUntilMs: seed.pausedUntilMs ?? null,
    sizeBytes: seed.sizeBytes,
    ackedBytes: acked,
    bytesSentTotal: acked + (seed.state === 'running' ? 3 * MiB : 0),
    partsTotal,
    partsDone: Math.floor(partsTotal * (acked / seed.sizeBytes)),
    sessionExpiresAtMs: expiresAtMs,
    expiry: expiresAtMs === null ? null : { expiresAtMs, isSliding: seed.isSliding ?? true, bytesAtRiskBytes: acked },
    restartReason: null,
    sessionLostAtMs: null,
    errorCode: seed.error?.code ?? null,
    errorMessage: seed.error?.message ?? null,
    error: seed.error ?? null,
    remoteItemId: seed.state === 'done' ? `item-${nextId}` : null,
    remoteWebUrl: seed.state === 'done' ? (seed.remoteWebUrl ?? `https://example.invalid/files/${encodeURIComponent(seed.name)}`) : null,
    createdAtMs: nowMs - (seed.ageMs ?? 3_600_000),
    updatedAtMs: nowMs - (seed.ageMs ?? 60_000) / 10,
    speedBytesPerSec: (seed.speedMBps ?? 0) * 1_000_000,
    failedParts: seed.failedParts ?? [],
  };
}

/** Parts of a job drawn from how far it got: done below the acked bytes, the next few sending, failed ones fixed. */
export function partsOf(job: FakeJob, nowMs: number): PartView[] {
  if (job.partsTotal <= 1) return [];
  const size = Math.ceil(job.sizeBytes / job.partsTotal);
  const parts: PartView[] = [];
  let sendingLeft = job.state === 'running' ? 3 : 0;
  for (let index = 0; index < job.partsTotal; index += 1) {
    const offsetBytes = index * size;
    const sizeBytes = Math.min(size, job.sizeBytes - offsetBytes);
    const end = offsetBytes + sizeBytes;
    const base = { index, offsetBytes, sizeBytes, attempts: 1, lastError: null, retryAtMs: null };
    if (job.failedParts.includes(index) && end > job.ackedBytes) {
      parts.push({ ...base, state: 'failed', sentBytes: 0, attempts: 2, lastError: 'Connection reset by peer', retryAtMs: nowMs + 8000 - (nowMs % 8000) });
    } else if (end <= job.ackedBytes) {
      parts.push({ ...base, state: 'done', sentBytes: sizeBytes });
    } else if (sendingLeft > 0) {
      sendingLeft -= 1;
      const phase = ((nowMs / 1000 + index * 1.7) % 6) / 6;
      parts.push({ ...base, state: 'sending', sentBytes: Math.floor(sizeBytes * phase) });
    } else {
      parts.push({ ...base, state: 'pending', sentBytes: 0 });
    }
  }
  return parts;
}

export function cannedJobs(nowMs: number): FakeJob[] {
  const at = (minutes: number) => nowMs + minutes * 60_000;
  return [
    makeJob({ name: 'film.mov', destination: 'OneDrive', provider: 'graph', state: 'running', sizeBytes: 4 * GiB, ackedFraction: 0.6, speedMBps: 18.2, parts: 40, failedParts: [29], expiresInMs: 14 * 60_000 }, nowMs),
    makeJob({ name: 'backup.tar', dir: '/home/ana', destination: 'Box', provider: 'box', state: 'running', sizeBytes: 12.4 * GiB, ackedFraction: 0.23, speedMBps: 21.6, parts: 160, expiresInMs: 6 * 86_400_000, isSliding: false }, nowMs),
    makeJob({ name: 'Quarterly financial review — final draft (approved by legal) v12 2025-11-28 with appendices and speaker notes.pdf', dir: '/home/ana/Documents/Finance/2025/Q4/Board meeting', destination: 'work-s3', provider: 's3', state: 'running', sizeBytes: 48 * MiB, ackedFraction: 0.1, speedMBps: 2.3 }, nowMs),
    makeJob({ name: 'archive.7z', dir: '/home/ana/Archive', destination: 'work-s3', provider: 's3', state: 'running', sizeBytes: 2.2 * GiB, ackedFraction: 0.41, activity: { kind: 'retrying', atMs: nowMs + 8000, reason: 'HTTP 503 from the server' }, parts: 22 }, nowMs),
    makeJob({ name: 'project.prproj', dir: '/home/ana/Edit', destination: 'OneDrive', provider: 'graph', state: 'running', sizeBytes: 310 * MiB, activity: { kind: 'waiting-stable', sinceMs: nowMs - 20_000 } }, nowMs),
    makeJob({ name: 'notes.pdf', dir: '/home/ana/Documents', destination: 'Box', provider: 'box', state: 'failed', sizeBytes: 3.4 * MiB, error: { code: 'auth-failed', cause: 'signed-out', message: 'Box refused the sign-in (HTTP 401 invalid_grant): the refresh token expired. Sign in to Box again.' } }, nowMs),
    makeJob({ name: 'slides.key', dir: '/home/ana/Documents', destination: 'Box', provider: 'box', state: 'failed', sizeBytes: 88 * MiB, ackedFraction: 0.5, parts: 8, error: { code: 'http-401', cause: 'signed-out', message: 'Box answered 401 Unauthorized to the part upload.' } }, nowMs),
    makeJob({ name: 'scan-0042.tiff', dir: '/media/ana/USB/Scans', destination: 'OneDrive', provider: 'graph', state: 'failed', sizeBytes: 96 * MiB, error: { code: 'file-missing', cause: 'file-gone', message: 'The file /media/ana/USB/Scans/scan-0042.tiff is gone (ENOENT): the drive was unplugged or the file moved.' } }, nowMs),
    makeJob({ name: 'interview.wav', dir: '/home/ana/Audio', destination: 'OneDrive', provider: 'graph', state: 'paused', sizeBytes: 5.1 * GiB, ackedFraction: 0.63, parts: 52, expiresInMs: 12 * 60_000 }, nowMs),
    makeJob({ name: 'raw-footage.mxf', dir: '/home/ana/Videos/Raw', destination: 'OneDrive', provider: 'graph', state: 'paused', sizeBytes: 7.8 * GiB, ackedFraction: 0.35, parts: 78 }, nowMs),
    makeJob({ name: 'photos-2024.zip', dir: '/home/ana/Pictures', destination: 'Box', provider: 'box', state: 'paused', sizeBytes: 1.6 * GiB, ackedFraction: 0.12, pausedUntilMs: at(120), parts: 16 }, nowMs),
    makeJob({ name: 'dataset.parquet', dir: '/data/exports', destination: 'Box', provider: 'box', state: 'queued', sizeBytes: 820 * MiB, activity: { kind: 'rate-limited', untilMs: nowMs + 42_000 } }, nowMs),
    makeJob({ name: 'server-logs.tgz', dir: '/var/log/archive', destination: 'tus-lab', provider: 'tus', state: 'queued', sizeBytes: 145 * MiB, activity: { kind: 'waiting-network', sinceMs: nowMs - 180_000 } }, nowMs),
    makeJob({ name: 'draft.docx', dir: '/home/ana/Documents', destination: 'OneDrive', provider: 'graph', state: 'queued', sizeBytes: 1.2 * MiB }, nowMs),
    makeJob({ name: 'thumbnail.png', dir: '/home/ana/Pictures', destination: 'OneDrive', provider: 'graph', state: 'running', sizeBytes: 2.5 * MiB, ackedFraction: 0.2, speedMBps: 0.4 }, nowMs),
    makeJob({ name: 'report.pdf', dir: '/home/ana/Documents', destination: 'OneDrive', provider: 'graph', state: 'done', sizeBytes: 12.7 * MiB, ageMs: 600_000 }, nowMs),
    makeJob({ name: 'song.flac', dir: '/home/ana/Music', destination: 'Box', provider: 'box', state: 'done', sizeBytes: 41 * MiB, ageMs: 900_000 }, nowMs),
    makeJob({ name: 'old-installer.iso', dir: '/home/ana/Downloads', destination: 'work-s3', provider: 's3', state: 'cancelled', sizeBytes: 3.9 * GiB, ackedFraction: 0.08, ageMs: 1_200_000 }, nowMs),
  ];
}

/** `count` finished jobs, for the 10,000-row check. */
export function manyFinished(count: number, nowMs: number): FakeJob[] {
  return Array.from({ length: count }, (_, i) =>
    makeJob({ name: `IMG_${String(i + 1).padStart(5, '0')}.jpg`, dir: '/home/ana/Pictures/Phone', destination: 'OneDrive', provider: 'graph', state: 'done', sizeBytes: 2 * MiB + ((i * 7919) % (6 * MiB)), ageMs: 1_000_000 + i * 1000 }, nowMs),
  );
}

export function cannedDestinations(): DestinationView[] {
  return [
    { name: 'OneDrive', provider: 'graph', settings: { endpoint: 'https://graph.microsoft.com/v1.0', conflict: 'rename' }, auth: { kind: 'sign-in', isSignedIn: true }, isDefault: true, isEncryptedAtRest: false },
    { name: 'Box', provider: 'box', settings: {}, auth: { kind: 'sign-in', isSignedIn: false }, isDefault: false, isEncryptedAtRest: false },
    { name: 'work-s3', provider: 's3', settings: { endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'acme-media', region: 'eu-central-1' }, auth: { kind: 'token', isStored: true }, isDefault: false, isEncryptedAtRest: true },
    { name: 'tus-lab', provider: 'tus', settings: { endpoint: 'http://127.0.0.1:1080/files/' }, auth: { kind: 'token-env', variable: 'TUS_TOKEN', isSet: false }, isDefault: false, isEncryptedAtRest: true },
  ];
}

export function cannedWatches(): WatchView[] {
  return [
    { id: 1, dir: '/home/ana/Pictures/Camera', destination: 'OneDrive', remoteDir: '/Camera Roll', isPaused: false, status: 'watching', statusMessage: null, ignorePatterns: ['*.tmp', '.thumbnails/'], includeHidden: false, counts: { uploaded: 1284, toUpload: 3, failed: 0 } },
    { id: 2, dir: '/media/ana/USB/Scans', destination: 'Box', remoteDir: '/Scans', isPaused: false, status: 'missing', statusMessage: 'The folder is gone (the drive was unplugged?). It is watched again once it is back.', ignorePatterns: [], includeHidden: false, counts: { uploaded: 41, toUpload: 0, failed: 1 } },
    { id: 3, dir: '/srv/exports/nightly', destination: 'work-s3', remoteDir: '/', isPaused: true, status: 'paused', statusMessage: null, ignorePatterns: [], includeHidden: true, counts: { uploaded: 310, toUpload: 12, failed: 0 } },
  ];
}

/** Warnings for the paused jobs: an expiring OneDrive session and an expired one. */
export function cannedWarnings(jobs: readonly FakeJob[], nowMs: number): WarningView[] {
  const warnings: WarningView[] = [];
  for (const job of jobs) {
    if (job.state !== 'paused' || job.provider !== 'graph') continue;
    if (job.expiry !== null) {
      warnings.push({ kind: 'session-expiring', id: `expiring-${job.id}`, jobId: job.id, jobName: job.name, destination: job.destination, provider: job.provider, expiresAtMs: job.expiry.expiresAtMs, bytesAtRiskBytes: job.ackedBytes });
    } else {
      warnings.push({ kind: 'session-expired', id: `expired-${job.id}`, jobId: job.id, jobName: job.name, destination: job.destination, provider: job.provider, expiredAtMs: nowMs - 25 * 60_000, bytesAtRiskBytes: job.ackedBytes, restartReason: null });
    }
  }
  return warnings;
}
