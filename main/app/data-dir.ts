import { homedir } from 'node:os';
import { join } from 'node:path';

/** The OS's per-user application-data folder (the same place Electron's userData uses). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.HOIST_DATA_DIR) return env.HOIST_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Hoist');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Hoist');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'hoist');
}
