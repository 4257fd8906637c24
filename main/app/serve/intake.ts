import { mkdir, rm, statfs } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Server } from '@tus/server';
import { INTAKE_PATH } from '../../../preload/contract/wire.js';
import { formatBytes } from '../../domain/transfer-rate.js';
import { normalizeRemoteDir } from '../../domain/sync-diff.js';
import { DeliveringFileStore } from '../receive/delivering-file-store.js';
import { STAGING_DIR_NAME, checkRelativePath } from '../receive/safe-relative-path.js';

export interface IntakeOptions {
  /** Where received files wait for their upload (inside the data folder). */
  dir: string;
  /** Whether a destination exists (the page names one, or none for the default). */
  hasDestination(name: string | undefined): boolean;
  /** Queues a received file; rejects when it cannot be queued. */
  queue(path: string, destination: string | undefined, remoteDir: string | undefined): Promise<void>;
  /** Room kept free on the disk beyond the file itself. */
  reserveBytes?: number;
  log?: (line: string) => void;
}

export interface Intake {
  handle: Server['handle'];
  /** Whether a job's file is one the intake received (and may delete once it is uploaded). */
  owns(localPath: string): boolean;
  /** Deletes a received file once its upload is verified (or cancelled). */
  discard(localPath: string): Promise<void>;
}

const DEFAULT_RESERVE_BYTES = 256 * 1024 * 1024;

/**
 * Files dropped into the browser tab of `hoist serve` (a tab has no file paths): streamed with tus into the data
 * folder, each in a folder of its own under its own name, after a check that the disk can hold it; queued once
 * complete, and removed once uploaded. An interrupted drop resumes like any tus upload.
 */
export async function startIntake(options: IntakeOptions): Promise<Intake> {
  const root = options.dir;
  const staging = join(root, STAGING_DIR_NAME);
  await mkdir(staging, { recursive: true, mode: 0o700 });
  const log = options.log ?? (() => undefined);
  const store = new DeliveringFileStore(root, staging, 24 * 60 * 60 * 1000, log);
  await store.sweep(Date.now());
  const reserve = options.reserveBytes ?? DEFAULT_RESERVE_BYTES;
  const tus = new Server({
    path: INTAKE_PATH.slice(0, -1),
    datastore: store,
    allowedOrigins: () => false,
    disableTerminationForFinishedUploads: true,
    onUploadCreate: async (_req, upload) => {
      const meta = upload.metadata ?? {};
      const name = basename(meta.filename ?? '');
      const check = checkRelativePath(name);
      if (!check.ok) throw { status_code: 400, body: `The file name is not allowed: ${check.reason}.\n` };
      if (meta.remoteDir && normalizeRemoteDir(meta.remoteDir) === undefined) throw { status_code: 400, body: 'The remote folder must not contain "..".\n' };
      if (!options.hasDestination(meta.destination || undefined)) throw { status_code: 400, body: `There is no destination named "${meta.destination}".\n` };
      const size = upload.size ?? 0;
      const fs = await statfs(root);
      const free = fs.bavail * fs.bsize;
      if (size + reserve > free) {
        throw { status_code: 507, body: `Not enough free space on the machine running Hoist to receive ${name}: ${formatBytes(size)} needed, ${formatBytes(free)} free.\n` };
      }
      return { metadata: { ...meta, relativePath: `${upload.id}/${name}` } };
    },
    onUploadFinish: async (_req, upload) => {
      const rel = await store.deliver(upload.id);
      const meta = upload.metadata ?? {};
      try {
        await options.queue(join(root, ...rel.split('/')), meta.destination || undefined, meta.remoteDir || undefined);
      } catch (error) {
        await rm(join(root, upload.id), { recursive: true, force: true });
        throw { status_code: 422, body: `${(error as Error).message}\n` };
      }
      return {};
    },
  });
  const owns = (localPath: string) => {
    const rel = relative(root, localPath);
    return rel !== '' && !rel.startsWith('..') && !rel.startsWith(STAGING_DIR_NAME) && rel.includes(sep);
  };
  return {
    handle: (req, res) => tus.handle(req, res),
    owns,
    async discard(localPath) {
      if (owns(localPath)) await rm(dirname(localPath), { recursive: true, force: true });
    },
  };
}
