import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../main/store/open-database.js';
import { MIGRATIONS } from '../../main/store/migrations/index.js';
import { Store } from '../../main/store/store.js';
import { HoistError } from '../../main/domain/hoist-error.js';

const dirs: string[] = [];
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-store-'));
  dirs.push(dir);
  return join(dir, 'hoist.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('database', () => {
  it('migrates an empty database to the latest version, in WAL mode', () => {
    const db = openDatabase(tempDb());
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(['destinations', 'jobs', 'parts', 'sessions', 'settings', 'sync_index', 'watches']);
    db.close();
  });

  it('compiles each SQL text once, while pragmas and transactions keep working', () => {
    const db = openDatabase(tempDb());
    const sql = 'SELECT COUNT(*) AS n FROM jobs';
    expect(db.prepare(sql)).toBe(db.prepare(sql));
    expect(db.prepare('SELECT 1 AS one')).not.toBe(db.prepare(sql));
    // better-sqlite3's pragma helper switches its statements to pluck mode: a shared statement must not leak that mode.
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare(sql).get()).toEqual({ n: 0 });
    db.transaction(() => db.prepare(`INSERT INTO settings (key, value) VALUES ('k', '1')`).run())();
    expect(db.prepare(`SELECT value FROM settings WHERE key = 'k'`).get()).toEqual({ value: '1' });
    db.close();
  });

  it('migrates from every earlier version step by step and keeps data', () => {
    const path = tempDb();
    // version 1 only, with a row, then the full list on top of it
    const v1 = openDatabase(path, MIGRATIONS.slice(0, 1));
    v1.prepare(`INSERT INTO settings (key, value) VALUES ('k', 'v')`).run();
    v1.close();
    const extra = [...MIGRATIONS, `CREATE TABLE probe (id INTEGER PRIMARY KEY);`];
    const latest = openDatabase(path, extra);
    expect(latest.pragma('user_version', { simple: true })).toBe(extra.length);
    expect(latest.prepare(`SELECT value FROM settings WHERE key = 'k'`).get()).toEqual({ value: 'v' });
    latest.close();
  });

  it('refuses a database written by a newer Hoist with a clear message', () => {
    const path = tempDb();
    openDatabase(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    raw.close();
    expect(() => openDatabase(path)).toThrowError(HoistError);
    expect(() => openDatabase(path)).toThrowError(/newer Hoist/);
  });

  it('applies a failing migration not at all (one transaction)', () => {
    const path = tempDb();
    openDatabase(path).close();
    const broken = [...MIGRATIONS, `CREATE TABLE ok_table (id INTEGER); THIS IS NOT SQL;`];
    expect(() => openDatabase(path, broken)).toThrow();
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'ok_table'`).get()).toBeUndefined();
    db.close();
  });

  it('uses indexes for the hot queries', () => {
    const db = openDatabase(tempDb());
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan(`SELECT * FROM parts WHERE session_id = 1 ORDER BY part_index`)).toMatch(/USING PRIMARY KEY/);
    expect(plan(`SELECT * FROM sessions WHERE job_id = 1 AND state = 'open'`)).toMatch(/sessions_by_job/);
    expect(plan(`SELECT * FROM jobs WHERE destination_id = 1 AND local_path = 'a' AND remote_path = 'b'`)).toMatch(/jobs_by_path/);
    db.close();
  });
});

describe('repositories', () => {
  it('records parts done only when told, and sessions replace each other per job', () => {
    const store = Store.open(tempDb());
    const dest = store.destinations.add('od', 'graph', { endpoint: 'x' }, 1);
    const job = store.jobs.create({ destinationId: dest.id, localPath: '/a', remotePath: '/a', sizeBytes: 30, mtimeMs: 5, inode: '7' }, 1);
    const parts = [
      { partIndex: 0, offsetBytes: 0, sizeBytes: 10 },
      { partIndex: 1, offsetBytes: 10, sizeBytes: 10 },
      { partIndex: 2, offsetBytes: 20, sizeBytes: 10 },
    ];
    const s1 = store.sessions.open({ jobId: job.id, provider: 'graph', sessionUrl: 'u1', remoteSessionId: null, partSizeBytes: 10, expiresAtMs: null, extra: {} }, parts, 2);
    store.sessions.markPartDone(s1.id, 1, 'd', { ok: true });
    expect(store.sessions.parts(s1.id).map((p) => p.state)).toEqual(['pending', 'done', 'pending']);
    expect(store.sessions.parts(s1.id)[1]!.serverReply).toEqual({ ok: true });
    const s2 = store.sessions.open({ jobId: job.id, provider: 'graph', sessionUrl: 'u2', remoteSessionId: null, partSizeBytes: 10, expiresAtMs: null, extra: {} }, parts, 3);
    expect(store.sessions.get(s1.id)!.state).toBe('abandoned');
    expect(store.sessions.openForJob(job.id)!.id).toBe(s2.id);
    store.close();
  });

  it('pause survives reopening the database; resume makes the job runnable again', () => {
    const path = tempDb();
    const store = Store.open(path);
    const dest = store.destinations.add('od', 'graph', {}, 1);
    const job = store.jobs.create({ destinationId: dest.id, localPath: '/a', remotePath: '/a', sizeBytes: 1, mtimeMs: 1, inode: null }, 1);
    expect(store.jobs.pause('all', 2)).toBe(1);
    store.close();
    const again = Store.open(path);
    expect(again.jobs.get(job.id)!.state).toBe('paused');
    expect(again.jobs.resume([job.id], 3)).toBe(1);
    expect(again.jobs.get(job.id)!.state).toBe('queued');
    again.close();
  });

  it('leases: a live holder blocks, a dead or expired one does not', () => {
    const store = Store.open(tempDb());
    const dest = store.destinations.add('od', 'graph', {}, 1);
    const job = store.jobs.create({ destinationId: dest.id, localPath: '/a', remotePath: '/a', sizeBytes: 1, mtimeMs: 1, inode: null }, 1);
    const a = { pid: 100, startTime: 'linux:500' };
    const b = { pid: 200, startTime: 'linux:600' };
    expect(store.jobs.tryLease(job.id, a, 1_000, 30_000, () => true)).toBe(true);
    expect(store.jobs.leaseHolder(job.id)).toEqual(a);
    expect(store.jobs.tryLease(job.id, b, 2_000, 30_000, () => true)).toBe(false);
    const asked: unknown[] = [];
    expect(store.jobs.tryLease(job.id, b, 2_000, 30_000, (holder) => (asked.push(holder), false))).toBe(true);
    expect(asked).toEqual([a]);
    expect(store.jobs.leaseHolder(job.id)).toEqual(b);
    expect(store.jobs.tryLease(job.id, { pid: 300, startTime: null }, 40_000, 30_000, () => true)).toBe(true);
    store.close();
  });

  it('leases: renew and release touch only the holder with the same start time; done clears the lease', () => {
    const store = Store.open(tempDb());
    const dest = store.destinations.add('od', 'graph', {}, 1);
    const job = store.jobs.create({ destinationId: dest.id, localPath: '/a', remotePath: '/a', sizeBytes: 1, mtimeMs: 1, inode: null }, 1);
    const holder = { pid: 100, startTime: 'linux:500' };
    const samePidLater = { pid: 100, startTime: 'linux:900' };
    store.jobs.tryLease(job.id, holder, 1_000, 30_000, () => true);
    store.jobs.renewLease(job.id, samePidLater, 20_000, 30_000);
    store.jobs.releaseLease(job.id, samePidLater);
    expect(store.jobs.leaseHolder(job.id)).toEqual(holder);
    // still held at 40 s: the renewal by another process with the same pid did not count
    expect(store.jobs.tryLease(job.id, { pid: 200, startTime: null }, 40_000, 30_000, () => true)).toBe(true);
    store.jobs.tryLease(job.id, holder, 1_000, 30_000, () => false);
    store.jobs.renewLease(job.id, holder, 20_000, 30_000);
    expect(store.jobs.tryLease(job.id, { pid: 200, startTime: null }, 40_000, 30_000, () => true)).toBe(false);
    store.jobs.releaseLease(job.id, holder);
    expect(store.jobs.leaseHolder(job.id)).toBeNull();
    store.jobs.tryLease(job.id, holder, 1_000, 30_000, () => true);
    store.jobs.complete(job.id, {}, 2_000);
    expect(store.jobs.leaseHolder(job.id)).toBeNull();
    store.close();
  });

  it('leases: a process that took the lease between the liveness check and the write keeps it', () => {
    const store = Store.open(tempDb());
    const dest = store.destinations.add('od', 'graph', {}, 1);
    const job = store.jobs.create({ destinationId: dest.id, localPath: '/a', remotePath: '/a', sizeBytes: 1, mtimeMs: 1, inode: null }, 1);
    const dead = { pid: 100, startTime: 'linux:1' };
    const fast = { pid: 200, startTime: 'linux:2' };
    store.jobs.tryLease(job.id, dead, 1_000, 30_000, () => true);
    // While this process asks the OS about the dead holder, another one takes the lease over.
    const isTaken = store.jobs.tryLease(job.id, { pid: 300, startTime: 'linux:3' }, 2_000, 30_000, () => {
      expect(store.jobs.tryLease(job.id, fast, 2_000, 30_000, () => false)).toBe(true);
      return false;
    });
    expect(isTaken).toBe(false);
    expect(store.jobs.leaseHolder(job.id)).toEqual(fast);
    store.close();
  });

  it('migration 4 keeps the leases of version 3 (start time unknown: the pid alone decides, as before)', () => {
    const path = tempDb();
    const v3 = openDatabase(path, MIGRATIONS.slice(0, 3));
    v3.prepare(`INSERT INTO destinations (id, name, provider, config_json, created_at_ms) VALUES (1, 'od', 'graph', '{}', 1)`).run();
    v3.prepare(
      `INSERT INTO jobs (id, destination_id, local_path, remote_path, size_bytes, mtime_ms, state, lease_pid, lease_expires_at_ms, created_at_ms, updated_at_ms)
       VALUES (7, 1, '/a', '/a', 1, 1, 'running', 4242, 90000, 1, 1)`,
    ).run();
    v3.close();
    const store = Store.open(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const columns = (store.db.prepare(`SELECT name, type FROM pragma_table_info('jobs') WHERE name LIKE 'lease%' ORDER BY cid`).all() as { name: string; type: string }[]);
    expect(columns).toEqual([
      { name: 'lease_pid', type: 'INTEGER' },
      { name: 'lease_expires_at_ms', type: 'INTEGER' },
      { name: 'lease_pid_start', type: 'TEXT' },
    ]);
    expect(store.jobs.get(7)!.state).toBe('running');
    expect(store.jobs.leaseHolder(7)).toEqual({ pid: 4242, startTime: null });
    const asked: unknown[] = [];
    expect(store.jobs.tryLease(7, { pid: 1, startTime: 'linux:9' }, 1_000, 30_000, (h) => (asked.push(h), true))).toBe(false);
    expect(asked).toEqual([{ pid: 4242, startTime: null }]);
    expect(store.jobs.tryLease(7, { pid: 1, startTime: 'linux:9' }, 1_000, 30_000, () => false)).toBe(true);
    expect(store.jobs.leaseHolder(7)).toEqual({ pid: 1, startTime: 'linux:9' });
    store.close();
  });

  it('migration 5 drops the 10 MiB Graph fragment size dest add stored without the flag; other sizes stay', () => {
    const path = tempDb();
    const v4 = openDatabase(path, MIGRATIONS.slice(0, 4));
    const insert = v4.prepare(`INSERT INTO destinations (id, name, provider, config_json, created_at_ms) VALUES (?, ?, ?, ?, 1)`);
    insert.run(1, 'od', 'graph', JSON.stringify({ endpoint: 'https://graph.microsoft.com/v1.0', fragmentSizeBytes: 10_485_760 }));
    insert.run(2, 'od-small', 'graph', JSON.stringify({ fragmentSizeBytes: 327_680 * 4 }));
    insert.run(3, 'nas', 'tus', JSON.stringify({ endpoint: 'http://nas/files/', fragmentSizeBytes: 10_485_760 }));
    v4.close();
    const store = Store.open(path);
    expect(store.destinations.byName('od')!.config).toEqual({ endpoint: 'https://graph.microsoft.com/v1.0' });
    expect(store.destinations.byName('od-small')!.config).toEqual({ fragmentSizeBytes: 327_680 * 4 });
    expect(store.destinations.byName('nas')!.config).toEqual({ endpoint: 'http://nas/files/', fragmentSizeBytes: 10_485_760 });
    store.close();
  });
});
