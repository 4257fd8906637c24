import type { Virtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, type KeyboardEvent, type RefObject } from 'react';
import { useApp } from '../../app/app-context.js';
import type { AppStore } from '../../store/app-store.js';
import type { QueueItem } from '../../store/selectors.js';

interface RowKeysInput {
  items: readonly QueueItem[];
  store: AppStore;
  scrollRef: RefObject<HTMLDivElement | null>;
  virtualizer: Virtualizer<HTMLDivElement, Element>;
  setFocusedId: (id: number) => void;
}

/**
 * Keys of the queue grid: arrows, Home/End and Page keys move between rows (scrolling a row that is not drawn yet
 * into view, then focusing it); on a row itself Enter expands, Space pauses or resumes, Delete asks to cancel.
 */
export function useRowKeys({ items, store, scrollRef, virtualizer, setFocusedId }: RowKeysInput) {
  const { actions } = useApp();
  const pendingFocus = useRef<number | null>(null);

  // A row scrolled into view appears on a later render; focus it then.
  useEffect(() => {
    const id = pendingFocus.current;
    if (id === null) return;
    const row = scrollRef.current?.querySelector<HTMLElement>(`[data-job-id="${id}"]`);
    if (row) {
      pendingFocus.current = null;
      row.focus({ preventScroll: true });
    }
  });

  return useCallback(
    (event: KeyboardEvent<HTMLElement>) => {
      const target = event.target as HTMLElement;
      const row = target.closest<HTMLElement>('[data-job-id]');
      if (row === null) return;
      const id = Number(row.dataset.jobId);
      const jobIndexes = items.flatMap((item, index) => (item.kind === 'job' ? [index] : []));
      const at = jobIndexes.findIndex((index) => (items[index] as Extract<QueueItem, { kind: 'job' }>).id === id);
      const moveTo = (position: number) => {
        const index = jobIndexes[Math.max(0, Math.min(jobIndexes.length - 1, position))];
        if (index === undefined) return;
        const item = items[index] as Extract<QueueItem, { kind: 'job' }>;
        event.preventDefault();
        setFocusedId(item.id);
        pendingFocus.current = item.id;
        virtualizer.scrollToIndex(index, { align: 'auto' });
        const drawn = scrollRef.current?.querySelector<HTMLElement>(`[data-job-id="${item.id}"]`);
        if (drawn) {
          pendingFocus.current = null;
          drawn.focus({ preventScroll: true });
        }
      };
      const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 560) / 56) - 1);
      switch (event.key) {
        case 'ArrowDown':
          return moveTo(at + 1);
        case 'ArrowUp':
          return moveTo(at - 1);
        case 'PageDown':
          return moveTo(at + page);
        case 'PageUp':
          return moveTo(at - page);
        case 'Home':
          return moveTo(0);
        case 'End':
          return moveTo(jobIndexes.length - 1);
      }
      // The rest act on the row; on one of its buttons the keys keep their usual meaning.
      if (target !== row) return;
      const job = store.getState().jobs[id];
      if (job === undefined) return;
      if (event.key === 'Enter') {
        event.preventDefault();
        if (job.state === 'failed' || (job.partsTotal > 1 && job.state !== 'done' && job.state !== 'cancelled')) actions.toggleExpanded(id);
      } else if (event.key === ' ') {
        event.preventDefault();
        if (job.state === 'paused') void actions.resume([id]);
        else if (job.state === 'queued' || job.state === 'running') void actions.pause([id]);
      } else if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        if (job.state !== 'done' && job.state !== 'cancelled') actions.askCancel([id], job.name);
      }
    },
    [items, store, scrollRef, virtualizer, setFocusedId, actions],
  );
}
