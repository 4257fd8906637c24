import { formatBytesOf, percentOf } from '../format/bytes.js';

interface ProgressBarProps {
  label: string;
  doneBytes: number;
  totalBytes: number;
  tone: 'active' | 'done' | 'muted' | 'error' | 'warning';
}

/**
 * A bar that says its value in words ("62 %, 2.5 of 4.0 GiB"); it eases between ticks, nothing else moves. A full bar
 * is the track in the fill's colour, one element: most rows of a long queue are finished ones.
 */
export function ProgressBar({ label, doneBytes, totalBytes, tone }: ProgressBarProps) {
  const percent = percentOf(doneBytes, totalBytes);
  const fraction = totalBytes > 0 ? Math.min(1, doneBytes / totalBytes) : percent / 100;
  return (
    <div
      className={`progress progress-${tone}${fraction >= 1 ? ' is-full' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={`${percent} %, ${formatBytesOf(doneBytes, totalBytes)}`}
    >
      {fraction >= 1 ? null : <div className="progress-fill" style={{ transform: `scaleX(${fraction})` }} />}
    </div>
  );
}
