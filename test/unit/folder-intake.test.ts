import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandFolders } from '../../main/bridge/folder-intake.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const make = (files: string[]) => {
  dir = mkdtempSync(join(tmpdir(), 'hoist-folder-intake-'));
  for (const rel of files) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), rel);
  }
};

describe('folders dropped on the window or the dock icon', () => {
  it('bring their files, each into its folder at the destination, skipping OS clutter, hidden files and links', async () => {
    make(['Photos/a.jpg', 'Photos/2025/b.jpg', 'Photos/2025/c.jpg', 'Photos/.DS_Store', 'Photos/.cache/x', 'Photos/Thumbs.db', 'loose.txt']);
    symlinkSync(join(dir, 'loose.txt'), join(dir, 'Photos', 'link.txt'));
    const { groups, problems } = await expandFolders([join(dir, 'Photos'), join(dir, 'loose.txt')], '/Backup');
    expect(problems).toEqual([]);
    expect(groups).toEqual([
      { remoteDir: '/Backup', paths: [join(dir, 'loose.txt')] },
      { remoteDir: '/Backup/Photos', paths: [join(dir, 'Photos', 'a.jpg')] },
      { remoteDir: '/Backup/Photos/2025', paths: [join(dir, 'Photos', '2025', 'b.jpg'), join(dir, 'Photos', '2025', 'c.jpg')] },
    ]);
  });

  it('files and unreadable paths pass through unchanged (queueing names what is wrong with them)', async () => {
    make(['one.bin']);
    const { groups } = await expandFolders([join(dir, 'one.bin'), join(dir, 'gone.bin')], undefined);
    expect(groups).toEqual([{ remoteDir: undefined, paths: [join(dir, 'one.bin'), join(dir, 'gone.bin')] }]);
  });

  it('an empty folder and one too big for a drop are refused in words', async () => {
    make(['Big/1', 'Big/2', 'Big/3']);
    mkdirSync(join(dir, 'Empty'));
    const { groups, problems } = await expandFolders([join(dir, 'Empty'), join(dir, 'Big')], undefined, 2);
    expect(groups).toEqual([]);
    expect(problems).toEqual([`${join(dir, 'Empty')} is a folder with no files to upload.`, expect.stringMatching(/Big holds more than 2 files: watch it instead/)]);
  });
});
