import { sql, type RawBuilder } from 'kysely';
import { resolveComparison } from '../domain/conditions/compare.js';
import { countHolds, type CountBound } from '../domain/conditions/count.js';
import { parseFieldLeaf } from '../domain/conditions/field.js';
import type { ConditionNode, LeafNode } from '../domain/conditions/tree.js';
import type { FactsNeeded } from '../domain/segments/facts-needed.js';
import { loyaltyCondition } from '../domain/segments/loyalty-leaf.js';
import { ordersCondition, ordersHold, UNCOUNTED_ORDER_STATUSES } from '../domain/segments/orders-leaf.js';
import { RFM_DIMENSIONS, rfmCondition } from '../domain/segments/rfm-leaf.js';
import type { LoyaltyFact } from '../domain/segments/loyalty-leaf.js';
import type { OrderFact } from '../domain/segments/orders-leaf.js';
import type { RfmFact } from '../domain/segments/rfm-leaf.js';
import {
  eventCondition,
  profileFieldSources,
  segmentLanguage,
  segmentReference,
  subscriptionCondition,
  windowStart,
  type ProfileFacts,
  type SegmentRef,
} from '../domain/segments/leaves.js';
import type { Executor, Tx } from './db.js';
import { compileComparison, jsonPath, SqlCompiler, type JsonExpr, type SqlBool } from './conditions.js';
import { newId } from './ids.js';
import type { Profile } from './profiles.js';

/**
 * Segments in SQL: a condition tree becomes ONE parameterised query over `profiles p` (count, page of
 * profiles, or the truth of several segments for a few profiles at once). Each leaf kind has its compiler
 * here: profile fields, events, subscriptions, orders (`market_orders`), loyalty (`loyalty_members`), RFM
 * scores (`rfm_scores`) and segment references.
 */
export interface SegmentSqlEnv {
  now: Date;
  /** Restricts event subqueries to these profiles: the narrow query for event-driven re-evaluation. */
  scope: string[] | null;
  /** Referenced segments (transitively), for `{segment: id}`. */
  segments: ReadonlyMap<string, SegmentRef>;
}

const P = sql.ref('p');
const col = (name: string) => sql.ref(`p.${name}`);

function fieldValue(source: string, path: string[]): { value: JsonExpr; containment?: { column: RawBuilder<unknown>; path: string[] } } {
  switch (source) {
    case 'fields':
      return { value: jsonPath(col('fields'), path), containment: { column: col('fields'), path } };
    case 'created_at':
    case 'updated_at':
      return { value: sql`to_jsonb(to_char(${col(source)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))` };
    case 'email':
    case 'phone':
    case 'external_id':
      return { value: sql`to_jsonb(${col(source)})` };
  }
  throw new Error(`no SQL for field source ${source}`);
}

/** `count op n` as SQL; with `n` rows counted per profile. */
const HAVING_OPS = { eq: sql.raw('='), gt: sql.raw('>'), gte: sql.raw('>='), lt: sql.raw('<'), lte: sql.raw('<=') } as const;

/**
 * Profiles whose rows, grouped per profile, satisfy `having`. When a profile without rows satisfies it too
 * (`count eq 0`, `total_spent lt 50`), it is written as NOT IN the profiles that break it, because profiles
 * without rows never appear in the subquery; the subquery is a hash semi/anti-join over one index range.
 * `rows` selects the profile id first.
 */
export function aggregateCondition(rows: RawBuilder<unknown>, having: SqlBool, zeroHolds: boolean): SqlBool {
  if (!zeroHolds) return sql<boolean>`(${P}.id IN (${rows} GROUP BY 1 HAVING ${having}))`;
  return sql<boolean>`(${P}.id NOT IN (${rows} GROUP BY 1 HAVING NOT (${having})))`;
}

/** Profiles whose number of matching rows satisfies the bound (see `aggregateCondition`). */
export function countCondition(rows: (select: RawBuilder<unknown>) => RawBuilder<unknown>, bound: CountBound): SqlBool {
  const zeroHolds = countHolds(bound, 0);
  const trivial = !zeroHolds && ((bound.op === 'gte' && bound.value <= 1) || (bound.op === 'gt' && bound.value === 0));
  if (trivial) return sql<boolean>`(${P}.id IN (${rows(sql``)}))`;
  return aggregateCondition(rows(sql``), sql<boolean>`count(*) ${HAVING_OPS[bound.op]} ${bound.value}`, zeroHolds);
}

/** Order windows longer than this aggregate enough orders that, next to a narrowing condition, per-profile evaluation wins. */
const LONG_ORDER_WINDOW_MS = 60 * 86_400_000;

const and = (parts: SqlBool[]) => sql.join(parts, sql` AND `);
const within = (column: RawBuilder<unknown>, scope: string[] | null) => (scope ? [sql<boolean>`${column} = ANY(${scope}::uuid[])`] : []);

export const segmentSql: SqlCompiler<SegmentSqlEnv> = new SqlCompiler<SegmentSqlEnv>([
  {
    key: 'field',
    compile(leaf, env) {
      const f = parseFieldLeaf(leaf, profileFieldSources);
      if (Array.isArray(f)) throw new Error('invalid field condition');
      const { value, containment } = fieldValue(f.source, f.path);
      return compileComparison(resolveComparison(f.comparison, env.now), value, containment);
    },
  },
  {
    key: 'event',
    compile(leaf, env) {
      const c = eventCondition(leaf);
      const e = sql.ref('e');
      const filters: SqlBool[] = [sql<boolean>`${e}.name = ${c.name}`];
      if (c.within) filters.push(sql<boolean>`${e}.occurred_at >= ${windowStart(c.within, env.now)}`);
      for (const w of c.where) filters.push(compileComparison(resolveComparison(w.comparison, env.now), jsonPath(sql.ref('e.properties'), w.path)));
      filters.push(...within(sql.ref('e.profile_id'), env.scope));
      return countCondition(() => sql`SELECT ${e}.profile_id FROM events ${e} WHERE ${and(filters)}`, c.count);
    },
    // recent activity ("2 purchases in 30 days") is the typical narrow part of a segment
    narrows: (leaf) => {
      const c = eventCondition(leaf);
      return c.within !== null && !countHolds(c.count, 0);
    },
  },
  {
    key: 'orders',
    compile(leaf, env, placement) {
      const c = ordersCondition(leaf);
      const filters: SqlBool[] = [sql<boolean>`o.status <> ALL(${[...UNCOUNTED_ORDER_STATUSES]}::text[])`];
      if (c.within) filters.push(sql<boolean>`o.created_at >= ${windowStart(c.within, env.now)}`);
      filters.push(...within(sql.ref('o.profile_id'), env.scope));
      const having: SqlBool[] = [];
      if (c.totalSpent) having.push(sql<boolean>`coalesce(sum(o.total - o.refunded_total), 0) ${HAVING_OPS[c.totalSpent.op]} ${c.totalSpent.value}`);
      if (c.count) having.push(sql<boolean>`count(*) ${HAVING_OPS[c.count.op]} ${c.count.value}`);
      // Next to a narrowing condition, an aggregate over many orders (all time, or a long window) is cheaper
      // per remaining profile, on its own orders; the aggregate without GROUP BY is one group even without
      // rows, so bounds that zero satisfies hold for profiles without orders.
      const longWindow = !c.within || env.now.getTime() - windowStart(c.within, env.now).getTime() > LONG_ORDER_WINDOW_MS;
      if (placement.narrowed && longWindow)
        return sql<boolean>`EXISTS (SELECT 1 FROM market_orders o WHERE o.profile_id = ${P}.id AND ${and(filters)} HAVING ${and(having)})`;
      const rows = () => sql`SELECT o.profile_id FROM market_orders o WHERE ${and(filters)}`;
      if (!c.totalSpent) return countCondition(rows, c.count!);
      return aggregateCondition(rows(), sql<boolean>`(${and(having)})`, ordersHold(c, 0, 0));
    },
  },
  {
    key: 'loyalty',
    compile(leaf, env) {
      const c = loyaltyCondition(leaf);
      const filters: SqlBool[] = [sql<boolean>`lm.program_id = ${c.programId}::uuid`, ...within(sql.ref('lm.profile_id'), env.scope)];
      if (!c.member) return sql<boolean>`(${P}.id NOT IN (SELECT lm.profile_id FROM loyalty_members lm WHERE ${and(filters)}))`;
      if (c.balance) filters.push(sql<boolean>`lm.balance ${HAVING_OPS[c.balance.op]} ${c.balance.value}`);
      if (c.tiers) filters.push(sql<boolean>`lm.tier = ANY(${c.tiers}::text[])`);
      return sql<boolean>`(${P}.id IN (SELECT lm.profile_id FROM loyalty_members lm WHERE ${and(filters)}))`;
    },
  },
  {
    key: 'rfm',
    compile(leaf, env) {
      const c = rfmCondition(leaf);
      const filters: SqlBool[] = within(sql.ref('s.profile_id'), env.scope);
      for (const d of RFM_DIMENSIONS) if (c[d]) filters.push(sql<boolean>`${sql.ref(`s.${d}`)} = ANY(${c[d]}::int[])`);
      return sql<boolean>`(${P}.id IN (SELECT s.profile_id FROM rfm_scores s WHERE ${and(filters)}))`;
    },
  },
  {
    key: 'subscription',
    compile(leaf) {
      const c = subscriptionCondition(leaf);
      return sql<boolean>`(${sql.join(
        c.statuses.map((s) => sql`${col('subscriptions')} @> ${JSON.stringify({ [c.channel]: s })}::jsonb`),
        sql` OR `,
      )})`;
    },
  },
  {
    key: 'segment',
    compile(leaf, env, placement) {
      const id = segmentReference(leaf);
      const seg = env.segments.get(id);
      if (!seg) return sql<boolean>`false`;
      if (seg.type === 'dynamic' && seg.conditions) return segmentSql.compile(seg.conditions, env, placement);
      const filters = [sql<boolean>`m.segment_id = ${id}`, ...within(sql.ref('m.profile_id'), env.scope)];
      return sql<boolean>`(${P}.id IN (SELECT m.profile_id FROM segment_members m WHERE ${and(filters)}))`;
    },
    narrows(leaf, env) {
      const seg = env.segments.get(segmentReference(leaf));
      return !seg || seg.type === 'static' || !seg.conditions || segmentSql.narrows(seg.conditions, env);
    },
  },
]);

// ---------------------------------------------------------------------------------------------------
// Segment rows

export interface SegmentRow {
  id: string;
  name: string;
  description: string | null;
  type: 'dynamic' | 'static';
  conditions: ConditionNode | null;
  refs: string[];
  dependencies: string[];
  time_relative: boolean;
  refresh_at: Date | null;
  refreshed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface SegmentWrite {
  name: string;
  description: string | null;
  type: 'dynamic' | 'static';
  conditions: ConditionNode | null;
  refs: string[];
  dependencies: string[];
  time_relative: boolean;
  refresh_at: Date | null;
}

const SEGMENT_COLUMNS = ['id', 'name', 'description', 'type', 'conditions', 'refs', 'dependencies', 'time_relative', 'refresh_at', 'refreshed_at', 'created_at', 'updated_at'] as const;

export async function insertSegment(ex: Executor, w: SegmentWrite, now: Date): Promise<SegmentRow> {
  return (await ex
    .insertInto('segments')
    .values({ id: newId(), ...w, conditions: w.conditions ? JSON.stringify(w.conditions) : null, created_at: now, updated_at: now })
    .returning(SEGMENT_COLUMNS)
    .executeTakeFirstOrThrow()) as SegmentRow;
}

export async function updateSegment(ex: Executor, id: string, w: Partial<SegmentWrite>, now: Date): Promise<SegmentRow | undefined> {
  const set: Record<string, unknown> = { ...w, updated_at: now };
  if (w.conditions !== undefined) set.conditions = w.conditions ? JSON.stringify(w.conditions) : null;
  return (await ex.updateTable('segments').set(set).where('id', '=', id).returning(SEGMENT_COLUMNS).executeTakeFirst()) as SegmentRow | undefined;
}

export async function getSegment(ex: Executor, id: string, forUpdate = false): Promise<SegmentRow | undefined> {
  let q = ex.selectFrom('segments').select(SEGMENT_COLUMNS).where('id', '=', id);
  if (forUpdate) q = q.forUpdate();
  return (await q.executeTakeFirst()) as SegmentRow | undefined;
}

export async function listSegments(ex: Executor, limit: number, after?: string, type?: string): Promise<SegmentRow[]> {
  let q = ex.selectFrom('segments').select(SEGMENT_COLUMNS).orderBy('id').limit(limit);
  if (after) q = q.where('id', '>', after);
  if (type === 'dynamic' || type === 'static') q = q.where('type', '=', type);
  return (await q.execute()) as SegmentRow[];
}

export async function deleteSegment(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('segments').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Segments whose conditions name `id` directly. */
export async function segmentsReferencing(ex: Executor, id: string): Promise<{ id: string; name: string }[]> {
  return sql<{ id: string; name: string }>`SELECT id, name FROM segments WHERE ${id}::uuid = ANY(refs) ORDER BY id`.execute(ex).then((r) => r.rows);
}

/** Every segment's type, tree and direct references: the reference graph, for cycle checks and compiling. */
export async function segmentGraph(ex: Executor): Promise<Map<string, SegmentRef & { refs: string[]; dependencies: string[]; time_relative: boolean }>> {
  const rows = await ex.selectFrom('segments').select(['id', 'type', 'conditions', 'refs', 'dependencies', 'time_relative']).execute();
  return new Map(rows.map((r) => [r.id, { type: r.type, conditions: r.conditions as ConditionNode | null, refs: r.refs, dependencies: r.dependencies, time_relative: r.time_relative }]));
}

/** The segments a tree references, transitively, with their trees. */
export async function referencedSegments(ex: Executor, tree: ConditionNode | null): Promise<Map<string, SegmentRef>> {
  const out = new Map<string, SegmentRef>();
  if (!tree) return out;
  let frontier = [...segmentLanguage.dependencies(tree)].filter((d) => d.startsWith('segment:')).map((d) => d.slice(8));
  while (frontier.length) {
    const rows = await ex.selectFrom('segments').select(['id', 'type', 'conditions', 'refs']).where('id', 'in', frontier).execute();
    frontier = [];
    for (const r of rows) {
      if (out.has(r.id)) continue;
      out.set(r.id, { type: r.type, conditions: r.type === 'dynamic' ? (r.conditions as ConditionNode | null) : null });
      if (r.type === 'dynamic') frontier.push(...r.refs.filter((x) => !out.has(x)));
    }
  }
  return out;
}

/** The condition a segment's members satisfy, over `profiles p`. */
export function membershipCondition(seg: { id: string; type: 'dynamic' | 'static'; conditions: ConditionNode | null }, env: SegmentSqlEnv): SqlBool {
  if (seg.type === 'static') return segmentSql.compile({ segment: seg.id } as LeafNode, { ...env, segments: new Map([[seg.id, { type: 'static', conditions: null }]]) });
  return segmentSql.compile(seg.conditions!, env);
}

export async function countMatching(ex: Executor, cond: SqlBool): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM profiles p WHERE p.erased_at IS NULL AND ${cond}`.execute(ex);
  return r.rows[0].n;
}

const PROFILE_COLUMNS = sql`p.id, p.email, p.phone, p.external_id, p.fields, p.subscriptions, p.created_at, p.updated_at`;

export async function matchingProfiles(ex: Executor, cond: SqlBool, limit: number, after?: string): Promise<Profile[]> {
  const from = after ? sql` AND p.id > ${after}::uuid` : sql``;
  const r = await sql<Profile>`SELECT ${PROFILE_COLUMNS} FROM profiles p WHERE p.erased_at IS NULL AND ${cond}${from} ORDER BY p.id LIMIT ${limit}`.execute(ex);
  return r.rows;
}

export async function matchingIds(ex: Executor, cond: SqlBool): Promise<string[]> {
  const r = await sql<{ id: string }>`SELECT p.id FROM profiles p WHERE p.erased_at IS NULL AND ${cond} ORDER BY p.id`.execute(ex);
  return r.rows.map((x) => x.id);
}

/**
 * The truth of several conditions for a few profiles, in one query: `result.get(profileId)[i]` is
 * condition i. Erased or unknown profiles come back with every condition false.
 */
export async function evaluateForProfiles(ex: Executor, conds: SqlBool[], profileIds: string[]): Promise<Map<string, boolean[]>> {
  const out = new Map<string, boolean[]>(profileIds.map((id) => [id, conds.map(() => false)]));
  if (!conds.length || !profileIds.length) return out;
  const cols = sql.join(conds.map((c, i) => sql`${c} AS ${sql.ref(`c${i}`)}`));
  const r = await sql<Record<string, unknown>>`SELECT p.id, ${cols} FROM profiles p WHERE p.id = ANY(${profileIds}::uuid[]) AND p.erased_at IS NULL`.execute(ex);
  for (const row of r.rows) out.set(row.id as string, conds.map((_, i) => row[`c${i}`] === true));
  return out;
}

/**
 * For a few profiles: the truth of each segment's condition and the segments among `segmentIds` each is
 * stored as a member of, in one query. Erased or unknown profiles match nothing.
 */
export async function evaluateWithMembership(
  ex: Executor,
  conds: SqlBool[],
  segmentIds: string[],
  profileIds: string[],
): Promise<Map<string, { truth: boolean[]; stored: Set<string> }>> {
  const out = new Map<string, { truth: boolean[]; stored: Set<string> }>();
  if (!profileIds.length) return out;
  const cols = conds.length ? sql`, ${sql.join(conds.map((c, i) => sql`(p.id IS NOT NULL AND ${c}) AS ${sql.ref(`c${i}`)}`))}` : sql``;
  const r = await sql<Record<string, unknown>>`
    SELECT x.id::text AS id,
      ARRAY(SELECT m.segment_id::text FROM segment_members m WHERE m.profile_id = x.id AND m.segment_id = ANY(${segmentIds}::uuid[])) AS stored
      ${cols}
    FROM unnest(${profileIds}::uuid[]) AS x(id) LEFT JOIN profiles p ON p.id = x.id AND p.erased_at IS NULL`.execute(ex);
  for (const row of r.rows)
    out.set(row.id as string, { truth: conds.map((_, i) => row[`c${i}`] === true), stored: new Set(row.stored as string[]) });
  return out;
}

/** Orders, memberships and scores as the one-query loads return them (JSON built in SQL). */
type OrderJson = { s: string; t: number; r: number; at: number };
type LoyaltyJson = { p: string; b: number; t: string | null };
const orderFacts = (rows: OrderJson[] | null): OrderFact[] =>
  (rows ?? []).map((o) => ({ status: o.s, total: Number(o.t), refunded_total: Number(o.r), created_at: new Date(Number(o.at)) }));
const loyaltyFacts = (rows: LoyaltyJson[] | null): LoyaltyFact[] => (rows ?? []).map((m) => ({ program_id: m.p, balance: Number(m.b), tier: m.t }));
const rfmFact = (v: RfmFact | null): RfmFact | null => (v ? { r: Number(v.r), f: Number(v.f), m: Number(v.m) } : null);

const ordersJson = (profileId: RawBuilder<unknown>, since: Date | null) => sql`(
  SELECT jsonb_agg(jsonb_build_object('s', o.status, 't', o.total, 'r', o.refunded_total, 'at', floor(extract(epoch FROM o.created_at) * 1000)))
  FROM market_orders o WHERE o.profile_id = ${profileId}${since ? sql` AND o.created_at >= ${since}` : sql``})`;
const loyaltyJson = (profileId: RawBuilder<unknown>) => sql`(
  SELECT jsonb_agg(jsonb_build_object('p', lm.program_id, 'b', lm.balance, 't', lm.tier)) FROM loyalty_members lm WHERE lm.profile_id = ${profileId})`;
const rfmJson = (profileId: RawBuilder<unknown>) => sql`(SELECT jsonb_build_object('r', s.r, 'f', s.f, 'm', s.m) FROM rfm_scores s WHERE s.profile_id = ${profileId})`;

/**
 * What the in-memory evaluator needs about a few profiles, in one query: the profile, its events of the
 * names the segments ask about (since the oldest window), its orders, loyalty memberships and RFM scores
 * when the segments read them, and every segment it is stored as a member of. `facts` is null for an
 * erased or unknown profile.
 */
export async function loadEvaluationState(
  ex: Executor,
  profileIds: string[],
  needs: FactsNeeded,
  isStatic: (segmentId: string) => boolean,
): Promise<Map<string, { facts: ProfileFacts | null; memberships: Set<string> }>> {
  const x = sql.ref('x.id');
  const from = needs.eventsSince ? sql` AND e.occurred_at >= ${needs.eventsSince}` : sql``;
  const r = await sql<
    ProfileFacts['profile'] & {
      x: string;
      events: { n: string; p: Record<string, unknown>; t: number }[] | null;
      orders: OrderJson[] | null;
      loyalty: LoyaltyJson[] | null;
      rfm: RfmFact | null;
      memberships: string[];
    }
  >`
    SELECT x.id::text AS x, p.id, p.email, p.phone, p.external_id, p.fields, p.subscriptions, p.created_at, p.updated_at,
      (SELECT jsonb_agg(jsonb_build_object('n', e.name, 'p', e.properties, 't', floor(extract(epoch FROM e.occurred_at) * 1000)))
         FROM events e WHERE e.profile_id = x.id AND e.name = ANY(${needs.eventNames}::text[])${from}) AS events,
      ${needs.orders ? ordersJson(x, needs.ordersSince) : sql`NULL::jsonb`} AS orders,
      ${needs.loyalty ? loyaltyJson(x) : sql`NULL::jsonb`} AS loyalty,
      ${needs.rfm ? rfmJson(x) : sql`NULL::jsonb`} AS rfm,
      ARRAY(SELECT m.segment_id::text FROM segment_members m WHERE m.profile_id = x.id) AS memberships
    FROM unnest(${profileIds}::uuid[]) AS x(id) LEFT JOIN profiles p ON p.id = x.id AND p.erased_at IS NULL`.execute(ex);
  const out = new Map<string, { facts: ProfileFacts | null; memberships: Set<string> }>();
  for (const row of r.rows) {
    const memberships = new Set(row.memberships);
    const facts: ProfileFacts | null = row.id
      ? {
          profile: {
            id: row.id,
            email: row.email,
            phone: row.phone,
            external_id: row.external_id,
            fields: row.fields,
            subscriptions: row.subscriptions,
            created_at: new Date(row.created_at),
            updated_at: new Date(row.updated_at),
          },
          events: (row.events ?? []).map((e) => ({ name: e.n, properties: e.p, occurred_at: new Date(Number(e.t)) })),
          staticSegments: new Set([...memberships].filter(isStatic)),
          orders: orderFacts(row.orders),
          loyalty: loyaltyFacts(row.loyalty),
          rfm: rfmFact(row.rfm),
        }
      : null;
    out.set(row.x, { facts, memberships });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Membership

export interface MemberChange {
  segment_id: string;
  profile_id: string;
}

/** Adds members; returns the pairs that were not members before. */
export async function addMembers(ex: Executor, pairs: MemberChange[], now: Date): Promise<MemberChange[]> {
  if (!pairs.length) return [];
  const r = await sql<MemberChange>`
    INSERT INTO segment_members (segment_id, profile_id, since)
    SELECT s, p, ${now} FROM unnest(${pairs.map((x) => x.segment_id)}::uuid[], ${pairs.map((x) => x.profile_id)}::uuid[]) AS t(s, p)
    ON CONFLICT DO NOTHING
    RETURNING segment_id, profile_id`.execute(ex);
  return r.rows;
}

/** Removes members; returns the pairs that were members. */
export async function removeMembers(ex: Executor, pairs: MemberChange[]): Promise<MemberChange[]> {
  if (!pairs.length) return [];
  const r = await sql<MemberChange>`
    DELETE FROM segment_members m
    USING unnest(${pairs.map((x) => x.segment_id)}::uuid[], ${pairs.map((x) => x.profile_id)}::uuid[]) AS t(s, p)
    WHERE m.segment_id = t.s AND m.profile_id = t.p
    RETURNING m.segment_id, m.profile_id`.execute(ex);
  return r.rows;
}

/** Which of these segments each of these profiles is stored as a member of. */
export async function storedMemberships(ex: Executor, segmentIds: string[], profileIds: string[]): Promise<Set<string>> {
  if (!segmentIds.length || !profileIds.length) return new Set();
  const r = await sql<MemberChange>`
    SELECT segment_id, profile_id FROM segment_members
    WHERE segment_id = ANY(${segmentIds}::uuid[]) AND profile_id = ANY(${profileIds}::uuid[])`.execute(ex);
  return new Set(r.rows.map((x) => `${x.segment_id}|${x.profile_id}`));
}

/**
 * Brings a segment's stored members in line with its condition; returns who entered and who left. The
 * matching ids are read by a plain SELECT (which, unlike INSERT … SELECT, may run as a parallel query), then
 * the difference is written set-based.
 */
export async function syncMembers(ex: Executor, segmentId: string, cond: SqlBool, now: Date): Promise<{ entered: string[]; exited: string[] }> {
  const current = await matchingIds(ex, cond);
  const entered = await sql<{ profile_id: string }>`
    INSERT INTO segment_members (segment_id, profile_id, since)
    SELECT ${segmentId}, p, ${now} FROM unnest(${current}::uuid[]) AS t(p)
    ON CONFLICT DO NOTHING
    RETURNING profile_id`.execute(ex);
  const exited = await sql<{ profile_id: string }>`
    DELETE FROM segment_members m
    WHERE m.segment_id = ${segmentId} AND NOT EXISTS (SELECT 1 FROM unnest(${current}::uuid[]) AS c(id) WHERE c.id = m.profile_id)
    RETURNING m.profile_id`.execute(ex);
  return { entered: entered.rows.map((r) => r.profile_id), exited: exited.rows.map((r) => r.profile_id) };
}

export async function countMembers(ex: Executor, segmentId: string): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM segment_members m JOIN profiles p ON p.id = m.profile_id
    WHERE m.segment_id = ${segmentId} AND p.erased_at IS NULL`.execute(ex);
  return r.rows[0].n;
}

/** Time-relative segments whose refresh is due, locked for this worker. */
export async function claimDueRefreshes(ex: Executor, now: Date, limit: number): Promise<SegmentRow[]> {
  return (await ex
    .selectFrom('segments')
    .select(SEGMENT_COLUMNS)
    .where('refresh_at', '<=', now)
    .where('type', '=', 'dynamic')
    .orderBy('refresh_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()) as SegmentRow[];
}

// ---------------------------------------------------------------------------------------------------
// Facts for the in-memory evaluator (scenario conditions, differential tests)

/** Everything the in-memory evaluator needs about some profiles (all when `ids` is null). */
export async function loadFacts(ex: Executor, ids: string[] | null, eventNames?: string[]): Promise<Map<string, ProfileFacts>> {
  const scope = ids ? sql` AND p.id = ANY(${ids}::uuid[])` : sql``;
  const profiles = await sql<ProfileFacts['profile']>`SELECT ${PROFILE_COLUMNS} FROM profiles p WHERE p.erased_at IS NULL${scope}`.execute(ex);
  const out = new Map<string, ProfileFacts>();
  for (const p of profiles.rows) out.set(p.id, { profile: { ...p, created_at: new Date(p.created_at), updated_at: new Date(p.updated_at) }, events: [], staticSegments: new Set() });
  const evScope = ids ? sql` AND e.profile_id = ANY(${ids}::uuid[])` : sql``;
  const names = eventNames ? sql` AND e.name = ANY(${eventNames}::text[])` : sql``;
  const events = await sql<{ profile_id: string; name: string; properties: Record<string, unknown>; occurred_at: Date }>`
    SELECT e.profile_id, e.name, e.properties, e.occurred_at FROM events e WHERE true${evScope}${names}`.execute(ex);
  for (const e of events.rows) out.get(e.profile_id)?.events.push({ name: e.name, properties: e.properties, occurred_at: new Date(e.occurred_at) });
  const mScope = ids ? sql` AND m.profile_id = ANY(${ids}::uuid[])` : sql``;
  const members = await sql<MemberChange>`
    SELECT m.segment_id, m.profile_id FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE s.type = 'static'${mScope}`.execute(ex);
  for (const m of members.rows) (out.get(m.profile_id)?.staticSegments as Set<string> | undefined)?.add(m.segment_id);
  const pScope = ids ? sql` WHERE p.id = ANY(${ids}::uuid[])` : sql``;
  const pid = sql.ref('p.id');
  const commerce = await sql<{ id: string; orders: OrderJson[] | null; loyalty: LoyaltyJson[] | null; rfm: RfmFact | null }>`
    SELECT p.id, ${ordersJson(pid, null)} AS orders, ${loyaltyJson(pid)} AS loyalty, ${rfmJson(pid)} AS rfm FROM profiles p${pScope}`.execute(ex);
  for (const c of commerce.rows) {
    const f = out.get(c.id);
    if (f) Object.assign(f, { orders: orderFacts(c.orders), loyalty: loyaltyFacts(c.loyalty), rfm: rfmFact(c.rfm) });
  }
  return out;
}

/** Every stored membership of these profiles. */
export async function membershipsOf(ex: Executor, profileIds: string[]): Promise<MemberChange[]> {
  if (!profileIds.length) return [];
  const r = await sql<MemberChange>`SELECT segment_id, profile_id FROM segment_members WHERE profile_id = ANY(${profileIds}::uuid[])`.execute(ex);
  return r.rows;
}

/**
 * Which of these profiles are new: created at exactly `at` (by the ingestion that stored events received
 * then), or, with `at` null, never updated since they were created.
 */
export async function profilesCreatedAt(ex: Executor, ids: string[], at: Date | null): Promise<string[]> {
  if (!ids.length) return [];
  const when = at ? sql`created_at = ${at}` : sql`created_at = updated_at`;
  const r = await sql<{ id: string }>`SELECT id FROM profiles WHERE id = ANY(${ids}::uuid[]) AND ${when}`.execute(ex);
  return r.rows.map((x) => x.id);
}

/** Looks profile references up without creating profiles: id, email (normalised), phone or external_id. */
export async function lookupProfileIds(ex: Executor, kind: 'id' | 'email' | 'phone' | 'external_id', values: string[]): Promise<Map<string, string>> {
  if (!values.length) return new Map();
  const column = { id: 'id', email: 'email_norm', phone: 'phone', external_id: 'external_id' }[kind];
  const cast = kind === 'id' ? sql.raw('uuid') : sql.raw('text');
  const r = await sql<{ id: string; v: string }>`
    SELECT id, ${sql.ref(column)}::text AS v FROM profiles WHERE ${sql.ref(column)} = ANY(${values}::${cast}[]) AND erased_at IS NULL`.execute(ex);
  return new Map(r.rows.map((x) => [x.v, x.id]));
}

/** Locks the profiles (in id order) so that writers of their memberships, in any process, take turns. */
export async function lockProfilesForMembership(tx: Tx, sortedIds: string[]): Promise<void> {
  await sql`SELECT id FROM profiles WHERE id = ANY(${sortedIds}::uuid[]) ORDER BY id FOR NO KEY UPDATE`.execute(tx);
}

/** Records a time-relative segment's refresh and when the next one is due. */
export async function markRefreshed(ex: Executor, id: string, now: Date, next: Date): Promise<void> {
  await sql`UPDATE segments SET refresh_at = ${next}, refreshed_at = ${now} WHERE id = ${id}`.execute(ex);
}

/** Sets whether a segment depends on the time (and so when it is refreshed next, or never). */
export async function setTimeRelative(ex: Executor, id: string, timeRelative: boolean, refreshAt: Date | null): Promise<void> {
  await sql`UPDATE segments SET time_relative = ${timeRelative}, refresh_at = ${refreshAt} WHERE id = ${id}`.execute(ex);
}
