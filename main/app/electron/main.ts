/**
 * The desktop app's composition root: `hoist serve` without its HTTP server, in Electron. Same data folder as the CLI
 * (`defaultDataDir()`, not Electron's userData), same data-folder lock, same bridge service over IPC. Wiring only:
 * every decision it acts on is a pure, tested module next to it.
 */
import { app, dialog, ipcMain, powerMonitor, protocol, session, shell, type BrowserWindow } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeService } from '../../bridge/bridge-service.js';
import { loadStaticFiles } from '../../bridge/transports/static-files.js';
import { serveIpcBridge, type IpcMainLike } from '../../bridge/transports/ipc-transport.js';
import { watchOptionsFrom } from '../../watch/watch-options.js';
import { openContext, type CliContext } from '../cli/cli-context.js';
import { DaemonRunning, runServe } from '../serve/run-serve.js';
import { APP_SCHEME, appResponse, externalTarget, isAppUrl } from './app-protocol.js';
import { QUIT_WITHIN_MS, errorSentence, lockHeldDialog, settleWithin, startupErrorText } from './app-lifecycle.js';
import { startAutoUpdate } from './auto-update.js';
import { startDesktopFeedback, type DesktopFeedback } from './desktop-feedback.js';
import { filesFromArgv } from './launch-files.js';
import { isStartedAtLogin, loginItem } from './login-item.js';
import { createMainWindow, revealWindow } from './main-window.js';
import { nativeBindingFor } from './native-binding.js';
import { createTray, type TrayController } from './tray.js';
import { TRAY_PAUSES_MS, hasTraySupport, windowCloseAction, type TrayCommand } from './tray-state.js';
import { WINDOW_PLACEMENT_KEY, parsePlacement } from './window-bounds.js';

/** Windows groups notifications and taskbar buttons by this id (the installer's appId). */
const APP_USER_MODEL_ID = 'app.hoist.desktop';

const log = (line: string) => process.stderr.write(`${line}\n`);

// Before `ready`: app:// is a standard, secure scheme (a real origin, so the CSP and 'self' mean something).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);

if (!app.requestSingleInstanceLock()) app.quit();
else runApp();

function runApp(): void {
  // Named files that do not exist are queued too: queueing refuses each in words ("… does not exist").
  const filesOf = (argv: readonly string[], cwd: string) => {
    const named = filesFromArgv(argv, { cwd, isDefaultApp: process.defaultApp === true, exists: existsSync });
    return [...named.paths, ...named.missing];
  };
  let window: BrowserWindow | null = null;
  let tray: TrayController | null = null;
  let feedback: DesktopFeedback | null = null;
  let stopIpc: (() => void) | null = null;
  let isQuitting = false;
  let isExiting = false;
  let ctx: CliContext | null = null;
  let serving: Promise<void> = Promise.resolve();
  const controller = new AbortController();
  // Files named before the bridge exists (the first launch, a macOS open-file at start) wait here.
  const waiting: string[] = filesOf(process.argv, process.cwd());

  const reveal = () => {
    if (window) revealWindow(window);
  };
  const queue = (paths: readonly string[]) => {
    if (paths.length === 0) return;
    if (!feedback) return void waiting.push(...paths);
    feedback.commands.addFiles([...paths]).then(
      (result) => result.problems.length > 0 && showProblems(result.problems),
      (error: unknown) => showProblems([errorSentence(error)]),
    );
  };
  const showProblems = (problems: string[]) =>
    void dialog.showMessageBox({ type: 'warning', message: 'Some files were not added to Hoist', detail: problems.join('\n') }).catch(() => undefined);

  // A second launch (files opened with Hoist, the taskbar entry) lands here: focus this one, queue its files.
  app.on('second-instance', (_event, argv, workingDirectory) => {
    reveal();
    queue(filesOf(argv, workingDirectory));
  });
  // macOS: files dropped on the dock icon or opened with Hoist (possibly before `ready`).
  app.on('open-file', (event, path) => {
    event.preventDefault();
    queue([path]);
  });
  app.on('activate', reveal);
  // The app lives in the tray: closing the last window is not quitting (where there is no tray, close quits itself).
  app.on('window-all-closed', () => undefined);
  app.on('web-contents-created', (_event, contents) => {
    const openOutside = (url: string) => {
      if (externalTarget(url) === 'open-in-browser') void shell.openExternal(url);
    };
    contents.setWindowOpenHandler(({ url }) => {
      openOutside(url);
      return { action: 'deny' };
    });
    for (const event of ['will-navigate', 'will-redirect'] as const) {
      contents.on(event as 'will-navigate', (details) => {
        if (isAppUrl(details.url)) return;
        details.preventDefault();
        openOutside(details.url);
      });
    }
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  app.on('before-quit', (event) => {
    isQuitting = true;
    if (isExiting) return;
    event.preventDefault();
    if (controller.signal.aborted) return;
    // As `hoist serve` on SIGTERM: requests in flight are abandoned, leases released, the next start resumes from the
    // servers' state. Bounded: a stuck stop never keeps the app from quitting.
    feedback?.stop();
    controller.abort();
    void settleWithin(serving, QUIT_WITHIN_MS).then((outcome) => {
      if (outcome === 'timed-out') log(`hoist: the uploads did not stop within ${QUIT_WITHIN_MS / 1000} s; quitting anyway (they resume on the next start)`);
      else ctx?.store.close();
      stopIpc?.();
      tray?.destroy();
      isExiting = true;
      app.exit(0);
    });
  });

  const fail = (error: unknown) => {
    dialog.showErrorBox('Hoist cannot start', startupErrorText(error));
    isExiting = true;
    app.exit(1);
  };

  const openShell = (bridge: BridgeService, probeNow: () => void, context: CliContext) => {
    const ipc: IpcMainLike = {
      handle: (channel, listener) => ipcMain.handle(channel, (event, ...args) => listener({ sender: event.sender, senderFrame: event.senderFrame }, ...args)),
      removeHandler: (channel) => ipcMain.removeHandler(channel),
    };
    stopIpc = serveIpcBridge({ ipcMain: ipc, service: bridge, isAppUrl, isAppWindow: (contents) => window !== null && !window.isDestroyed() && contents.id === window.webContents.id });
    const login = loginItem();
    let isStartAtLogin = login.isEnabled();
    const onTrayCommand = (command: TrayCommand) => {
      const commands = feedback?.commands;
      const report = (work: Promise<unknown> | undefined) => void work?.catch((error: unknown) => log(`hoist: ${errorSentence(error)}`));
      switch (command) {
        case 'show-window':
          return reveal();
        case 'pause-all':
          return report(commands?.pauseJobs('all'));
        case 'pause-1h':
        case 'pause-8h':
          return report(commands?.pauseAllFor(TRAY_PAUSES_MS[command]));
        case 'resume-all':
          return report(commands?.resumeJobs('all'));
        case 'start-at-login':
          try {
            login.setEnabled(!isStartAtLogin);
            isStartAtLogin = login.isEnabled();
          } catch (error) {
            showProblems([`Start at login could not be changed: ${errorSentence(error)}`]);
          }
          return feedback?.refresh();
        case 'quit':
          return app.quit();
      }
    };
    tray = hasTraySupport(process.platform, process.env) ? createTray(onTrayCommand) : null;
    window = createMainWindow({
      preloadPath: join(app.getAppPath(), 'dist', 'preload', 'preload.cjs'),
      saved: parsePlacement(context.store.settings.get(WINDOW_PLACEMENT_KEY)),
      savePlacement: (placement) => {
        if (context.store.db.open) context.store.settings.set(WINDOW_PLACEMENT_KEY, JSON.stringify(placement));
      },
      isHidden: tray !== null && isStartedAtLogin(process.argv),
    });
    window.on('close', (event) => {
      const action = windowCloseAction({ isQuitting, hasTray: tray !== null });
      if (action === 'close') return;
      event.preventDefault();
      if (action === 'hide') window?.hide();
      else app.quit();
    });
    feedback = startDesktopFeedback({ bridge, window: () => window, tray, isStartAtLogin: () => isStartAtLogin, onNotificationClick: reveal });
    // Back from sleep: the network may have changed under every waiting destination; look now, not at the next probe.
    powerMonitor.on('resume', probeNow);
    queue(waiting.splice(0));
  };

  void app.whenReady().then(() => {
    try {
      const nativeBinding = nativeBindingFor({ env: process.env, isPackaged: app.isPackaged, appPath: app.getAppPath(), exists: existsSync });
      ctx = openContext(undefined, process.env, { nativeBinding });
    } catch (error) {
      return fail(error);
    }
    const context = ctx;
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    const files = loadStaticFiles(join(app.getAppPath(), 'dist', 'renderer'));
    protocol.handle(APP_SCHEME, (request) => {
      const response = appResponse(files, request.url);
      return new Response(new Uint8Array(response.body), { status: response.status, headers: response.headers });
    });
    serving = runServe({
      ctx: context,
      signal: controller.signal,
      fileIntake: 'paths',
      version: app.getVersion(),
      log,
      watchOptions: watchOptionsFrom(context.env),
      onBridge: ({ bridge, probeNow }) => openShell(bridge, probeNow, context),
    });
    serving.catch(async (error: unknown) => {
      if (!(error instanceof DaemonRunning)) return fail(error);
      const shown = lockHeldDialog(error.holder, context.dataDir);
      const choice = await dialog.showMessageBox({ type: 'info', message: shown.message, detail: shown.detail, buttons: shown.buttons });
      if (shown.openIndex !== null && choice.response === shown.openIndex && error.holder.url) await shell.openExternal(error.holder.url);
      context.store.close();
      isExiting = true;
      app.exit(0);
    });
    void startAutoUpdate({ isPackaged: app.isPackaged, readSetting: (key) => context.store.settings.get(key), log }).catch(() => undefined);
  });
}
