import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useApp, useAppState } from '../../app/app-context.js';
import { createQueueItemsSelector, type QueueFilter, type QueueItem } from '../../store/selectors.js';
import { CauseHeader } from './CauseHeader.js';
import { GroupHeader } from './GroupHeader.js';
import { JobRow } from './JobRow.js';
import { useRowKeys } from './use-row-keys.js';

const ESTIMATE: Record<QueueItem['kind'], number> = { group: 40, cause: 48, job: 56 };

function Line({ item, rowIndex, activeId }: { item: QueueItem; rowIndex: number; activeId: number | null }) {
  switch (item.kind) {
    case 'group':
      return <GroupHeader group={item.group} count={item.count} rowIndex={rowIndex} />;
    case 'cause':
      return <CauseHeader cause={item.cause} ids={item.ids} destinations={item.destinations} rowIndex={rowIndex} />;
    case 'job':
      return <JobRow id={item.id} rowIndex={rowIndex} isActive={item.id === activeId} />;
  }
}

/**
 * The queue as one virtual grid: only the lines in view exist in the DOM (smooth at 10,000 jobs), the header of the
 * group in view stays on top, and the arrow keys move a roving focus between rows.
 */
export function QueueList({ filter, label }: { filter: QueueFilter; label: string }) {
  const { store } = useApp();
  const selectItems = useMemo(createQueueItemsSelector, []);
  const isFinishedOpen = useAppState((s) => s.isFinishedOpen);
  const items = useAppState((s) => selectItems(s, filter, isFinishedOpen));
  const scrollRef = useRef<HTMLDivElement>(null);
  const [focusedId, setFocusedId] = useState<number | null>(null);

  const stickyIndexes = useMemo(() => items.flatMap((item, index) => (item.kind === 'group' ? [index] : [])), [items]);
  const activeSticky = useRef(0);
  const rangeExtractor = useCallback(
    (range: Range) => {
      activeSticky.current = stickyIndexes.findLast((index) => index <= range.startIndex) ?? 0;
      return [...new Set([activeSticky.current, ...defaultRangeExtractor(range)])].sort((a, b) => a - b);
    },
    [stickyIndexes],
  );

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (index) => ESTIMATE[items[index]?.kind ?? 'job'],
    getItemKey: (index) => items[index]?.key ?? index,
    overscan: 4,
    rangeExtractor,
  });

  // The row holding the roving tab stop: the one last focused while it is still listed, else the first job.
  const jobIds = useMemo(() => items.flatMap((item) => (item.kind === 'job' ? [item.id] : [])), [items]);
  const activeId = focusedId !== null && jobIds.includes(focusedId) ? focusedId : (jobIds[0] ?? null);
  const onKeyDown = useRowKeys({ items, store, scrollRef, virtualizer, setFocusedId });

  useEffect(() => {
    const element = scrollRef.current;
    if (element === null) return;
    const onFocusIn = (event: FocusEvent) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('[data-job-id]');
      if (row !== null) setFocusedId(Number(row.dataset.jobId));
    };
    element.addEventListener('focusin', onFocusIn);
    return () => element.removeEventListener('focusin', onFocusIn);
  }, []);

  return (
    <div ref={scrollRef} className="queue-scroll">
      <div role="grid" aria-label={label} aria-rowcount={items.length} aria-colcount={5} className="queue-grid" onKeyDown={onKeyDown}>
        <div role="rowgroup" className="queue-sizer" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((virtual) => {
            const item = items[virtual.index];
            if (item === undefined) return null;
            const isActiveSticky = item.kind === 'group' && activeSticky.current === virtual.index;
            const style: CSSProperties = isActiveSticky ? { position: 'sticky', top: 0, zIndex: 2 } : { position: 'absolute', top: 0, transform: `translateY(${virtual.start}px)` };
            return (
              <div key={virtual.key} ref={virtualizer.measureElement} data-index={virtual.index} className="queue-line" style={style} role="presentation">
                <Line item={item} rowIndex={virtual.index + 1} activeId={activeId} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
