import { sql } from 'kysely';
import { UNCOUNTED_ORDER_STATUSES } from '../domain/segments/orders-leaf.js';
import type { Executor, Tx } from './db.js';

/**
 * RFM scores: recency, frequency and monetary quintiles per profile over the last 365 days of orders,
 * computed in SQL with `ntile(5)` and stored in `rfm_scores` for segments (`{rfm: …}`), templates
 * (`{{ rfm.r }}`) and scenario conditions (`rfmOf`).
 *
 * Orders count as in `{orders}` conditions (not canceled, not fully refunded); monetary is what they came
 * to net of refunds. Recency ranks the last order's time (5 = most recent), frequency the number of orders,
 * monetary the money. Ties are split by profile id so that a refresh over the same data gives the same
 * scores; a profile without a counted order in the window has no score.
 */
export const RFM_WINDOW_DAYS = 365;

export interface RfmScore {
  profile_id: string;
  r: number;
  f: number;
  m: number;
  last_order_at: Date;
  orders: number;
  /** Money spent in the window, minor units. */
  monetary: number;
  /** When the scores were computed. */
  refreshed_at: Date;
}

/** A profile's stored RFM scores, or null when it has none. */
export async function rfmOf(ex: Executor, profileId: string): Promise<RfmScore | null> {
  const r = await sql<RfmScore>`
    SELECT s.profile_id, s.r, s.f, s.m, s.last_order_at, s.orders, s.monetary, rr.refreshed_at
    FROM rfm_scores s CROSS JOIN rfm_refresh rr WHERE s.profile_id = ${profileId}::uuid`.execute(ex);
  const row = r.rows[0];
  return row
    ? { ...row, r: Number(row.r), f: Number(row.f), m: Number(row.m), orders: Number(row.orders), monetary: Number(row.monetary), last_order_at: new Date(row.last_order_at), refreshed_at: new Date(row.refreshed_at) }
    : null;
}

export interface RfmRefreshState {
  refreshed_at: Date | null;
  next_at: Date;
  scored: number;
}

export async function rfmRefreshState(ex: Executor): Promise<RfmRefreshState> {
  const r = await ex.selectFrom('rfm_refresh').select(['refreshed_at', 'next_at', 'scored']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { refreshed_at: r.refreshed_at ? new Date(r.refreshed_at) : null, next_at: new Date(r.next_at), scored: Number(r.scored) };
}

/**
 * Takes the refresh row lock for this transaction. A scheduled refresh skips when another worker holds
 * it or when it is not due yet; an on-demand one waits for the lock and runs.
 */
export async function claimRfmRefresh(tx: Tx, now: Date, onDemand: boolean): Promise<boolean> {
  const r = onDemand
    ? await sql<{ id: number }>`SELECT id FROM rfm_refresh WHERE id = 1 FOR UPDATE`.execute(tx)
    : await sql<{ id: number }>`SELECT id FROM rfm_refresh WHERE id = 1 AND next_at <= ${now} FOR UPDATE SKIP LOCKED`.execute(tx);
  return r.rows.length === 1;
}

export async function finishRfmRefresh(tx: Tx, now: Date, scored: number, nextAt: Date): Promise<void> {
  await tx.updateTable('rfm_refresh').set({ refreshed_at: now, next_at: nextAt, scored }).where('id', '=', 1).execute();
}

/**
 * Recomputes every profile's scores at `now` in one statement: profiles whose scores or figures changed
 * are rewritten, those without a counted order in the window lose their score. Returns how many profiles
 * are scored, how many rows changed and how many were removed.
 */
export async function computeRfm(tx: Tx, now: Date): Promise<{ scored: number; changed: number; removed: number }> {
  const since = new Date(now.getTime() - RFM_WINDOW_DAYS * 86_400_000);
  const r = await sql<{ scored: number; changed: number; removed: number }>`
    WITH agg AS (
      SELECT o.profile_id, max(o.created_at) AS last_at, count(*)::int AS n, sum(o.total - o.refunded_total)::bigint AS spent
      FROM market_orders o
      WHERE o.created_at > ${since} AND o.created_at <= ${now} AND o.status <> ALL(${[...UNCOUNTED_ORDER_STATUSES]}::text[])
      GROUP BY o.profile_id
    ), scored AS (
      SELECT profile_id, last_at, n, spent,
        ntile(5) OVER (ORDER BY last_at, profile_id) AS r,
        ntile(5) OVER (ORDER BY n, profile_id) AS f,
        ntile(5) OVER (ORDER BY spent, profile_id) AS m
      FROM agg
    ), written AS (
      INSERT INTO rfm_scores AS s (profile_id, r, f, m, last_order_at, orders, monetary)
      SELECT profile_id, r, f, m, last_at, n, spent FROM scored
      ON CONFLICT (profile_id) DO UPDATE SET r = EXCLUDED.r, f = EXCLUDED.f, m = EXCLUDED.m,
        last_order_at = EXCLUDED.last_order_at, orders = EXCLUDED.orders, monetary = EXCLUDED.monetary
      WHERE (s.r, s.f, s.m, s.last_order_at, s.orders, s.monetary)
        IS DISTINCT FROM (EXCLUDED.r, EXCLUDED.f, EXCLUDED.m, EXCLUDED.last_order_at, EXCLUDED.orders, EXCLUDED.monetary)
      RETURNING 1
    ), removed AS (
      DELETE FROM rfm_scores s WHERE NOT EXISTS (SELECT 1 FROM agg WHERE agg.profile_id = s.profile_id) RETURNING 1
    )
    SELECT (SELECT count(*) FROM agg)::int AS scored, (SELECT count(*) FROM written)::int AS changed, (SELECT count(*) FROM removed)::int AS removed`.execute(tx);
  const row = r.rows[0];
  return { scored: Number(row.scored), changed: Number(row.changed), removed: Number(row.removed) };
}
