import pino, { type Logger } from 'pino';
import type { Api } from './api/server.js';
import { buildServer } from './api/server.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { systemClock, type Clock } from './domain/clock.js';
import { Bus } from './engine/bus.js';
import { hookDeliveryTask } from './engine/tasks/hook-delivery.js';
import { idempotencyExpiryTask } from './engine/tasks/idempotency-expiry.js';
import { loyaltyTasks } from './engine/tasks/loyalty.js';
import { messageDeliveryTask } from './engine/tasks/message-delivery.js';
import { segmentMembership } from './engine/segments.js';
import { promoExpiryTask } from './engine/tasks/promo-expiry.js';
import { registerPromoContext } from './engine/promo-context.js';
import { registerLoyaltyContext } from './engine/loyalty-context.js';
import { registerMarketCatalogue } from './engine/catalogue-context.js';
import { registerRfmContext } from './engine/rfm-context.js';
import { rfmRefreshTask } from './engine/tasks/rfm.js';
import { WorkLoop } from './engine/work-loop.js';
import { campaignDeliveryTask } from './engine/campaigns/delivery.js';
import { campaignScheduleTask } from './engine/campaigns/scheduler.js';
import { messaging } from './engine/messaging.js';
import { scenarioEngine } from './engine/scenarios/engine.js';
import { openDatabase, type Database } from './store/db.js';
import { migrate } from './store/migrate.js';
import { ensureBootstrapToken } from './store/tokens.js';

export interface AppOptions {
  config: Config;
  clock?: Clock;
  /** An already open database (tests share one per suite); otherwise one is opened from the config. */
  database?: Database;
  log?: Logger;
}

export interface App {
  ctx: AppContext;
  server: Api | null;
  /** The first admin token's value when this start created a random one (to print once). */
  createdToken: string | null;
  listen(): Promise<string>;
  stop(): Promise<void>;
}

/** Builds one Retenta process: migrations, the API (role api/all) and the work loop (role worker/all). */
export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? pino({ level: config.logLevel });
  const database =
    opts.database ??
    (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir, poolSize: config.poolSize }));
  await migrate(database.db, clock.now());
  const bus = new Bus((err) => log.error({ err }, 'bus subscriber failed'));
  const work = new WorkLoop(database, clock, log);
  const ctx: AppContext = { config, database, db: database.db, clock, bus, log, work };

  work.add(idempotencyExpiryTask(ctx.db));
  for (const t of loyaltyTasks(ctx)) work.add(t);
  work.add(messageDeliveryTask(ctx));
  work.add(hookDeliveryTask(ctx));
  await messaging(ctx).key();
  await segmentMembership(ctx).start();
  work.add(segmentMembership(ctx).refreshTask());
  work.add(rfmRefreshTask(ctx));
  work.add(promoExpiryTask(ctx.db));
  work.add(campaignScheduleTask(ctx));
  work.add(campaignDeliveryTask(ctx));
  await scenarioEngine(ctx).start();
  registerPromoContext();
  registerLoyaltyContext();
  registerMarketCatalogue();
  registerRfmContext();

  let server: Api | null = null;
  let createdToken: string | null = null;
  if (config.role !== 'worker') {
    server = await buildServer(ctx);
    const created = await ensureBootstrapToken(ctx.db, clock.now(), config.bootstrapToken);
    if (created && !config.bootstrapToken) createdToken = created;
  }
  if (config.role !== 'api') await work.start();

  let stopped = false;
  return {
    ctx,
    server,
    createdToken,
    async listen() {
      if (!server) throw new Error('this process runs no API (RETENTA_ROLE=worker)');
      return server.listen({ host: config.host, port: config.port });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (server) await server.close();
      await work.stop();
      await scenarioEngine(ctx).stop();
      await messaging(ctx).close();
      segmentMembership(ctx).stop();
      await segmentMembership(ctx).idle();
      if (!opts.database) await database.close();
    },
  };
}
