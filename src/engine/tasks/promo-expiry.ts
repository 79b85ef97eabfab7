import type { Db } from '../../store/db.js';
import { expireDueCodes } from '../../store/promo.js';
import type { WorkTask } from '../work-loop.js';

/** Issued promo codes past their TTL become `expired`, each with its entry on the profile timeline. */
export function promoExpiryTask(db: Db): WorkTask {
  return {
    name: 'promo-expiry',
    batchSize: 500,
    idleMs: 60_000,
    run: (limit, now) => db.transaction().execute((tx) => expireDueCodes(tx, now, limit)),
  };
}
