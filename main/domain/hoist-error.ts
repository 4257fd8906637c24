/** Error codes a user can see; each has a clear message and never a stack trace. */
export type HoistErrorCode =
  | 'db-from-future'
  | 'db-unwritable'
  | 'db-locked'
  | 'data-dir-unwritable'
  | 'file-missing'
  | 'file-unreadable'
  | 'file-changed'
  | 'not-found'
  | 'invalid-argument'
  | 'auth-failed'
  | 'server-rejected'
  | 'server-malformed-reply'
  | 'verification-failed'
  | 'session-expired'
  | 'retries-exhausted'
  | 'name-conflict'
  | 'cancelled';

export class HoistError extends Error {
  constructor(
    readonly code: HoistErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HoistError';
  }
}

export function isHoistError(error: unknown): error is HoistError {
  return error instanceof HoistError;
}

/** A message fit for a user: our own errors as written, anything else reduced to its message. */
export function userMessage(error: unknown): string {
  if (error instanceof HoistError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
