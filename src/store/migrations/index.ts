import core from './0001_core.js';
import marketLoyalty from './0003_market_loyalty.js';
import messaging from './0004_messaging.js';
import segments from './0005_segments.js';
import promo from './0002_promo.js';
import promotions from './0006_promotions.js';
import segmentsOrdersRfm from './0009_segments_orders_rfm.js';
import messagingTracking from './0011_messaging_tracking.js';
import campaigns from './0008_campaigns.js';
import promoPoolCounters from './0013_promo_pool_counters.js';

/**
 * Every migration, in order. Each is plain SQL that runs unchanged on PGlite and on a PostgreSQL server.
 * Never edit one that has shipped; add the next.
 */
export const migrations: { name: string; sql: string }[] = [
  { name: '0001_core', sql: core },
  { name: '0003_market_loyalty', sql: marketLoyalty },
  { name: '0004_messaging', sql: messaging },
  { name: '0005_segments', sql: segments },
  { name: '0002_promo', sql: promo },
  { name: '0006_promotions', sql: promotions },
  { name: '0009_segments_orders_rfm', sql: segmentsOrdersRfm },
  { name: '0011_messaging_tracking', sql: messagingTracking },
  { name: '0008_campaigns', sql: campaigns },
  { name: '0013_promo_pool_counters', sql: promoPoolCounters },
];
