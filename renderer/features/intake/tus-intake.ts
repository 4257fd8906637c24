import type { DetailedError } from 'tus-js-client';
import { INTAKE_PATH } from '../../../preload/contract/index.js';

export interface IntakeCallbacks {
  onProgress(sentBytes: number, totalBytes: number): void;
  onDone(): void;
  onError(message: string): void;
}

export interface IntakeTarget {
  token: string;
  destination: string | null;
  remoteDir: string | null;
}

const isDetailed = (error: Error): error is DetailedError => 'originalResponse' in error;

/** Why a stream stopped, in words (main answers refusals with a sentence in the body). */
export function intakeErrorMessage(error: Error): string {
  if (isDetailed(error) && error.originalResponse !== null) {
    const status = error.originalResponse.getStatus();
    if (status === 401) return 'Hoist refused the access token. Open the address `hoist serve` printed again.';
    const body = (error.originalResponse.getBody() ?? '').trim();
    if (body !== '') return body;
    return `Hoist refused the file (HTTP ${status}).`;
  }
  return 'Hoist could not be reached. Add the file again to continue where it stopped.';
}

/**
 * Streams one file the user dropped into the browser tab to main's tus intake, which queues it once complete. A file
 * dropped again after an interruption continues from where the intake stopped (tus keeps the upload's address).
 */
export function streamFile(file: File, target: IntakeTarget, callbacks: IntakeCallbacks): () => void {
  let isAborted = false;
  let abort = () => {};
  // The tus client (a sixth of the window's code) loads with the first file, not with the page.
  import('tus-js-client').then(
    ({ Upload }) => {
      if (!isAborted) abort = start(Upload, file, target, callbacks);
    },
    () => callbacks.onError('Hoist could not be reached. Add the file again to continue where it stopped.'),
  );
  return () => {
    isAborted = true;
    abort();
  };
}

function start(Upload: typeof import('tus-js-client').Upload, file: File, target: IntakeTarget, callbacks: IntakeCallbacks): () => void {
  const metadata: Record<string, string> = { filename: file.name };
  if (target.destination !== null) metadata.destination = target.destination;
  if (target.remoteDir !== null) metadata.remoteDir = target.remoteDir;
  const upload = new Upload(file, {
    endpoint: new URL(INTAKE_PATH, window.location.href).href,
    headers: { Authorization: `Bearer ${target.token}` },
    metadata,
    retryDelays: [0, 1000, 3000, 5000],
    removeFingerprintOnSuccess: true,
    onProgress: (sent, total) => callbacks.onProgress(sent, total),
    onSuccess: () => callbacks.onDone(),
    onError: (error) => callbacks.onError(intakeErrorMessage(error)),
  });
  let isAborted = false;
  upload
    .findPreviousUploads()
    .then((previous) => {
      if (isAborted) return;
      const latest = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
      if (latest !== undefined) upload.resumeFromPreviousUpload(latest);
      upload.start();
    })
    .catch(() => upload.start());
  return () => {
    isAborted = true;
    void upload.abort();
  };
}
