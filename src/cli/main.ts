#!/usr/bin/env node
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../app.js';
import { ConfigError, loadConfig, type Role } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { openDatabase } from '../store/db.js';
import { migrate } from '../store/migrate.js';

const USAGE = `retenta — marketing automation and loyalty platform

Usage:
  retenta start            API, worker and admin UI in one process (RETENTA_ROLE decides, default all)
  retenta api              only the HTTP API
  retenta worker           only the worker (scenario steps, timers, deliveries)
  retenta migrate          apply database migrations and exit
  retenta import products FILE [--mode upsert|add|update] [--format yml|csv]   import a YML feed or CSV
  retenta bench NAME [--db pglite|postgres] [--scale N]   run a benchmark (see README)
  retenta promo generate POOL COUNT   generate COUNT codes in a pool (id or template name), with a progress bar

Configuration is read from the environment; see the README.`;

async function serve(role?: Role) {
  const config = loadConfig(process.env, role ? { role } : {});
  const log = pino({ level: config.logLevel });
  const app = await createApp({ config, log });
  let url: string | null = null;
  if (app.server) url = await app.listen();
  const where = config.databaseUrl ? 'PostgreSQL server' : `embedded PostgreSQL in ${config.dataDir}`;
  if (url) process.stdout.write(`Retenta is running at ${url} (role ${config.role}, ${where})\n`);
  else process.stdout.write(`Retenta worker is running (${where})\n`);
  if (app.createdToken)
    process.stdout.write(`\nCreated the first admin API token. It is shown this once; keep it:\n\n  ${app.createdToken}\n\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    app.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return serve();
    case 'api':
      return serve('api');
    case 'worker':
      return serve('worker');
    case 'migrate': {
      const config = loadConfig();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
      const applied = await migrate(database.db, systemClock.now());
      await database.close();
      process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Nothing to apply; the database is current.\n');
      return;
    }
    case 'import': {
      if (rest[0] !== 'products') {
        process.stderr.write('Usage: retenta import products FILE\n');
        process.exit(2);
      }
      const { importProductsCommand } = await import('./import-products.js');
      return importProductsCommand(rest.slice(1));
    }
    case 'bench': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { db: { type: 'string', default: 'pglite' }, scale: { type: 'string', default: '1' } } });
      const { runBench } = await import('../bench/run.js');
      return runBench(positionals[0], values.db as string, Number(values.scale));
    }
    case 'promo': {
      const { promoCommand } = await import('./promo.js');
      process.exitCode = await promoCommand(rest);
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError) process.stderr.write(`Configuration error:\n${err.message}\n`);
  else process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
