/**
 * `npm run dist`, before electron-builder: draws the installer icon (dist/build-resources/icon.png, 512 px; electron-builder
 * makes the .icns and .ico from it) and builds better-sqlite3 for Electron into `.electron-native/` for the afterPack
 * hook. Node only: no Electron runtime needed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureElectronNative } from './native-binding.js';
import { encodePng } from './png.js';
import { drawStateIcon } from './tray-icon.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const resources = join(root, 'dist', 'build-resources');
mkdirSync(resources, { recursive: true });
writeFileSync(join(resources, 'icon.png'), encodePng(drawStateIcon('uploading', 512)));
const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
try {
  await ensureElectronNative(root, electronVersion, (line) => process.stderr.write(`${line}\n`));
} catch (error) {
  process.stderr.write(`hoist: npm run dist: could not build better-sqlite3 for Electron ${electronVersion}: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
