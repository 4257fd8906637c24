import type { FaultAction } from '../emulators/faults.js';
import type { GenericFault } from './fixture.js';

/** The emulator action for a generic fault: the same storm, error, reset or garbage for every protocol. */
export function faultAction(fault: GenericFault): FaultAction {
  switch (fault) {
    case 'rate-limit-storm':
      return { type: 'status', status: 429, retryAfterSec: 1 };
    case 'server-error':
      return { type: 'status', status: 500 };
    case 'reset-mid-part':
      return { type: 'reset-mid-body', afterBytes: 64 * 1024 };
    case 'malformed-reply':
      return { type: 'malformed-json' };
  }
}
