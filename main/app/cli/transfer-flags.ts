import type { Command } from 'commander';
import { parseBandwidthLimit } from '../../domain/bandwidth-limit.js';
import { RATE_FORMS } from '../../domain/bandwidth-rate.js';
import { HoistError } from '../../domain/hoist-error.js';
import { MAX_STALL_TIMEOUT_SEC, isValidStallTimeoutSec, type TransferOptions } from '../transfer-options.js';

const BWLIMIT_HELP =
  `limit the upload bandwidth of all uploads together: ${RATE_FORMS}, off, or a timetable in local time, ` +
  'quoted: "08:00,1M 18:00,off" (each rate holds from its time until the next) or "Mon-08:00,512K Fri-18:00,off"';
const STALL_HELP =
  `give up on a request that moves no byte for SECONDS (1 to ${MAX_STALL_TIMEOUT_SEC}, default 60) and continue ` +
  'where the server stopped; time held back by --bwlimit does not count';

/** `--bwlimit` and `--stall-timeout`, on every command that uploads. */
export function addTransferFlags(command: Command): Command {
  return command.option('--bwlimit <rate>', BWLIMIT_HELP, checkBwlimit).option('--stall-timeout <seconds>', STALL_HELP, parseStallTimeoutSec);
}

/** The flags as `applyTransferOptions` takes them. */
export function transferOptionsOf(opts: { bwlimit?: string; stallTimeout?: number }): TransferOptions {
  return { bwlimit: opts.bwlimit, stallTimeoutSec: opts.stallTimeout };
}

/** Checked while the arguments are read, so a typo fails before anything starts; applied by the command. */
function checkBwlimit(value: string): string {
  parseBandwidthLimit(value);
  return value;
}

function parseStallTimeoutSec(value: string): number {
  const seconds = value.trim() === '' ? Number.NaN : Number(value);
  if (!isValidStallTimeoutSec(seconds)) throw new HoistError('invalid-argument', `--stall-timeout takes a number of seconds from 1 to ${MAX_STALL_TIMEOUT_SEC}, got "${value}"`);
  return seconds;
}
