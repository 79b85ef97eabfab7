import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Clock } from './domain/clock.js';
import type { Bus } from './engine/bus.js';
import type { WorkLoop } from './engine/work-loop.js';
import type { Database, Db } from './store/db.js';

/** What every route and engine needs, built once per process by createApp. */
export interface AppContext {
  config: Config;
  database: Database;
  db: Db;
  clock: Clock;
  bus: Bus;
  log: Logger;
  /** The due-work loop; present in every process so the API can wake workers, started only where the role runs work. */
  work: WorkLoop;
}
