import type { JobView } from '../../../preload/contract/index.js';
import { formatClock } from '../../format/time.js';

/** The full error of a failed job, with its code for a bug report. */
export function ErrorDetails({ job }: { job: JobView }) {
  const message = job.error?.message ?? job.errorMessage ?? 'No details were recorded.';
  const code = job.error?.code ?? job.errorCode;
  return (
    <div className="error-details">
      <p className="error-message">{message}</p>
      <p className="error-meta">
        {code !== null ? (
          <>
            Code <code>{code}</code> ·{' '}
          </>
        ) : null}
        failed {formatClock(job.updatedAtMs, Date.now())} · {job.localPath} → {job.destination}:{job.remotePath}
      </p>
    </div>
  );
}
