import type { HoistBridge, JobTarget, RetryTarget, SettingsPatch } from '../../preload/contract/index.js';
import type { AppStore } from './app-store.js';
import { releaseParts, requestParts } from './reducers.js';
import { toggled, type Screen } from './ui-state.js';

/** Words for a failed command, for the notice line. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What the window can do: bridge commands (a failure becomes a notice in words, never a silent no-op) and the UI's
 * own changes. Components get these from context and never talk to the bridge directly.
 */
export function createActions(store: AppStore, bridge: HoistBridge) {
  const notify = (text: string) => store.setState((s) => ({ notice: { seq: (s.notice?.seq ?? 0) + 1, text } }));

  const run = async <T>(failure: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      notify(`${failure}: ${messageOf(error)}`);
      return undefined;
    }
  };

  return {
    bridge,
    notify,
    run,
    dismissNotice: () => store.setState({ notice: null }),
    pause: (target: JobTarget) => run('Could not pause', () => bridge.pauseJobs(target)),
    resume: (target: JobTarget) => run('Could not resume', () => bridge.resumeJobs(target)),
    retry: (target: RetryTarget) => run('Could not retry', () => bridge.retryJobs(target)),
    cancel: (target: JobTarget) => run('Could not cancel', () => bridge.cancelJobs(target)),
    clearFinished: () => run('Could not clear finished uploads', () => bridge.clearFinished()),
    revealFile: (jobId: number) => run('Could not show the file', () => bridge.revealFile(jobId)),
    openLog: () => run('Could not open the log', () => bridge.openLog()),
    updateSettings: (patch: SettingsPatch) => run('Could not save the setting', () => bridge.updateSettings(patch)),

    askCancel: (ids: number[], name: string) => store.setState({ confirmCancel: { ids, name } }),
    closeCancel: () => store.setState({ confirmCancel: null }),

    setScreen: (screen: Screen) => store.setState({ screen }),
    toggleExpanded: (id: number, isOn?: boolean) => store.setState((s) => ({ expanded: toggled(s.expanded, id, isOn) })),
    toggleError: (id: number) => store.setState((s) => ({ errorOpen: toggled(s.errorOpen, id) })),
    toggleFinished: () => store.setState((s) => ({ isFinishedOpen: !s.isFinishedOpen })),
    setUploadTarget: (destination: string | null) => store.setState({ uploadTarget: destination }),
    dismissWarning: (id: string) =>
      store.setState((s) => ({ dismissedWarnings: s.dismissedWarnings.includes(id) ? s.dismissedWarnings : [...s.dismissedWarnings, id] })),

    /** A row shows its parts: ask main, and keep its `partsChanged` from now on. */
    holdParts: async (jobId: number) => {
      store.setState((s) => requestParts(s, jobId), true);
      try {
        const view = await bridge.getParts(jobId);
        store.setState((s) => (jobId in s.parts ? { parts: { ...s.parts, [jobId]: view } } : s));
      } catch (error) {
        notify(`Could not read the parts: ${messageOf(error)}`);
      }
    },
    /** The row went away (collapsed or scrolled off): stop the part events. */
    letGoOfParts: (jobId: number) => {
      store.setState((s) => releaseParts(s, jobId), true);
      bridge.releaseParts(jobId).catch(() => {
        // The connection is gone or the job is: either way main holds nothing for this row any more.
      });
    },

    startSignIn: async (destination: string) => {
      const view = await run(`Could not start signing in to ${destination}`, () => bridge.signIn(destination));
      if (view !== undefined) {
        store.setState((s) => {
          const signIns = { ...s.signIns };
          delete signIns[destination];
          return { signInFlow: view, signIns };
        });
      }
    },
    cancelSignIn: (destination: string) => {
      store.setState({ signInFlow: null });
      void bridge.cancelSignIn(destination).catch(() => {});
    },
    closeSignIn: () => store.setState({ signInFlow: null }),
  };
}

export type Actions = ReturnType<typeof createActions>;
