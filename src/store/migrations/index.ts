import core from './0001_core.js';
import promo from './0002_promo.js';

/**
 * Every migration, in order. Each is plain SQL that runs unchanged on PGlite and on a PostgreSQL server.
 * Never edit one that has shipped; add the next.
 */
export const migrations: { name: string; sql: string }[] = [
  { name: '0001_core', sql: core },
  { name: '0002_promo', sql: promo },
];
