import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../main/store/open-database.js';
import { MIGRATIONS } from '../../main/store/migrations/index.js';
import { Store } from '../../main/store/store.js';

const dirs: string[] = [];
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-watch-store-'));
  dirs.push(dir);
  return join(dir, 'hoist.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const identity = { sizeBytes: 10, mtimeMs: 1_700_000_000_000.123, inode: '42' };

function storeWithWatch() {
  const store = new Store(openDatabase(tempDb()));
  const dest = store.destinations.add('od', 'graph', {}, 1);
  const watch = store.watches.add(
    { dir: '/data/photos', destinationId: dest.id, remoteDir: '/Photos', ignorePatterns: ['*.xmp'], symlinkPolicy: 'skip', includeHidden: false, mirrorDeletes: false },
    5,
  );
  return { store, dest, watch };
}

describe('watch tables (migration 002)', () => {
  it('migrates a version-1 database with data to the watch schema', () => {
    const path = tempDb();
    const v1 = openDatabase(path, MIGRATIONS.slice(0, 1));
    v1.prepare(`INSERT INTO destinations (name, provider, config_json, created_at_ms) VALUES ('od', 'graph', '{}', 1)`).run();
    v1.close();
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['watches', 'sync_index']));
    expect(db.prepare('SELECT count(*) AS n FROM destinations').get()).toEqual({ n: 1 });
    db.close();
  });

  it('stores watches with their settings, status, pause and cascade of the index on removal', () => {
    const { store, watch } = storeWithWatch();
    expect(watch).toMatchObject({ dir: '/data/photos', remoteDir: '/Photos', ignorePatterns: ['*.xmp'], symlinkPolicy: 'skip', isPaused: false, status: 'idle', createdAtMs: 5 });
    expect(store.watches.find('/data/photos', watch.destinationId, '/Photos')?.id).toBe(watch.id);
    store.watches.setStatus(watch.id, 'polling', 'limit reached', 9);
    expect(store.watches.get(watch.id)).toMatchObject({ status: 'polling', statusMessage: 'limit reached', statusAtMs: 9 });
    store.watches.setPaused(watch.id, true, 10);
    expect(store.watches.get(watch.id)).toMatchObject({ isPaused: true, status: 'paused', statusMessage: null });
    store.syncIndex.recordPending(watch.id, 'a.jpg', identity, 11);
    expect(store.watches.remove(watch.id)).toBe(true);
    expect(store.syncIndex.get(watch.id, 'a.jpg')).toBeUndefined();
    store.close();
  });

  it('keeps one row per file through pending → queued → uploaded → deleted, with the remote item kept', () => {
    const { store, watch, dest } = storeWithWatch();
    const job = store.jobs.create({ destinationId: dest.id, localPath: '/data/photos/a.jpg', remotePath: '/Photos/a.jpg', ...identity }, 1);
    store.syncIndex.recordPending(watch.id, 'a.jpg', identity, 1);
    expect(store.syncIndex.listPending([watch.id], 10).map((r) => r.relPath)).toEqual(['a.jpg']);
    expect(store.syncIndex.listPending([watch.id + 1], 10)).toEqual([]);
    store.syncIndex.recordQueued(watch.id, 'a.jpg', identity, job.id, 2);
    expect(store.syncIndex.byJob(job.id)).toMatchObject({ relPath: 'a.jpg', state: 'queued' });
    expect(store.syncIndex.listUnsettled(watch.id)).toEqual([]);
    store.jobs.complete(job.id, { id: 'item-1' }, 3);
    expect(store.syncIndex.listUnsettled(watch.id).map((r) => r.relPath)).toEqual(['a.jpg']);
    store.syncIndex.recordUploaded(watch.id, 'a.jpg', identity, 'item-1', 'quickxor:abc', 'uploaded', 4);
    store.syncIndex.setState(watch.id, 'a.jpg', 'deleted', 5);
    expect(store.syncIndex.get(watch.id, 'a.jpg')).toMatchObject({ state: 'deleted', remoteItemId: 'item-1', contentHash: 'quickxor:abc', mtimeMs: identity.mtimeMs });
    expect(store.syncIndex.countsFor(watch.id)).toMatchObject({ deleted: 1, uploaded: 0 });
    store.close();
  });

  it('finds the rows at or under a path without matching siblings that share a prefix', () => {
    const { store, watch } = storeWithWatch();
    for (const rel of ['a', 'a/x.txt', 'a/b/y.txt', 'a-b/z.txt', 'a.txt', 'ab/w.txt']) store.syncIndex.recordPending(watch.id, rel, identity, 1);
    expect(store.syncIndex.listLiveAtOrUnder(watch.id, 'a').map((r) => r.relPath).sort()).toEqual(['a', 'a/b/y.txt', 'a/x.txt']);
    expect([...store.syncIndex.loadAll(watch.id, 'a').keys()].sort()).toEqual(['a/b/y.txt', 'a/x.txt']);
    expect(store.syncIndex.loadAll(watch.id).size).toBe(6);
    store.close();
  });

  it('answers the hot queries from indexes, not table scans', () => {
    const { store } = storeWithWatch();
    const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan(`SELECT * FROM sync_index WHERE watch_id = 1 AND rel_path = 'a'`)).toMatch(/USING PRIMARY KEY/);
    expect(plan(`SELECT * FROM sync_index WHERE watch_id = 1 AND rel_path > 'a/' AND rel_path < 'a0'`)).toMatch(/USING PRIMARY KEY/);
    expect(plan(`SELECT * FROM sync_index WHERE job_id = 3`)).toMatch(/USING INDEX sync_index_by_job/);
    expect(plan(`SELECT count(*) FROM sync_index WHERE state = 'queued'`)).toMatch(/USING COVERING INDEX sync_index_by_state/);
    expect(plan(`SELECT * FROM sync_index WHERE state = 'pending' AND watch_id IN (1, 2) LIMIT 10`)).toMatch(/USING INDEX sync_index_by_state/);
    store.close();
  });
});
