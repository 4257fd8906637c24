import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { HoistError } from '../domain/hoist-error.js';
import { MIGRATIONS } from './migrations/index.js';

export type Db = Database.Database;

/** How to open the database. */
export interface OpenDatabaseOptions {
  /**
   * better-sqlite3's addon to load instead of its own (the desktop app in development loads the build made for
   * Electron's ABI from `.electron-native/`; the CLI and tests never set it).
   */
  nativeBinding?: string;
}

/**
 * Opens (creating if needed) the Hoist database: WAL so readers never block the uploader, a busy timeout so a second
 * `hoist` process waits instead of failing, and every pending migration applied in one transaction.
 */
export function openDatabase(path: string, migrations: readonly string[] = MIGRATIONS, options: OpenDatabaseOptions = {}): Db {
  let db: Db;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    db = options.nativeBinding === undefined ? new Database(path) : new Database(path, { nativeBinding: options.nativeBinding });
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw translateOpenError(error, path);
  }
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, migrations, path);
    cacheStatements(db);
    return db;
  } catch (error) {
    db.close();
    throw translateOpenError(error, path);
  }
}

/**
 * Every `db.prepare(sql)` of the repositories returns one compiled statement per SQL text instead of compiling it
 * again: re-preparing on each call cost more than running the statements during an upload (profiled: about 0.5 ms per
 * prepare on a busy machine, several per acknowledged part). Calls with extra arguments (better-sqlite3's own
 * pragma and transaction helpers, which change statement modes) are passed through uncached.
 */
function cacheStatements(db: Db): void {
  const prepare = db.prepare.bind(db) as (...args: unknown[]) => Database.Statement;
  const cache = new Map<string, Database.Statement>();
  const cached = (...args: unknown[]): Database.Statement => {
    if (args.length !== 1 || typeof args[0] !== 'string') return prepare(...args);
    const sql = args[0];
    let statement = cache.get(sql);
    if (!statement) {
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  db.prepare = cached as Db['prepare'];
}

function migrate(db: Db, migrations: readonly string[], path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new HoistError(
      'db-from-future',
      `The database ${path} was written by a newer Hoist (schema ${current}; this version knows up to ${migrations.length}). ` +
        'Update Hoist, or point --data-dir at another folder.',
    );
  }
  if (current === migrations.length) return;
  db.transaction(() => {
    for (let version = current; version < migrations.length; version++) {
      db.exec(migrations[version]!);
    }
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

/** Maps SQLite failures during normal work (busy, disk full, read-only) to messages a user can act on. */
export function translateDbError(error: unknown, path = 'the Hoist database'): unknown {
  return translateOpenError(error, path);
}

function translateOpenError(error: unknown, path: string): unknown {
  if (error instanceof HoistError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new HoistError('db-locked', `The database ${path} is locked by another program (another Hoist process?); try again in a moment.`);
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
    return new HoistError('db-unwritable', `Cannot write the Hoist database at ${path} (${message}). Check the folder's permissions or use --data-dir.`);
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new HoistError('db-unwritable', `The disk holding ${path} is full; free some space and run the command again (nothing was lost).`);
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new HoistError('db-unwritable', `${path} is not a Hoist database or is damaged (${message}).`);
  }
  return error;
}
