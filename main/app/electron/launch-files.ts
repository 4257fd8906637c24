import { isAbsolute, resolve } from 'node:path';

/**
 * The files (and folders) named on a command line: a first launch, or a second one Electron hands to the running app
 * (`second-instance`). Switches (Chromium's, Playwright's, macOS's `-psn_…`) are skipped, and in development the first
 * plain argument, which is the app's folder (`electron .`). Relative paths are resolved against the launch's folder.
 */
export function filesFromArgv(argv: readonly string[], input: { cwd: string; isDefaultApp: boolean; exists: (path: string) => boolean }): { paths: string[]; missing: string[] } {
  const paths: string[] = [];
  const missing: string[] = [];
  let skipAppPath = input.isDefaultApp;
  let isAfterDashes = false;
  for (const arg of argv.slice(1)) {
    if (!isAfterDashes && arg === '--') {
      isAfterDashes = true;
      continue;
    }
    if (!isAfterDashes && arg.startsWith('-')) continue;
    if (skipAppPath) {
      skipAppPath = false;
      continue;
    }
    if (arg === '') continue;
    const path = isAbsolute(arg) ? arg : resolve(input.cwd, arg);
    if (input.exists(path)) {
      if (!paths.includes(path)) paths.push(path);
    } else missing.push(path);
  }
  return { paths, missing };
}
