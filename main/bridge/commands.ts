import type { HoistCommands, JobTarget } from '../../preload/contract/commands.js';
import type { JobView, SnapshotView } from '../../preload/contract/views.js';
import { HoistError } from '../domain/hoist-error.js';
import { addWatch } from '../watch/watch-admin.js';
import type { BridgeService } from './bridge-service.js';
import type { HubClient } from './event-hub.js';
import { toJobView } from './job-views.js';
import { defaultDestinationName, readSettings, writeSettings } from './settings.js';
import { watchViews } from './watch-views.js';

const isFinished = (job: JobView) => job.state === 'done' || job.state === 'cancelled';

/** The contract's commands for one client. Arguments arrive validated (dispatch.ts); errors are HoistErrors. */
export function commandsFor(service: BridgeService, client: HubClient): HoistCommands {
  const { store, scheduler, ports, nowMs } = service.deps;
  const hub = service.hub;
  const jobIdsOf = (target: JobTarget, states: readonly string[]) =>
    target === 'all' ? hub.jobViews().filter((j) => states.includes(j.state)).map((j) => j.id) : target;
  const changedJobs = (ids: readonly number[]) => {
    hub.markJobs(ids);
    return ids.length;
  };
  const mustHaveJob = (jobId: number) => {
    const row = hub.row(jobId) ?? store.jobViews.byIds([jobId])[0];
    if (!row) throw new HoistError('not-found', `There is no upload ${jobId}.`);
    return row;
  };
  const watchView = (watchId: number) => {
    const view = watchViews(store).find((w) => w.id === watchId);
    if (!view) throw new HoistError('not-found', `There is no watched folder #${watchId}.`);
    return view;
  };
  const watchesChanged = () => {
    ports.watchesChanged();
    hub.markList('watches');
  };

  return {
    async snapshot(): Promise<SnapshotView> {
      hub.flush();
      const settings = readSettings(store);
      const jobs = hub.jobViews();
      const unfinished = jobs.filter((j) => !isFinished(j));
      return {
        jobs: unfinished,
        finishedCount: jobs.length - unfinished.length,
        destinations: ports.destinationViews(defaultDestinationName(settings)),
        watches: watchViews(store),
        settings,
        appState: hub.appState(),
        warnings: hub.warnings(),
        totals: hub.totals(),
        nowMs: nowMs(),
        fileIntake: service.deps.fileIntake,
      };
    },
    async listFinished() {
      return hub
        .jobViews()
        .filter(isFinished)
        .sort((a, b) => b.updatedAtMs - a.updatedAtMs || b.id - a.id);
    },
    async getParts(jobId) {
      mustHaveJob(jobId);
      return hub.partsFor(client, jobId);
    },
    async releaseParts(jobId) {
      hub.releaseParts(client, jobId);
    },
    async addFiles(paths, destination, remoteDir) {
      return service.addFiles(paths, destination, remoteDir);
    },
    async pauseJobs(target) {
      return changedJobs(scheduler.pauseIds(target));
    },
    async pauseAllFor(durationMs) {
      return changedJobs(scheduler.pauseAllUntil(nowMs() + durationMs));
    },
    async resumeJobs(target) {
      // "Resume all" ends a timed pause too: the user wants everything going now.
      const timed = target === 'all' ? scheduler.endTimedPause() : [];
      const ids = store.jobs.resumeIds(target, nowMs(), ['paused']);
      scheduler.wake();
      return changedJobs([...timed, ...ids]);
    },
    async cancelJobs(target) {
      const { cancelled, notRunningHere } = scheduler.cancel(jobIdsOf(target, ['queued', 'running', 'paused', 'failed']));
      // The server's copy is discarded in the background: the window hears "cancelled" at once.
      void ports.abortSessions(notRunningHere).catch(() => undefined);
      return changedJobs(cancelled);
    },
    async retryJobs(target) {
      const ids = typeof target === 'object' && !Array.isArray(target) ? hub.jobViews().filter((j) => j.error?.cause === target.cause).map((j) => j.id) : target;
      const retried = store.jobs.resumeIds(ids, nowMs(), ['failed']);
      scheduler.wake();
      return changedJobs(retried);
    },
    async clearFinished() {
      return changedJobs(store.jobs.clearFinished(nowMs()));
    },
    async listDestinations() {
      return ports.destinationViews(defaultDestinationName(readSettings(store)));
    },
    async addDestination(input) {
      ports.addDestination(input);
      hub.markList('destinations');
      const view = ports.destinationViews(defaultDestinationName(readSettings(store))).find((d) => d.name === input.name);
      if (!view) throw new HoistError('not-found', `The destination "${input.name}" was not stored.`);
      return view;
    },
    async removeDestination(name) {
      const dest = store.destinations.byName(name);
      if (!dest) throw new HoistError('not-found', `There is no destination named "${name}".`);
      // Its jobs and watched folders go with it (foreign keys): the windows drop them at the next flush.
      const ids = hub.jobViews().filter((j) => j.destination === name).map((j) => j.id);
      ports.cancelSignIn(name);
      ports.removeDestination(name);
      changedJobs(ids);
      hub.markList('destinations');
      hub.markList('settings');
      watchesChanged();
    },
    async signIn(name) {
      return ports.signIn(name, (status) => {
        hub.publish({ name: 'signInChanged', payload: status });
        hub.markList('destinations');
      });
    },
    async cancelSignIn(name) {
      ports.cancelSignIn(name);
    },
    async addWatch(input) {
      const { row } = addWatch(store, service.deps.dataDir, input, nowMs());
      watchesChanged();
      return watchView(row.id);
    },
    async removeWatch(watchId) {
      if (!store.watches.remove(watchId)) throw new HoistError('not-found', `There is no watched folder #${watchId}.`);
      watchesChanged();
    },
    async pauseWatch(watchId) {
      if (!store.watches.setPaused(watchId, true, nowMs())) throw new HoistError('not-found', `There is no watched folder #${watchId}.`);
      watchesChanged();
      return watchView(watchId);
    },
    async resumeWatch(watchId) {
      if (!store.watches.setPaused(watchId, false, nowMs())) throw new HoistError('not-found', `There is no watched folder #${watchId}.`);
      watchesChanged();
      return watchView(watchId);
    },
    async updateSettings(patch) {
      if (patch.defaultDestination && !store.destinations.byName(patch.defaultDestination)) {
        throw new HoistError('not-found', `There is no destination named "${patch.defaultDestination}".`);
      }
      ports.applySettings(patch);
      const settings = writeSettings(store, patch);
      if (patch.filesAtOnce !== undefined) scheduler.setMaxConcurrentFiles(settings.filesAtOnce);
      hub.markList('settings');
      if (patch.defaultDestination !== undefined) hub.markList('destinations');
      return settings;
    },
    async remoteLink(jobId) {
      const view = hub.view(jobId) ?? toJobView(mustHaveJob(jobId), undefined, service.deps.receivedDir);
      if (!view || view.state !== 'done') return { url: null, reason: 'The file is not uploaded yet.' };
      if (view.remoteWebUrl) return { url: view.remoteWebUrl, reason: null };
      return { url: null, reason: `${view.destination} gives no web address for uploaded files.` };
    },
    async revealFile(jobId) {
      ports.revealPath(mustHaveJob(jobId).localPath);
    },
    async openLog() {
      ports.openFolder(ports.logDir);
    },
    async exportDiagnostics() {
      return ports.diagnostics();
    },
  };
}
