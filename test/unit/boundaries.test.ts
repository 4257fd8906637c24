import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = join(abs, name);
    if (statSync(full).isDirectory()) return sourceFiles(relative(ROOT, full));
    return /\.(ts|tsx)$/.test(name) ? [relative(ROOT, full)] : [];
  });
}

const importsOf = (file: string) =>
  [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);

describe('architecture boundaries (habit 3)', () => {
  it('preload/contract and main/domain import no runtime: no node:*, electron, native or network modules', () => {
    const files = [...sourceFiles('preload/contract'), ...sourceFiles('main/domain')];
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.flatMap((f) => importsOf(f).filter((i) => !i.startsWith('.')).map((i) => `${f} -> ${i}`));
    // quick-xor-hash uses Buffer (a global) only for base64; no imports at all are allowed here
    expect(offenders).toEqual([]);
  });

  it('main/domain depends only on itself, store row types and the contract\'s view types', () => {
    const offenders = sourceFiles('main/domain').flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('.') && !i.startsWith('./') && !i.startsWith('../store/') && !i.startsWith('../../preload/contract/'))
        .map((i) => `${f} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it('only main/protocols (talking to servers) and main/bridge/transports (serving the window) speak HTTP', () => {
    const offenders = sourceFiles('main')
      .filter((f) => !f.startsWith('main/protocols/') && !f.startsWith('main/bridge/transports/'))
      .flatMap((f) => importsOf(f).filter((i) => i === 'undici' || i === 'node:http' || i === 'node:https').map((i) => `${f} -> ${i}`));
    expect(offenders).toEqual([]);
  });

  it('within the bridge, only main/bridge/transports uses node:http and ws; nothing else in main uses ws', () => {
    const bridge = sourceFiles('main/bridge');
    expect(bridge.some((f) => f.startsWith('main/bridge/transports/'))).toBe(true);
    const offenders = sourceFiles('main')
      .filter((f) => !f.startsWith('main/bridge/transports/'))
      .flatMap((f) => importsOf(f).filter((i) => i === 'ws' || (f.startsWith('main/bridge/') && (i === 'node:http' || i === 'node:https' || i === 'node:net'))).map((i) => `${f} -> ${i}`));
    expect(offenders).toEqual([]);
  });

  it('renderer never imports main, and main never imports renderer', () => {
    const offenders = [
      ...sourceFiles('renderer').flatMap((f) => importsOf(f).filter((i) => i.includes('/main/')).map((i) => `${f} -> ${i}`)),
      ...sourceFiles('main').flatMap((f) => importsOf(f).filter((i) => i.includes('/renderer/')).map((i) => `${f} -> ${i}`)),
    ];
    expect(offenders).toEqual([]);
  });
});
