import type { JobStateView, WarningView } from '../../preload/contract/index.js';
import { formatBytes } from './bytes.js';
import { PROVIDER_NAMES } from './provider-names.js';
import { formatClock, formatIn } from './time.js';

/** A warning in one sentence. `jobState` adds "Paused:" when that is why the session runs out. */
export function warningText(warning: WarningView, nowMs: number, jobState: JobStateView | undefined): string {
  const bytes = formatBytes(warning.bytesAtRiskBytes);
  switch (warning.kind) {
    case 'session-expiring': {
      const prefix = jobState === 'paused' ? 'Paused: ' : '';
      const when = warning.expiresAtMs > nowMs ? `it expires ${formatIn(warning.expiresAtMs, nowMs)} (${formatClock(warning.expiresAtMs, nowMs)})` : 'it expires now';
      return `${prefix}${PROVIDER_NAMES[warning.provider]} will drop the upload session of ${warning.jobName} — ${when}; after that ${bytes} must be sent again.`;
    }
    case 'session-expired':
      return warning.restartReason !== null
        ? `Session expired; ${warning.jobName} restarted on a new session (${warning.restartReason}).`
        : `Session expired; resuming starts a new session — ${bytes} of ${warning.jobName} must be sent again.`;
  }
}

/** The short form a job's own row shows under its numbers. */
export function rowWarningText(warning: WarningView, nowMs: number): string {
  if (warning.kind === 'session-expired') return warning.restartReason !== null ? 'Session expired; restarted on a new session' : 'Session expired; resuming starts a new session';
  const when = warning.expiresAtMs > nowMs ? `${formatIn(warning.expiresAtMs, nowMs)} (${formatClock(warning.expiresAtMs, nowMs)})` : 'now';
  return `Session expires ${when}; then ${formatBytes(warning.bytesAtRiskBytes)} must be sent again`;
}

/** One warning per kind, the most pressing of each kind first: the soonest expiry, the latest expiry that happened. */
export function bannerWarnings(warnings: readonly WarningView[], dismissed: ReadonlySet<string>, max = 3): WarningView[] {
  const byKind = new Map<WarningView['kind'], WarningView>();
  for (const warning of warnings) {
    if (dismissed.has(warning.id)) continue;
    const held = byKind.get(warning.kind);
    if (held === undefined || moment(warning) > moment(held)) byKind.set(warning.kind, warning);
  }
  return [...byKind.values()].sort((a, b) => moment(b) - moment(a)).slice(0, max);
}

// Newest first: an expiring session counts as "now" (it is the one to act on), an expired one as when it expired.
function moment(warning: WarningView): number {
  return warning.kind === 'session-expiring' ? Number.MAX_SAFE_INTEGER - warning.expiresAtMs : warning.expiredAtMs;
}

/** How many warnings of the same kind the banner stands for. */
export function sameKindCount(warnings: readonly WarningView[], dismissed: ReadonlySet<string>, kind: WarningView['kind']): number {
  return warnings.filter((w) => w.kind === kind && !dismissed.has(w.id)).length;
}
