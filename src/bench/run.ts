import type { Bench, BenchDb } from './harness.js';
import { httpNoopBench } from './http-noop.js';
import { eventsBench } from './events.js';
import { ledgerBench } from './ledger.js';
import { productImportBench } from './product-import.js';
import { sendBench } from './send.js';
import { profileImportBench } from './profile-import.js';
import { segmentsBench } from './segments.js';
import { promoGenerateBench } from './promo-generate.js';
import { preorderBench } from './preorder.js';
import { commitBench } from './commit.js';
import { broadcastBench } from './broadcast.js';
import { scenarioBench } from './scenario.js';

/** Every benchmark `npm run bench -- NAME [--db pglite|postgres]` can run. Each module adds its line. */
const benches: Record<string, Bench> = {
  'http-noop': httpNoopBench,
  events: eventsBench,
  ledger: ledgerBench,
  'product-import': productImportBench,
  send: sendBench,
  'profile-import': profileImportBench,
  segments: segmentsBench,
  'promo-generate': promoGenerateBench,
  preorder: preorderBench,
  commit: commitBench,
  broadcast: broadcastBench,
  scenario: scenarioBench,
};

export async function runBench(name: string | undefined, db: string, scale = 1): Promise<void> {
  if (!name || !benches[name]) {
    process.stderr.write(`Usage: npm run bench -- NAME [--db pglite|postgres]\nBenches: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  if (db !== 'pglite' && db !== 'postgres') {
    process.stderr.write('--db must be pglite or postgres\n');
    process.exit(2);
  }
  if (!(scale > 0)) {
    process.stderr.write('--scale must be a positive number\n');
    process.exit(2);
  }
  await benches[name]({
    db: db as BenchDb,
    scale,
    report(metric, value, unit) {
      process.stdout.write(`${JSON.stringify({ bench: name, metric, value: Math.round(value * 100) / 100, unit, db })}\n`);
    },
  });
}
