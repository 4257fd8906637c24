import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronNativeBindingPath, packedAddonPath } from './native-binding.js';

/** The part of electron-builder's AfterPackContext the hook reads. */
interface AfterPackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { appInfo: { productFilename: string } };
}

// electron-builder's Arch enum: ia32 0, x64 1, armv7l 2, arm64 3, universal 4.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/**
 * electron-builder `afterPack` hook: puts better-sqlite3 built for Electron (`.electron-native/`, made by prepare-dist)
 * into the packaged app, replacing the Node build copied from node_modules. Only for the machine's own platform and
 * architecture: native modules cannot be cross-compiled.
 */
export async function afterPack(context: AfterPackContext): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const arch = ARCH_NAMES[context.arch] ?? String(context.arch);
  const platform = context.electronPlatformName === 'mas' ? 'darwin' : context.electronPlatformName;
  if (platform !== process.platform || arch !== process.arch) {
    throw new Error(`Hoist packages only for this machine (${process.platform} ${process.arch}), not ${context.electronPlatformName} ${arch}: better-sqlite3 must be built for the target.`);
  }
  const source = electronNativeBindingPath(root);
  if (!existsSync(source)) throw new Error(`${source} is missing: run npm run dist (its prepare step builds it).`);
  const target = packedAddonPath({ platform: context.electronPlatformName, appOutDir: context.appOutDir, productFilename: context.packager.appInfo.productFilename });
  if (!existsSync(dirname(target))) throw new Error(`better-sqlite3 was not unpacked from the asar (expected ${dirname(target)}); check asarUnpack in electron-builder.yml.`);
  copyFileSync(source, target);
}
