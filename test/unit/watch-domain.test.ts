import { describe, expect, it } from 'vitest';
import { decideStability, DEFAULT_STABILITY, type PendingFile } from '../../main/domain/file-stability.js';
import { diffFile, normalizeRemoteDir, remotePathOf, renameKey, type IndexedFile } from '../../main/domain/sync-diff.js';
import { classifyWatchError, describeWatchError } from '../../main/domain/watch-errors.js';
import { checkPattern, makePathRules } from '../../main/watch/path-rules.js';
import { PendingGate, type GateBatch, type PathLook } from '../../main/watch/pending-gate.js';
import type { FileIdentity } from '../../main/store/jobs-repo.js';

const policy = { quietMs: 2_000, zeroByteQuietMs: 10_000, maxWaitMs: 600_000 };
const id = (sizeBytes: number, mtimeMs: number, inode: string | null = '7'): FileIdentity => ({ sizeBytes, mtimeMs, inode });

describe('stability gate (pure)', () => {
  const now = 1_000_000;

  it('waits for quietMs after the last event, then needs an old-enough mtime', () => {
    const file: PendingFile = { firstSeenMs: now - 500, lastEventMs: now - 500 };
    expect(decideStability(file, id(10, now - 500), now, policy)).toMatchObject({ kind: 'wait', recheckAtMs: now + 1_500 });
    expect(decideStability(file, id(10, now - 500), now + 1_500, policy)).toEqual({ kind: 'ready' });
  });

  it('treats an mtime in the future as unproven until two looks quietMs apart agree', () => {
    const file: PendingFile = { firstSeenMs: now, lastEventMs: Number.NEGATIVE_INFINITY };
    const first = decideStability(file, id(10, now + 60_000), now, policy);
    expect(first).toMatchObject({ kind: 'wait', recheckAtMs: now + 2_000, observedAtMs: now });
    if (first.kind !== 'wait') throw new Error('unreachable');
    const second = { ...file, observed: first.observed, observedAtMs: first.observedAtMs };
    expect(decideStability(second, id(10, now + 60_000), now + 2_000, policy)).toEqual({ kind: 'ready' });
    // …but a change in between restarts the observation
    expect(decideStability(second, id(11, now + 60_000), now + 2_000, policy)).toMatchObject({ kind: 'wait', observedAtMs: now + 2_000 });
  });

  it('gives empty files the longer zero-byte quiet period', () => {
    const file: PendingFile = { firstSeenMs: now - 3_000, lastEventMs: now - 3_000 };
    expect(decideStability(file, id(0, now - 3_000), now, policy).kind).toBe('wait');
    expect(decideStability(file, id(0, now - 3_000), now + 7_000, policy).kind).toBe('ready');
  });

  it('reports a file still changing after maxWaitMs as overdue, and keeps it waiting', () => {
    const file: PendingFile = { firstSeenMs: now - 600_000, lastEventMs: now - 100 };
    expect(decideStability(file, id(10, now - 100), now, policy)).toMatchObject({ kind: 'wait', isOverdue: true });
  });

  it('settles a scanned file with an old mtime at once', () => {
    expect(decideStability({ firstSeenMs: now, lastEventMs: Number.NEGATIVE_INFINITY }, id(5, now - 10_000), now, DEFAULT_STABILITY)).toEqual({ kind: 'ready' });
  });
});

describe('diff of a file against its index row (pure)', () => {
  const row = (state: IndexedFile['state'], identity: FileIdentity, remoteItemId: string | null = 'r1'): IndexedFile => ({ ...identity, state, remoteItemId });

  it('uploads new and changed files, not unchanged ones (size + mtime decide, inode is refreshed)', () => {
    expect(diffFile(undefined, id(1, 5))).toEqual({ kind: 'upload', reason: 'new' });
    expect(diffFile(row('uploaded', id(1, 5)), id(2, 5))).toEqual({ kind: 'upload', reason: 'changed' });
    expect(diffFile(row('uploaded', id(1, 5)), id(1, 6))).toEqual({ kind: 'upload', reason: 'changed' });
    expect(diffFile(row('uploaded', id(1, 5, '7')), id(1, 5, '7'))).toEqual({ kind: 'unchanged', isInodeStale: false });
    expect(diffFile(row('uploaded', id(1, 5, '7')), id(1, 5, '99'))).toEqual({ kind: 'unchanged', isInodeStale: true });
    expect(diffFile(row('failed', id(1, 5)), id(1, 5)).kind).toBe('unchanged');
    expect(diffFile(row('pending', id(1, 5)), id(1, 5)).kind).toBe('unchanged');
  });

  it('restores a deleted file that comes back unchanged while its remote copy exists', () => {
    expect(diffFile(row('deleted', id(1, 5)), id(1, 5, '8'))).toEqual({ kind: 'restore' });
    expect(diffFile(row('deleted', id(1, 5), null), id(1, 5))).toEqual({ kind: 'upload', reason: 'new' });
    expect(diffFile(row('deleted', id(1, 5)), id(2, 5))).toEqual({ kind: 'upload', reason: 'changed' });
  });

  it('keys renames by inode, size and mtime; builds remote paths with /', () => {
    expect(renameKey(id(3, 4.5, '12'))).toBe('12:3:4.5');
    expect(renameKey(id(3, 4.5, null))).toBeUndefined();
    expect(remotePathOf('/Backups/Photos', '2024/a.jpg')).toBe('/Backups/Photos/2024/a.jpg');
    expect(remotePathOf('/', 'a.jpg')).toBe('/a.jpg');
    expect(normalizeRemoteDir('Backups\\Photos/')).toBe('/Backups/Photos');
    expect(normalizeRemoteDir('./a//b/.')).toBe('/a/b');
    expect(normalizeRemoteDir('a/../b')).toBeUndefined();
  });
});

describe('watch errors (pure)', () => {
  it('names the inotify limit, the fallback and the exact sysctl', () => {
    expect(classifyWatchError('ENOSPC')).toBe('watch-limit');
    expect(classifyWatchError('EMFILE')).toBe('open-files-limit');
    expect(classifyWatchError('EACCES')).toBe('other');
    const text = describeWatchError({ kind: 'watch-limit', folder: '/data', platform: 'linux', detail: 'ENOSPC', rescanEveryMs: 60_000, limits: { maxUserWatches: 192_536 } });
    expect(text).toMatch(/fs\.inotify\.max_user_watches = 192536/);
    expect(text).toMatch(/rescans it every 60 s/);
    expect(text).toMatch(/sudo sysctl fs\.inotify\.max_user_watches=524288/);
    expect(text).toMatch(/\/etc\/sysctl\.d\/90-hoist\.conf/);
    const emfile = describeWatchError({ kind: 'open-files-limit', folder: '/data', platform: 'linux', detail: 'EMFILE', rescanEveryMs: 60_000, limits: { maxUserInstances: 128 } });
    expect(emfile).toMatch(/ulimit -n/);
    expect(emfile).toMatch(/max_user_instances = 128/);
  });
});

describe('ignore rules (gitignore semantics)', () => {
  it('applies defaults, user patterns with negation and folder patterns, and the hidden policy', () => {
    const rules = makePathRules({ patterns: ['*.log', 'build/', '!keep.tmp', '/top-only.txt'], includeHidden: false, excludedDirs: ['.hoist-data'] }, 'linux');
    for (const rel of ['.DS_Store', 'a/Thumbs.db', 'desktop.ini', '~$x.docx', 'a.tmp', 'b.part', 'c.crdownload', '.~lock.d.odt#', 'e.swp', 'f~', 'x.log', 'build/x', 'top-only.txt', '.hidden', 'a/.git/config']) {
      expect(rules.isIgnoredFile(rel), rel).toBe(true);
    }
    for (const rel of ['keep.tmp', 'photo.jpg', 'sub/top-only.txt', 'builder/x', 'a/b/c.txt']) expect(rules.isIgnoredFile(rel), rel).toBe(false);
    expect(rules.isIgnoredDir('build')).toBe(true);
    expect(rules.isIgnoredDir('.hoist-data')).toBe(true);
    expect(rules.isIgnoredDir('src')).toBe(false);
    const withHidden = makePathRules({ patterns: [], includeHidden: true }, 'linux');
    expect(withHidden.isIgnoredFile('.config/app.json')).toBe(false);
    expect(withHidden.isIgnoredFile('.DS_Store')).toBe(true);
  });

  it('answers by name (cached) exactly as the library does by path when every rule is a name pattern', () => {
    const patterns = ['*.log', 'build/', '!keep.log', 'cache', '#comment', 'a?c.txt'];
    const byName = makePathRules({ patterns, includeHidden: true }, 'linux');
    const byPath = makePathRules({ patterns: [...patterns, 'never/matches/this'], includeHidden: true }, 'linux');
    const paths = ['x.log', 'keep.log', 'd/keep.log', 'build/keep.log', 'build', 'a/build/z', 'cache', 'cache/x', 'sub/cache', 'abc.txt', 'a/abc.txt', 'ab.txt', 'Thumbs.db', 'deep/Thumbs.db/x', 'ok/file.bin'];
    for (const p of paths) {
      expect(byName.isIgnoredFile(p), p).toBe(byPath.isIgnoredFile(p));
      expect(byName.isIgnoredDir(p), `${p}/`).toBe(byPath.isIgnoredDir(p));
    }
  });

  it('rejects patterns that cannot match', () => {
    expect(checkPattern('*.log')).toBeUndefined();
    expect(checkPattern('  ')).toMatch(/empty/);
    expect(checkPattern('./build')).toMatch(/relative to the watched folder/);
  });
});

describe('pending gate (fake clock, fake file system)', () => {
  function makeGate(files: Map<string, PathLook>, policyOverride = policy) {
    let now = 0;
    const batches: GateBatch[] = [];
    const overdue: string[] = [];
    const gate = new PendingGate({
      look: (rel) => files.get(rel) ?? { kind: 'gone' },
      nowMs: () => now,
      policy: policyOverride,
      tickMs: 100,
      maxLooksPerTick: 3,
      onBatch: (b) => batches.push(b),
      onOverdue: (rel) => overdue.push(rel),
    });
    return { gate, batches, overdue, advance: (ms: number) => (now += ms), now: () => now };
  }

  it('hands over a settled file, a vanished path and a new folder in one batch, looking at most maxLooksPerTick per tick', () => {
    const files = new Map<string, PathLook>([
      ['a.txt', { kind: 'file', identity: id(1, -5_000) }],
      ['dir', { kind: 'dir' }],
      ['b.txt', { kind: 'file', identity: id(2, -5_000) }],
      ['c.txt', { kind: 'file', identity: id(3, -5_000) }],
    ]);
    const g = makeGate(files);
    for (const rel of ['a.txt', 'gone.txt', 'dir', 'b.txt', 'c.txt']) g.gate.noteEvent(rel);
    g.advance(2_000);
    g.gate.tick();
    expect(g.batches).toHaveLength(1);
    expect(g.batches[0]).toEqual({ settled: [{ relPath: 'a.txt', identity: id(1, -5_000), source: 'live' }], gone: ['gone.txt'], dirs: ['dir'] });
    g.gate.tick();
    expect(g.batches[1]?.settled.map((s) => s.relPath)).toEqual(['b.txt', 'c.txt']);
    expect(g.gate.size).toBe(0);
  });

  it('keeps a file that changes at every look, and reports it once when overdue', () => {
    const files = new Map<string, PathLook>();
    const g = makeGate(files, { ...policy, maxWaitMs: 5_000 });
    g.gate.noteEvent('grow.bin');
    for (let i = 1; i <= 10; i++) {
      files.set('grow.bin', { kind: 'file', identity: id(i * 100, g.now()) });
      g.advance(1_000);
      g.gate.noteEvent('grow.bin');
      g.gate.tick();
    }
    expect(g.batches).toEqual([]);
    expect(g.overdue).toEqual(['grow.bin']);
    g.advance(2_000);
    g.gate.tick();
    expect(g.batches[0]?.settled[0]?.identity.sizeBytes).toBe(1_000);
  });

  it('returns a scanned file that settled long ago immediately, without holding it', () => {
    const g = makeGate(new Map());
    expect(g.gate.noteScanned('old.txt', id(5, -60_000))).toEqual({ relPath: 'old.txt', identity: id(5, -60_000), source: 'scan' });
    expect(g.gate.noteScanned('fresh.txt', id(5, -10))).toBeUndefined();
    expect(g.gate.size).toBe(1);
    g.gate.stop();
  });
});
