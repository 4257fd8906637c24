import type { FailureCause } from '../../preload/contract/views.js';

/**
 * Files a failed job's error code under the cause the window groups it by, each with one fix: sign in again, look for
 * the file, check the destination, retry later.
 */
export function failureCauseOf(code: string): FailureCause {
  switch (code) {
    case 'auth-failed':
    case 'http-401':
    case 'http-403':
      return 'signed-out';
    case 'file-missing':
    case 'file-unreadable':
    case 'file-changed':
      return 'file-gone';
    case 'verification-failed':
      return 'verification';
    case 'retries-exhausted':
    case 'session-expired':
      return 'network';
    case 'server-malformed-reply':
      return 'server-broken';
    case 'not-found':
    case 'invalid-argument':
    case 'data-dir-unwritable':
    case 'db-unwritable':
    case 'db-locked':
      return 'setup';
    case 'server-rejected':
    case 'name-conflict':
      return 'server-refused';
    default:
      return /^http-4\d\d$/.test(code) ? 'server-refused' : 'other';
  }
}
