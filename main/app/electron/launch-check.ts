import { join } from 'node:path';

/** Where the Electron binary is, or why there is none. */
export type ElectronBinary = { kind: 'found'; path: string } | { kind: 'missing'; path: string; reason: string };

/** The file system reads the check makes (injected: tests simulate a machine with or without the download). */
export interface BinaryProbe {
  exists(path: string): boolean;
  /** Undefined when the file is not there. */
  readText(path: string): string | undefined;
}

/** The executable inside Electron's `dist` folder, per platform (what its install script writes to path.txt). */
export function electronPlatformPath(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  return platform === 'win32' ? 'electron.exe' : 'electron';
}

/**
 * Finds the Electron binary WITHOUT `require('electron')`: that module downloads the binary from GitHub when it is
 * missing, which hangs or fails where only the package registry is reachable. `HOIST_ELECTRON_BINARY` names a binary
 * outright (a system Electron, or a test simulating a missing one); `ELECTRON_OVERRIDE_DIST_PATH` is Electron's own
 * override; otherwise node_modules/electron/dist, as its install script left it.
 */
export function findElectronBinary(electronPackageDir: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform, probe: BinaryProbe): ElectronBinary {
  const check = (path: string, reason: string): ElectronBinary => (probe.exists(path) ? { kind: 'found', path } : { kind: 'missing', path, reason });
  if (env.HOIST_ELECTRON_BINARY) return check(env.HOIST_ELECTRON_BINARY, `HOIST_ELECTRON_BINARY names ${env.HOIST_ELECTRON_BINARY}, which does not exist`);
  const recorded = probe.readText(join(electronPackageDir, 'path.txt'))?.trim();
  const executable = recorded || electronPlatformPath(platform);
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const path = join(env.ELECTRON_OVERRIDE_DIST_PATH, executable);
    return check(path, `ELECTRON_OVERRIDE_DIST_PATH points at ${env.ELECTRON_OVERRIDE_DIST_PATH}, which holds no ${executable}`);
  }
  const path = join(electronPackageDir, 'dist', executable);
  if (!probe.exists(join(electronPackageDir, 'package.json'))) return { kind: 'missing', path, reason: 'the electron package is not installed (run npm install)' };
  return check(path, recorded ? `${path} is gone` : "Electron's download never ran or failed; it fetches the binary from GitHub, outside the npm registry");
}

/** What `npm start` prints when there is no Electron binary: why, and how to get the same window without one. */
export function missingBinaryMessage(binary: Extract<ElectronBinary, { kind: 'missing' }>): string {
  return [
    `hoist: cannot start the desktop app: the Electron binary is missing (${binary.reason}).`,
    `  Expected at: ${binary.path}`,
    '',
    '  The same window runs in your browser without Electron:',
    '    npx hoist serve --open',
    '',
    '  To get the desktop app, where github.com is reachable run: node node_modules/electron/install.js',
    '  (or set HOIST_ELECTRON_BINARY to an Electron 45 binary), then npm start again.',
    '',
  ].join('\n');
}
