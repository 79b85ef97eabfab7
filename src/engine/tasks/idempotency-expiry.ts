import type { Db } from '../../store/db.js';
import { deleteExpiredIdempotencyKeys } from '../../store/idempotency.js';
import type { WorkTask } from '../work-loop.js';

/** Idempotency records live 24 hours; this task removes the expired ones in batches. */
export function idempotencyExpiryTask(db: Db): WorkTask {
  return {
    name: 'idempotency-expiry',
    batchSize: 1000,
    idleMs: 60_000,
    run: (limit, now) => deleteExpiredIdempotencyKeys(db, now, limit),
  };
}
