import { useCallback, useRef } from 'react';
import { plural } from '../../format/bytes.js';
import type { Actions } from '../../store/actions.js';
import type { AppStore } from '../../store/app-store.js';
import type { PathsOf } from '../../transport/open-host.js';
import { streamFile } from './tus-intake.js';

let nextKey = 1;

/**
 * Queues files the user chose or dropped: by path where the window can know it (Electron), otherwise streamed to
 * main (a browser tab). Streams show as intake lines until main has the whole file and lists it as a job.
 */
export function useFileIntake(store: AppStore, actions: Actions, token: string | null, pathsOf: PathsOf | null) {
  const aborts = useRef(new Map<string, () => void>());

  const stream = useCallback(
    (files: readonly File[], token: string) => {
      const destination = store.getState().uploadTarget;
      for (const file of files) {
        const key = `intake-${nextKey++}`;
        const patch = (change: { sentBytes?: number; error?: string | null } | null) =>
          store.setState((s) => {
            const intake = { ...s.intake };
            const item = intake[key];
            if (change === null) delete intake[key];
            else if (item !== undefined) intake[key] = { ...item, ...change };
            return { intake };
          });
        store.setState((s) => ({ intake: { ...s.intake, [key]: { key, name: file.name, sizeBytes: file.size, sentBytes: 0, error: null } } }));
        let lastPercent = -1;
        aborts.current.set(
          key,
          streamFile(file, { token, destination, remoteDir: null }, {
            onProgress: (sent, total) => {
              // Whole percents are enough for the line, and keep a fast disk from flooding the store.
              const percent = total > 0 ? Math.floor((sent * 100) / total) : 0;
              if (percent === lastPercent) return;
              lastPercent = percent;
              patch({ sentBytes: sent });
            },
            onDone: () => {
              aborts.current.delete(key);
              patch(null);
            },
            onError: (message) => {
              aborts.current.delete(key);
              patch({ error: message });
            },
          }),
        );
      }
    },
    [store],
  );

  return useCallback(
    (files: readonly File[]) => {
      if (files.length === 0) return;
      const state = store.getState();
      if (state.fileIntake === 'paths') {
        if (pathsOf === null) {
          actions.notify('This window cannot read where the files are. Add them with `hoist add` in a terminal.');
          return;
        }
        void actions
          .run('Could not add the files', () => state.uploadTarget === null ? actions.bridge.addFiles(pathsOf(files)) : actions.bridge.addFiles(pathsOf(files), state.uploadTarget))
          .then((result) => {
            if (result !== undefined && result.problems.length > 0) {
              actions.notify(`${plural(result.problems.length, 'file')} could not be queued: ${result.problems.join('; ')}`);
            }
          });
        return;
      }
      if (token === null) {
        actions.notify('This page has no access token. Open the address `hoist serve` printed.');
        return;
      }
      stream(files, token);
    },
    [store, actions, pathsOf, token, stream],
  );
}

/** Forgets a stream that failed (its line goes away). */
export function dismissIntake(store: AppStore, key: string): void {
  store.setState((s) => {
    const intake = { ...s.intake };
    delete intake[key];
    return { intake };
  });
}
