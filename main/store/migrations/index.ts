import { sql as m001 } from './001-initial.js';
import { sql as m002 } from './002-watch.js';
import { sql as m003 } from './003-window.js';
import { sql as m004 } from './004-lease-holder-start.js';
import { sql as m005 } from './005-adaptive-fragments.js';

/** Ordered schema migrations; migration N brings `PRAGMA user_version` from N-1 to N. Never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [m001, m002, m003, m004, m005];
