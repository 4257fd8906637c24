import { openDatabase, type Db, type OpenDatabaseOptions } from './open-database.js';
import { MIGRATIONS } from './migrations/index.js';
import { DestinationsRepo } from './destinations-repo.js';
import { JobsRepo } from './jobs-repo.js';
import { JobViewRows } from './job-view-rows.js';
import { SessionsRepo } from './sessions-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { SyncIndexRepo } from './sync-index-repo.js';
import { WatchesRepo } from './watches-repo.js';

/** The durable cache of what the servers hold: one database file, small repositories over it. */
export class Store {
  readonly destinations: DestinationsRepo;
  readonly jobs: JobsRepo;
  readonly jobViews: JobViewRows;
  readonly sessions: SessionsRepo;
  readonly settings: SettingsRepo;
  readonly watches: WatchesRepo;
  readonly syncIndex: SyncIndexRepo;

  constructor(readonly db: Db) {
    this.destinations = new DestinationsRepo(db);
    this.jobs = new JobsRepo(db);
    this.jobViews = new JobViewRows(db);
    this.sessions = new SessionsRepo(db);
    this.settings = new SettingsRepo(db);
    this.watches = new WatchesRepo(db);
    this.syncIndex = new SyncIndexRepo(db);
  }

  static open(path: string, options: OpenDatabaseOptions = {}): Store {
    return new Store(openDatabase(path, MIGRATIONS, options));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
