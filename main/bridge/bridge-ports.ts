import type { DestinationInput, DestinationView, DiagnosticsView, SettingsPatch, SignInStatusView, SignInView } from '../../preload/contract/views.js';

/**
 * What the bridge service needs from the app around it, wired once in main/app: secrets and sign-in live there, and so
 * does the OS (file manager, log folder). Tests pass their own.
 */
export interface BridgePorts {
  /** Destinations as the window shows them (no secrets). */
  destinationViews(defaultName: string): DestinationView[];
  /** Validates and stores a destination and its secrets; throws HoistError. */
  addDestination(input: DestinationInput): void;
  /** Removes a destination and its secrets; throws HoistError when there is none. */
  removeDestination(name: string): void;
  /** Starts signing in; `onStatus` hears how it ends. */
  signIn(name: string, onStatus: (status: SignInStatusView) => void): Promise<SignInView>;
  /** Stops a waiting sign-in (nothing is stored). */
  cancelSignIn(name: string): void;
  /** Discards the server sessions of cancelled jobs that are not running here (best effort). */
  abortSessions(jobIds: readonly number[]): Promise<void>;
  /** Shows a file in the OS file manager; throws HoistError('invalid-argument') where there is none. */
  revealPath(path: string): void;
  /** Opens a folder in the OS file manager. */
  openFolder(path: string): void;
  /** Where the event log lives. */
  readonly logDir: string;
  /** The event log and versions, scrubbed of anything secret. */
  diagnostics(): DiagnosticsView;
  /**
   * Settings are about to change (the transfer ones apply to the running uploads at once). Throws a HoistError, and
   * nothing is stored, when a value is not valid (a bandwidth limit Hoist cannot read).
   */
  applySettings(patch: SettingsPatch): void;
  /** Watched folders changed: the watch service starts, stops or restarts watchers. */
  watchesChanged(): void;
}
