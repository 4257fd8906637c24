import { app, nativeImage, Notification, powerSaveBlocker, type BrowserWindow } from 'electron';
import type { AppStateView, HoistCommands, HoistEvent, JobView, SnapshotView } from '../../../preload/contract/index.js';
import type { BridgeService } from '../../bridge/bridge-service.js';
import { EMPTY_NOTIFIER_MEMORY, planNotifications, type DesktopNotification, type NotifierInput, type JobBrief } from './notification-plan.js';
import { encodePng } from './png.js';
import { NO_BATCH, nextBatchBytes, progressBarFor, shouldKeepAwake } from './taskbar-progress.js';
import { drawBadge } from './tray-icon.js';
import type { TrayController } from './tray.js';
import { trayState } from './tray-state.js';

export interface DesktopFeedbackDeps {
  bridge: Pick<BridgeService, 'connect'>;
  window(): BrowserWindow | null;
  tray: TrayController | null;
  isStartAtLogin(): boolean;
  /** A notification was clicked: show the window (at the job, when it names one). */
  onNotificationClick(jobId: number | undefined): void;
}

/** The desktop side of the app state: tray, taskbar progress, failure badge, notifications, keep-awake. */
export interface DesktopFeedback {
  /** The bridge's commands as main's own client (the tray's Pause all, files from a second launch). */
  commands: HoistCommands;
  /** Redraws the tray (after start at login was toggled). */
  refresh(): void;
  stop(): void;
}

const TICK_MS = 15_000;
const brief = (jobs: readonly JobView[]): JobBrief[] => jobs.map(({ id, name, state, errorMessage }) => ({ id, name, state, errorMessage }));
const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * Main's own client of the bridge, like a window: a snapshot, then the same events. Every decision is a pure function
 * (tray-state, taskbar-progress, notification-plan); this file only hands their answers to Electron.
 */
export function startDesktopFeedback(deps: DesktopFeedbackDeps): DesktopFeedback {
  let appState: AppStateView | null = null;
  let batch = NO_BATCH;
  let memory = EMPTY_NOTIFIER_MEMORY;
  let blockerId: number | null = null;
  let lastBadge = -1;

  const notify = (input: NotifierInput) => {
    const planned = planNotifications(memory, input, { nowMs: Date.now(), clock });
    memory = planned.memory;
    for (const note of planned.notifications) show(note);
  };
  const show = (note: DesktopNotification) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: note.title, body: note.body });
    notification.on('click', () => deps.onNotificationClick(note.jobId));
    notification.show();
  };
  const render = () => {
    if (appState === null) return;
    deps.tray?.show(trayState(appState, { isStartAtLogin: deps.isStartAtLogin() }));
    const window = deps.window();
    if (window && !window.isDestroyed()) {
      const bar = progressBarFor(appState, batch);
      window.setProgressBar(bar.progress, { mode: bar.mode });
    }
    const failed = appState.counts.failed;
    if (failed !== lastBadge) {
      lastBadge = failed;
      if (process.platform === 'darwin') app.setBadgeCount(failed);
      if (process.platform === 'win32' && window && !window.isDestroyed()) {
        window.setOverlayIcon(failed > 0 ? nativeImage.createFromBuffer(encodePng(drawBadge(failed))) : null, failed > 0 ? `${failed} need attention` : '');
      }
    }
    const keepAwake = shouldKeepAwake(appState);
    if (keepAwake && blockerId === null) blockerId = powerSaveBlocker.start('prevent-app-suspension');
    if (!keepAwake && blockerId !== null) {
      powerSaveBlocker.stop(blockerId);
      blockerId = null;
    }
  };
  const onEvent = (event: HoistEvent) => {
    switch (event.name) {
      case 'appStateChanged':
        appState = event.payload;
        notify({ kind: 'app-state', appState: event.payload });
        break;
      case 'progress':
        batch = nextBatchBytes(batch, event.payload.totals.remainingBytes);
        break;
      case 'jobsAdded':
      case 'jobsChanged':
        notify({ kind: 'jobs', jobs: brief(event.payload.jobs) });
        break;
      case 'jobsRemoved':
        notify({ kind: 'jobs-removed', ids: event.payload.ids });
        break;
      case 'warningsChanged':
        notify({ kind: 'warnings', warnings: event.payload.warnings });
        break;
      default:
        return;
    }
  };
  const client = deps.bridge.connect((events) => {
    for (const event of events) onEvent(event);
    render();
  });
  const applySnapshot = (snapshot: SnapshotView) => {
    appState = snapshot.appState;
    batch = nextBatchBytes(NO_BATCH, snapshot.totals.remainingBytes);
    notify({ kind: 'snapshot', jobs: brief(snapshot.jobs), appState: snapshot.appState, warnings: snapshot.warnings });
    render();
  };
  void client.commands.snapshot().then(applySnapshot, () => undefined);
  const ticker = setInterval(() => notify({ kind: 'tick' }), TICK_MS);
  ticker.unref();
  return {
    commands: client.commands,
    refresh: render,
    stop() {
      clearInterval(ticker);
      client.close();
      if (blockerId !== null) powerSaveBlocker.stop(blockerId);
      blockerId = null;
    },
  };
}
