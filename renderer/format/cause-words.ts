import type { FailureCause } from '../../preload/contract/index.js';

/** The one thing that fixes a cause, besides retrying. */
export type CauseFix = 'sign-in' | 'remove' | 'destinations' | 'diagnostics' | 'none';

interface CauseWords {
  /** The reason in plain words, given the destinations involved. */
  reason: (destinations: readonly string[]) => string;
  fix: CauseFix;
}

const oneOrMany = (destinations: readonly string[]) => (destinations.length === 1 ? destinations[0] : 'a destination');

/** Causes in the order the Needs attention group lists them: what the user can fix first. */
export const CAUSE_ORDER: readonly FailureCause[] = ['signed-out', 'file-gone', 'setup', 'server-refused', 'verification', 'network', 'server-broken', 'other'];

export const CAUSE_WORDS: Record<FailureCause, CauseWords> = {
  'signed-out': { reason: (d) => `Signed out of ${oneOrMany(d)} — sign in again`, fix: 'sign-in' },
  'file-gone': { reason: () => 'The file was moved, deleted or cannot be read', fix: 'remove' },
  setup: { reason: (d) => `${d.length === 1 ? d[0] : 'A destination'} is missing or set up wrong`, fix: 'destinations' },
  'server-refused': { reason: (d) => `${d.length === 1 ? d[0] : 'The server'} refused the upload`, fix: 'destinations' },
  verification: { reason: () => 'The uploaded copy did not match the file', fix: 'none' },
  network: { reason: (d) => `${d.length === 1 ? d[0] : 'The server'} could not be reached, or kept failing`, fix: 'none' },
  'server-broken': { reason: () => 'The server sent replies Hoist cannot read', fix: 'diagnostics' },
  other: { reason: () => 'Something unexpected went wrong', fix: 'diagnostics' },
};

/** Rank of a cause in CAUSE_ORDER, for sorting. */
export const causeRank = (cause: FailureCause | undefined): number => (cause === undefined ? CAUSE_ORDER.length : CAUSE_ORDER.indexOf(cause));
