#!/usr/bin/env node
/**
 * The `hoist` command as installed: runs the CLI bundle (hoist-main.cjs, next to this file once built) from a V8 code
 * cache. Node 20 has no module.enableCompileCache (22.1+), so every run compiled the 760 KB bundle again: `hoist status`
 * took 0.20-0.27 s (median 0.24) with that and 0.15-0.23 s (median 0.19) from the cache, measured side by side;
 * `node -e 0` alone takes 0.09-0.14 s here.
 *
 * The cache is an optimisation only: a missing, unreadable or rejected one (another Node version, other V8 flags) means
 * compiling from source, and the run then leaves a fresh cache behind when the folder is writable (written to a temp
 * file and renamed into place, so parallel runs never read a half-written one). CommonJS on purpose: the loader itself
 * must not pay for the ES module loader it saves.
 */
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { constants, Script } from 'node:vm';

type BundleMain = (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;

const BUNDLE = 'hoist-main.cjs';
const CACHE_SUFFIX = '.v8-cache';
const bundlePath = join(__dirname, BUNDLE);
// V8 matches a cache to its source by little more than the source's length, so the name carries the bundle's size and
// mtime: a rebuilt or hand-edited bundle never runs with the code of the one before it.
const bundleStat = statSync(bundlePath);
const cachePath = join(__dirname, `${BUNDLE}.${bundleStat.size}-${Math.trunc(bundleStat.mtimeMs)}${CACHE_SUFFIX}`);

function readCache(): Buffer | undefined {
  try {
    return readFileSync(cachePath);
  } catch {
    return undefined;
  }
}

function saveCache(script: Script): void {
  const tmp = `${cachePath}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cachePath);
    for (const name of readdirSync(__dirname)) {
      if (name.startsWith(`${BUNDLE}.`) && name.endsWith(CACHE_SUFFIX) && join(__dirname, name) !== cachePath) unlinkSync(join(__dirname, name));
    }
  } catch {
    // Read-only install or full disk: the next run compiles from source, as this one did.
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}

// The bundle keeps its `#!` line; a function body cannot start with one (blanked, so line numbers stay right).
const source = readFileSync(bundlePath, 'utf8').replace(/^#!.*/, '');
const cachedData = readCache();
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundlePath,
  cachedData,
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (cachedData === undefined || script.cachedDataRejected === true) {
  // Written at exit: by then the functions this run used are compiled too, and the cache holds them.
  process.once('exit', () => saveCache(script));
}
const bundleModule = { exports: {}, filename: bundlePath, id: bundlePath };
(script.runInThisContext() as BundleMain)(bundleModule.exports, createRequire(bundlePath), bundleModule, bundlePath, __dirname);
