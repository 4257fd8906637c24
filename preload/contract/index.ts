/**
 * THE bridge contract: every command the renderer (or a WebSocket client of `hoist serve`) may call, and what it
 * returns. Main implements it, the preload exposes it, the renderer consumes it. Pure types: no runtime imports.
 */
import type { DestinationView, JobView } from './views.js';

export type { DestinationView, JobView, JobStateView } from './views.js';

/** Commands, each a domain verb; arguments are validated again in main. */
export interface HoistCommands {
  /** Every upload with its progress. */
  listJobs(): Promise<JobView[]>;
  /** Configured destinations, without secrets. */
  listDestinations(): Promise<DestinationView[]>;
  /** Pauses uploads; the pause persists across restarts. Returns how many changed. */
  pauseJobs(ids: number[] | 'all'): Promise<number>;
  /** Resumes paused or failed uploads. Returns how many changed. */
  resumeJobs(ids: number[] | 'all'): Promise<number>;
  /** Cancels an upload and discards what the server holds of it. */
  cancelJob(id: number): Promise<void>;
}

/** Channel names derived from the command list, so preload and main cannot drift apart. */
export const COMMAND_NAMES = ['listJobs', 'listDestinations', 'pauseJobs', 'resumeJobs', 'cancelJob'] as const satisfies ReadonlyArray<keyof HoistCommands>;
