import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../main/store/store.js';
import { removeDir, runCli, tempDir } from '../support/cli.js';

const WRITER = resolve(import.meta.dirname, '../support/db-writer.mjs');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeDir));

describe('database durability', () => {
  it('survives kill -9 in the middle of writes, repeatedly: intact, and every transaction all-or-nothing', async () => {
    const dir = tempDir('crash');
    dirs.push(dir);
    const path = join(dir, 'hoist.db');
    for (let k = 0; k < 4; k++) {
      const child = spawn(process.execPath, [WRITER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error('writer never started')), 20_000);
        child.stdout.once('data', () => {
          clearTimeout(timer);
          res();
        });
      });
      await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 200)));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
    }
    const store = Store.open(path);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    // A session is inserted together with all its parts; never a session with a partial part list.
    const partCounts = store.db.prepare('SELECT COUNT(*) AS n FROM parts GROUP BY session_id').all() as { n: number }[];
    expect(partCounts.length).toBeGreaterThan(0);
    for (const { n } of partCounts) expect(n).toBe(64);
    // A part marked done always has its digest and reply: the single-statement update is atomic.
    const torn = store.db.prepare(`SELECT COUNT(*) AS n FROM parts WHERE state = 'done' AND (digest IS NULL OR server_reply_json IS NULL)`).get() as { n: number };
    expect(torn.n).toBe(0);
    store.close();
  });

  it('a locked database gives a clear message instead of a crash', async () => {
    const dir = tempDir('locked');
    dirs.push(dir);
    Store.open(join(dir, 'hoist.db')).close();
    const holder = new Database(join(dir, 'hoist.db'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const result = await runCli(['--data-dir', dir, 'dest', 'add', 'x', '--provider', 'graph', '--token', 't']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/locked by another program/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});
