import { useEffect } from 'react';
import { useApp } from './app-context.js';

/** Ctrl/Cmd+O adds files, Ctrl/Cmd+P pauses everything (instead of printing the page). */
export function useShortcuts(): void {
  const { actions, chooseFiles } = useApp();
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const key = event.key.toLowerCase();
      if (key === 'o') {
        event.preventDefault();
        chooseFiles();
      } else if (key === 'p') {
        event.preventDefault();
        void actions.pause('all');
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [actions, chooseFiles]);
}
