import { memo, useMemo } from 'react';
import type { PartView } from '../../../preload/contract/index.js';
import { useAppState } from '../../app/app-context.js';
import { partCellLabel, partCells } from './part-ranges.js';

interface PartStripProps {
  name: string;
  parts: readonly PartView[];
  /** Whether a failed part counts down to its retry (only then does the strip follow the clock). */
  followClock: boolean;
}

/** One cell per part (or per range past 200 parts), each with its state in words for screen readers. */
export const PartStrip = memo(function PartStrip({ name, parts, followClock }: PartStripProps) {
  const nowMs = useAppState((s) => (followClock ? s.nowMs : 0));
  const cells = useMemo(() => partCells(parts), [parts]);
  const isRanged = cells.length < parts.length;
  return (
    <div role="group" aria-label={`Parts of ${name}`} className={isRanged ? 'part-strip is-ranged' : 'part-strip'}>
      {cells.map((cell) => {
        const label = partCellLabel(cell, parts.length, nowMs);
        return (
          <span key={cell.first} role="img" aria-label={label} title={label} className={`part part-${cell.state}`}>
            {cell.state === 'sending' || cell.state === 'partial' ? <span className="part-fill" style={{ transform: `scaleY(${cell.fill})` }} /> : null}
          </span>
        );
      })}
    </div>
  );
});
