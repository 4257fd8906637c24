/** Thrown into a running upload when the user pauses it: never shown or stored as a failure (habit 8). */
export class PauseRequested extends Error {
  constructor() {
    super('paused');
    this.name = 'PauseRequested';
  }
}

/** Thrown into a running upload when the user cancels it. */
export class CancelRequested extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelRequested';
  }
}

/**
 * Thrown when the process is shutting down: the job stays resumable. `isPause`: the user interrupted (Ctrl-C), so the
 * job is recorded as paused; otherwise (daemon or app quitting) it starts again with the next run.
 */
export class ShutdownRequested extends Error {
  constructor(readonly isPause = false) {
    super('shutting down');
    this.name = 'ShutdownRequested';
  }
}

export const isStopSignal = (e: unknown): e is PauseRequested | CancelRequested | ShutdownRequested =>
  e instanceof PauseRequested || e instanceof CancelRequested || e instanceof ShutdownRequested;
