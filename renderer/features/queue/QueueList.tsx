import { defaultRangeExtractor, useVirtualizer, type Range, type Virtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApp, useAppState } from '../../app/app-context.js';
import { createQueueItemsSelector, type QueueFilter, type QueueItem } from '../../store/selectors.js';
import { CauseHeader } from './CauseHeader.js';
import { GroupHeader } from './GroupHeader.js';
import { JobRow } from './JobRow.js';
import { useRowKeys } from './use-row-keys.js';

const ESTIMATE: Record<QueueItem['kind'], number> = { group: 40, cause: 48, job: 56 };

function Header({ item, rowIndex }: { item: Exclude<QueueItem, { kind: 'job' }>; rowIndex: number }) {
  switch (item.kind) {
    case 'group':
      return <GroupHeader group={item.group} count={item.count} rowIndex={rowIndex} />;
    case 'cause':
      return <CauseHeader cause={item.cause} ids={item.ids} destinations={item.destinations} rowIndex={rowIndex} />;
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
  const isLoadingFinished = useAppState((s) => filter === 'all' && s.isFinishedOpen && s.finished.status === 'loading');
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

  // Stable between renders: the virtualizer recomputes every item's position when getItemKey changes (10,000 of them
  // on each scroll frame, when it was a new function each render).
  const getItemKey = useCallback((index: number) => items[index]?.key ?? index, [items]);
  const estimateSize = useCallback((index: number) => ESTIMATE[items[index]?.kind ?? 'job'], [items]);
  // A jump of more than a screenful (the scroll bar dragged, a key held) passes over every row it does not land on, so
  // rows drawn ahead of it would be thrown away unseen: none are, until the list moves less at a time or stops.
  const previous = useRef<{ virtualizer: Virtualizer<HTMLDivElement, Element> | null; offsetPx: number }>({ virtualizer: null, offsetPx: 0 });
  const last = previous.current.virtualizer;
  const offsetPx = last?.scrollOffset ?? 0;
  const isJump = last !== null && last.isScrolling && Math.abs(offsetPx - previous.current.offsetPx) > (last.scrollRect?.height ?? Infinity);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    overscan: isJump ? 0 : 4,
    rangeExtractor,
    // Before the list is measured: the window's size (a little more than the list's), so the first render draws every
    // row in view, not a handful and then the rest in a second pass.
    initialRect: { width: window.innerWidth, height: window.innerHeight },
  });
  previous.current = { virtualizer, offsetPx };

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
      <div role="grid" aria-label={label} aria-rowcount={items.length} aria-colcount={5} aria-busy={isLoadingFinished || undefined} className="queue-grid" onKeyDown={onKeyDown}>
        <div role="rowgroup" className="queue-sizer" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((virtual) => {
            const item = items[virtual.index];
            if (item === undefined) return null;
            if (item.kind === 'job') {
              return <JobRow key={virtual.key} id={item.id} index={virtual.index} startPx={virtual.start} isActive={item.id === activeId} measure={virtualizer.measureElement} />;
            }
            const isActiveSticky = item.kind === 'group' && activeSticky.current === virtual.index;
            return (
              <div
                key={virtual.key}
                ref={virtualizer.measureElement}
                data-index={virtual.index}
                className={isActiveSticky ? 'queue-line is-sticky' : 'queue-line'}
                style={isActiveSticky ? undefined : { transform: `translateY(${virtual.start}px)` }}
                role="presentation"
              >
                <Header item={item} rowIndex={virtual.index + 1} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
