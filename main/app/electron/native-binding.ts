import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * better-sqlite3 built for Electron's ABI lives in its own folder (`.electron-native/` at the package root), so the Node
 * build that the CLI and the tests load from node_modules stays untouched. The desktop app's entry loads it through
 * better-sqlite3's `nativeBinding` option; a packaged app needs none (electron-builder rebuilds in place).
 */
export const ELECTRON_NATIVE_DIR = '.electron-native';

/** The environment variable `npm start` sets for the app: the addon to load. */
export const NATIVE_BINDING_ENV = 'HOIST_NATIVE_BINDING';

/** Where the Electron build of better-sqlite3's addon is, under a package root. */
export function electronNativeBindingPath(packageRoot: string): string {
  return join(packageRoot, ELECTRON_NATIVE_DIR, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

/** What the Electron build was made from: a new Electron or better-sqlite3 version needs a new build. */
export interface NativeBuildStamp {
  electronVersion: string;
  betterSqlite3Version: string;
  platform: string;
  arch: string;
}

/** Whether the stamp left by the last build (its text, or undefined) matches what is wanted now. */
export function isNativeBuildCurrent(stampText: string | undefined, wanted: NativeBuildStamp): boolean {
  if (stampText === undefined) return false;
  try {
    const stamp = JSON.parse(stampText) as Partial<NativeBuildStamp>;
    return stamp.electronVersion === wanted.electronVersion && stamp.betterSqlite3Version === wanted.betterSqlite3Version && stamp.platform === wanted.platform && stamp.arch === wanted.arch;
  } catch {
    return false;
  }
}

/**
 * The addon the desktop app's database should load: the one `npm start` named, else the Electron build next to the app
 * (running `electron .` by hand after an `npm start`), else none (a packaged app, rebuilt for Electron in place).
 */
export function nativeBindingFor(input: { env: NodeJS.ProcessEnv; isPackaged: boolean; appPath: string; exists: (path: string) => boolean }): string | undefined {
  if (input.isPackaged) return undefined;
  if (input.env[NATIVE_BINDING_ENV]) return input.env[NATIVE_BINDING_ENV];
  const local = electronNativeBindingPath(input.appPath);
  return input.exists(local) ? local : undefined;
}

const readText = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/**
 * Builds better-sqlite3 for Electron into `.electron-native/` (a copy of the package, rebuilt with @electron/rebuild)
 * unless the last build is current. Only `npm start` and the Electron end-to-end test call it; never postinstall: it
 * needs Electron's headers, fetched from outside the registry. Returns the addon's path.
 */
export async function ensureElectronNative(packageRoot: string, electronVersion: string, log: (line: string) => void): Promise<string> {
  const source = join(packageRoot, 'node_modules', 'better-sqlite3');
  const dir = join(packageRoot, ELECTRON_NATIVE_DIR);
  const stampPath = join(dir, 'stamp.json');
  const wanted: NativeBuildStamp = {
    electronVersion,
    betterSqlite3Version: (JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string }).version,
    platform: process.platform,
    arch: process.arch,
  };
  const binding = electronNativeBindingPath(packageRoot);
  if (existsSync(binding) && isNativeBuildCurrent(readText(stampPath), wanted)) return binding;
  log(`hoist: building better-sqlite3 ${wanted.betterSqlite3Version} for Electron ${electronVersion} into ${ELECTRON_NATIVE_DIR}/ (once per version)…`);
  rmSync(dir, { recursive: true, force: true });
  const target = join(dir, 'node_modules', 'better-sqlite3');
  mkdirSync(target, { recursive: true });
  cpSync(source, target, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'hoist-electron-native', private: true, dependencies: { 'better-sqlite3': wanted.betterSqlite3Version } }));
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({ buildPath: dir, projectRootPath: dir, electronVersion, onlyModules: ['better-sqlite3'], force: true });
  if (!existsSync(binding)) throw new Error(`@electron/rebuild finished but ${binding} is not there`);
  writeFileSync(stampPath, JSON.stringify(wanted));
  return binding;
}

/**
 * Where a packaged app keeps better-sqlite3's addon (unpacked from the asar): electron-builder's `afterPack` hook puts
 * the `.electron-native/` build there, so packaging never rebuilds node_modules in place (`npmRebuild: false`).
 */
export function packedAddonPath(input: { platform: string; appOutDir: string; productFilename: string }): string {
  const resources = input.platform === 'darwin' || input.platform === 'mas' ? join(input.appOutDir, `${input.productFilename}.app`, 'Contents', 'Resources') : join(input.appOutDir, 'resources');
  return join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}
