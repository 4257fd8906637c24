/** Errors a command can reject with: a stable code and a sentence for the user, never a stack trace. */

/** What went wrong, in groups a window can act on. */
export type BridgeErrorCode =
  /** An argument failed validation; nothing changed. */
  | 'invalid-argument'
  /** The job, destination or watched folder does not exist. */
  | 'not-found'
  /** A destination or watch with that name or folder already exists. */
  | 'already-exists'
  /** The command does not apply here (no web link for this provider, no file manager on a headless machine). */
  | 'not-supported'
  /** Sign-in failed or credentials were refused. */
  | 'auth-failed'
  /** The data folder or the database cannot be written (disk full, read-only, locked). */
  | 'storage'
  /** The connection to main was lost (a closed WebSocket); the window reconnects. */
  | 'disconnected'
  /** Anything unexpected; the message says what. */
  | 'internal';

/** The error payload of a failed command. */
export interface BridgeErrorView {
  code: BridgeErrorCode;
  message: string;
}

/** What a window's bridge rejects with. */
export class BridgeError extends Error {
  constructor(
    readonly code: BridgeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}
