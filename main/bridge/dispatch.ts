import { COMMAND_NAMES, type CommandName, type HoistCommands } from '../../preload/contract/commands.js';
import { BridgeError, type BridgeErrorCode } from '../../preload/contract/errors.js';
import { HoistError, type HoistErrorCode } from '../domain/hoist-error.js';
import { translateDbError } from '../store/open-database.js';
import { COMMAND_ARGS, describeIssue } from './schemas.js';

const NAMES = new Set<string>(COMMAND_NAMES);

export const isCommandName = (name: unknown): name is CommandName => typeof name === 'string' && NAMES.has(name);

/**
 * Runs one command for a transport: the name must be a contract command and the arguments must pass its schema, or
 * nothing runs. Every failure becomes a BridgeError with a sentence for the user; no stack trace crosses the bridge.
 */
export async function dispatch(commands: HoistCommands, name: unknown, args: unknown): Promise<unknown> {
  if (!isCommandName(name)) throw new BridgeError('invalid-argument', `There is no command "${String(name).slice(0, 64)}".`);
  const parsed = COMMAND_ARGS[name].safeParse(args);
  if (!parsed.success) throw new BridgeError('invalid-argument', describeIssue(name, parsed.error));
  try {
    return await (commands[name] as (...a: unknown[]) => Promise<unknown>)(...(parsed.data as unknown[]));
  } catch (error) {
    throw toBridgeError(error);
  }
}

const CODES: Partial<Record<HoistErrorCode, BridgeErrorCode>> = {
  'invalid-argument': 'invalid-argument',
  'not-found': 'not-found',
  'file-missing': 'not-found',
  'auth-failed': 'auth-failed',
  'db-locked': 'storage',
  'db-unwritable': 'storage',
  'data-dir-unwritable': 'storage',
  'db-from-future': 'storage',
};

export function toBridgeError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  const translated = translateDbError(error);
  if (translated instanceof HoistError) return new BridgeError(CODES[translated.code] ?? 'internal', translated.message);
  return new BridgeError('internal', `Unexpected error: ${translated instanceof Error ? translated.message : String(translated)}`);
}
