import type { SignInView } from '../../preload/contract/index.js';
import type { LinkStatus } from '../transport/bridge-link.js';
import type { DomainState } from './domain-state.js';

/** The window's sections. */
export type Screen = 'queue' | 'attention' | 'destinations' | 'watches' | 'settings';

/** A file still streaming into main (browser tab); it becomes a job once main has it all. */
export interface IntakeItem {
  key: string;
  name: string;
  sizeBytes: number;
  sentBytes: number;
  /** Why it stopped, in words; null while it goes. */
  error: string | null;
}

/** What only this window knows: where the user is, what is open, what is in flight from here. */
export interface UiState {
  screen: Screen;
  connection: LinkStatus;
  /** Counts (re)connections: rows holding parts ask for them again on each. */
  epoch: number;
  /** Main's clock (ours plus the skew), advanced once a second for every "in 42 s". */
  nowMs: number;
  expanded: Readonly<Record<number, true>>;
  /** Failed rows whose full error text is shown. */
  errorOpen: Readonly<Record<number, true>>;
  isFinishedOpen: boolean;
  dismissedWarnings: readonly string[];
  intake: Readonly<Record<string, IntakeItem>>;
  /** The live region's latest sentence; `seq` makes a repeat of the same words announce again. */
  announcement: { seq: number; text: string };
  /** A command that failed, in words, shown until dismissed or replaced. */
  notice: { seq: number; text: string } | null;
  /** Jobs the user asked to cancel, awaiting confirmation. */
  confirmCancel: { ids: number[]; name: string } | null;
  /** The sign-in the window is walking the user through. */
  signInFlow: SignInView | null;
  /** Destination chosen for files added from this window; null: the default. */
  uploadTarget: string | null;
}

export type AppState = DomainState & UiState;

export const initialUiState = (nowMs: number, dismissedWarnings: readonly string[] = []): UiState => ({
  screen: 'queue',
  connection: 'connecting',
  epoch: 0,
  nowMs,
  expanded: {},
  errorOpen: {},
  isFinishedOpen: false,
  dismissedWarnings,
  intake: {},
  announcement: { seq: 0, text: '' },
  notice: null,
  confirmCancel: null,
  signInFlow: null,
  uploadTarget: null,
});

/** Adds or removes a key of a set kept as a record (new object either way). */
export function toggled(record: Readonly<Record<number, true>>, id: number, isOn = !(id in record)): Readonly<Record<number, true>> {
  if (isOn === id in record) return record;
  const next = { ...record };
  if (isOn) next[id] = true;
  else delete next[id];
  return next;
}
