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

/** Thrown when the process is shutting down (Ctrl-C, quit): the job stays resumable. */
export class ShutdownRequested extends Error {
  constructor() {
    super('shutting down');
    this.name = 'ShutdownRequested';
  }
}

export const isStopSignal = (e: unknown): e is PauseRequested | CancelRequested | ShutdownRequested =>
  e instanceof PauseRequested || e instanceof CancelRequested || e instanceof ShutdownRequested;
