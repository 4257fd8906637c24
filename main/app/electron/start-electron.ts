/**
 * `npm start`: checks for the Electron binary FIRST (where it is missing, exits at once with a message naming
 * `npx hoist serve`), then builds, builds better-sqlite3 for Electron into `.electron-native/`, and launches the app.
 * Bundled by esbuild on each `npm start` (milliseconds), so the check runs before the slow build.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary, missingBinaryMessage } from './launch-check.js';
import { NATIVE_BINDING_ENV, ensureElectronNative } from './native-binding.js';

/** Exit code when the Electron binary is missing (nothing was built or launched). */
export const EXIT_NO_ELECTRON = 3;

function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'main', 'app', 'electron'))) return dir;
    if (dir === dirname(dir)) throw new Error('npm start: cannot find the Hoist package folder');
  }
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

async function main(): Promise<number> {
  const root = packageRoot();
  const electronDir = join(root, 'node_modules', 'electron');
  const binary = findElectronBinary(electronDir, process.env, process.platform, { exists: existsSync, readText });
  if (binary.kind === 'missing') {
    process.stderr.write(missingBinaryMessage(binary));
    return EXIT_NO_ELECTRON;
  }
  if (process.env.HOIST_START_SKIP_BUILD !== '1') {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const built = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    if (built.status !== 0) {
      process.stderr.write('hoist: npm start: the build failed (see above); nothing was launched.\n');
      return built.status ?? 1;
    }
  }
  const electronVersion = (JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')) as { version: string }).version;
  let binding: string;
  try {
    binding = await ensureElectronNative(root, electronVersion, (line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(
      `hoist: could not build better-sqlite3 for Electron ${electronVersion} (${(error as Error).message}).\n` +
        '  It needs a C++ toolchain and Electron\'s headers (downloaded from electronjs.org). `npx hoist serve --open` runs the same window meanwhile.\n',
    );
    return 1;
  }
  // npm runs scripts in the package folder; files named relative to where the user typed `npm start` resolve from there.
  const cwd = process.env.INIT_CWD ?? root;
  const child = spawn(binary.path, [root, ...process.argv.slice(2)], { cwd, stdio: 'inherit', env: { ...process.env, [NATIVE_BINDING_ENV]: binding } });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  return new Promise<number>((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`hoist: could not launch ${binary.path}: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`hoist: npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
