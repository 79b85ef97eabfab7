/**
 * Loyalty persistence: programs, members, transactions and the points ledger.
 *
 * Every change to a member's points runs inside the caller's transaction under the member row lock
 * (`SELECT … FOR UPDATE`), and follows the pure rules of domain/loyalty. The entry points a checkout
 * calls inside its own transaction: `lockMember`, `accrue`, `redeem`, `reverse`, `reverseOrderPoints`,
 * `commitTransaction`, `rollbackTransaction`, `cancelTransaction`. Each returns the events it produced:
 * append them in the same transaction with `appendLedgerEvents` (so an event exists exactly when its
 * ledger change does) and publish the stored ones on the bus after commit (`publishLedgerEvents`).
 */
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { addDuration, durationMs } from '../domain/duration.js';
import {
  planConsumption,
  planCreditReversal,
  planExpiration,
  planRestore,
  type EntryKind,
  type Lot,
  type Take,
} from '../domain/loyalty/ledger.js';
import { tierFor, type ProgramSettings, type Tier } from '../domain/loyalty/program.js';
import { transition, type TransactionStatus } from '../domain/loyalty/transactions.js';
import type { Rounding } from '../domain/money.js';
import { isUuid } from '../domain/profiles/ref.js';
import { normalizeEmail, normalizePhone } from '../domain/profiles/contact.js';
import { ingestEvents } from '../engine/ingest.js';
import { appendEvents, type StoredEvent } from './events.js';
import type { Executor, Tx } from './db.js';
import { newId } from './ids.js';
import type { TimelineEntry } from './timeline.js';
import './market-loyalty-tables.js';

export interface Program extends ProgramSettings {
  id: string;
  created_at: Date;
  updated_at: Date;
}

export interface Member {
  id: string;
  program_id: string;
  profile_id: string;
  tier: string | null;
  balance: number;
  pending: number;
  joined_at: Date;
}

export interface Transaction {
  id: string;
  program_id: string;
  member_id: string;
  kind: 'accrue' | 'redeem';
  status: TransactionStatus;
  points: number;
  reversed: number;
  reason: string;
  external_id: string | null;
  request_hash: string | null;
  hold_until: Date | null;
  release_at: Date | null;
  expires_at: Date | null;
  promotion_id: string | null;
  order_id: string | null;
  entry_id: string | null;
  created_at: Date;
}

export interface Entry {
  id: string;
  program_id: string;
  member_id: string;
  profile_id: string;
  kind: EntryKind;
  points: number;
  balance_after: number;
  takes: Take[];
  reverses_id: string | null;
  reversed: number;
  transaction_id: string | null;
  order_id: string | null;
  promotion_id: string | null;
  reason: string;
  created_at: Date;
  expires_at: Date | null;
}

/** An event a ledger change produced, to append after the transaction commits. */
export interface LedgerEvent {
  profile_id: string;
  name: 'points_accrued' | 'points_redeemed' | 'points_expiring' | 'tier_changed';
  properties: Record<string, unknown>;
  event_id?: string;
}

export class LedgerRefusal extends Error {
  constructor(
    readonly slug: 'insufficient-points' | 'transaction-not-held' | 'transaction-not-done' | 'external-id-reused' | 'not-reversible' | 'member-not-found',
    message: string,
  ) {
    super(message);
  }
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/* ───────────── programs ───────────── */

function toProgram(r: Record<string, unknown>): Program {
  return {
    id: r.id as string,
    name: r.name as string,
    currency: r.currency as string,
    welcome_points: Number(r.welcome_points),
    point_value: Number(r.point_value),
    points_rounding: r.points_rounding as Rounding,
    points_ttl: (r.points_ttl as string | null) ?? null,
    accrual_hold: (r.accrual_hold as string | null) ?? null,
    redeem_max_share: Number(r.redeem_max_share),
    tiers: r.tiers as Tier[],
    tier_window: r.tier_window as string,
    expiry_notice: r.expiry_notice as string,
    timezone: (r.timezone as string | undefined) ?? 'UTC',
    created_at: r.created_at as Date,
    updated_at: r.updated_at as Date,
  };
}

/** The program's settings as its table's columns: one mapping for create and update. */
function programColumns(s: ProgramSettings) {
  return {
    name: s.name,
    currency: s.currency,
    welcome_points: s.welcome_points,
    point_value: s.point_value,
    points_rounding: s.points_rounding,
    points_ttl: s.points_ttl,
    accrual_hold: s.accrual_hold,
    redeem_max_share: String(s.redeem_max_share),
    tiers: JSON.stringify(s.tiers),
    tier_window: s.tier_window,
    expiry_notice: s.expiry_notice,
    timezone: s.timezone,
  };
}

export async function createProgram(ex: Executor, s: ProgramSettings, now: Date): Promise<Program> {
  const row = await ex
    .insertInto('loyalty_programs')
    .values({ id: newId(), ...programColumns(s), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toProgram(row as unknown as Record<string, unknown>);
}

export async function updateProgram(ex: Executor, id: string, s: ProgramSettings, now: Date): Promise<Program | undefined> {
  const row = await ex
    .updateTable('loyalty_programs')
    .set({ ...programColumns(s), updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (row) await ex.updateTable('loyalty_members').set({ tier_due_at: now }).where('program_id', '=', id).execute();
  return row ? toProgram(row as unknown as Record<string, unknown>) : undefined;
}

export async function getProgram(ex: Executor, id: string): Promise<Program | undefined> {
  const row = await ex.selectFrom('loyalty_programs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toProgram(row as unknown as Record<string, unknown>) : undefined;
}

export async function listPrograms(ex: Executor, limit: number, after?: string): Promise<Program[]> {
  let q = ex.selectFrom('loyalty_programs').selectAll().orderBy('id').limit(limit);
  if (after) q = q.where('id', '>', after);
  return (await q.execute()).map((r) => toProgram(r as unknown as Record<string, unknown>));
}

/* ───────────── members ───────────── */

const MEMBER_COLUMNS = ['id', 'program_id', 'profile_id', 'tier', 'balance', 'pending', 'joined_at'] as const;

/** A page of the program's members in join order (member ids are time-ordered), each with its balance. */
export async function listMembers(ex: Executor, programId: string, limit: number, after?: string): Promise<Member[]> {
  let q = ex.selectFrom('loyalty_members').select(MEMBER_COLUMNS).where('program_id', '=', programId).orderBy('id').limit(limit);
  if (after) q = q.where('id', '>', after);
  return (await q.execute()) as Member[];
}

/** Locks the member row for the rest of the transaction: every change to its points happens under this lock. */
export async function lockMember(tx: Tx, memberId: string): Promise<Member | undefined> {
  return (await tx.selectFrom('loyalty_members').select(MEMBER_COLUMNS).where('id', '=', memberId).forUpdate().executeTakeFirst()) as
    | Member
    | undefined;
}

export async function getMember(ex: Executor, memberId: string): Promise<Member | undefined> {
  return (await ex.selectFrom('loyalty_members').select(MEMBER_COLUMNS).where('id', '=', memberId).executeTakeFirst()) as Member | undefined;
}

export async function memberOfProfile(ex: Executor, programId: string, profileId: string): Promise<Member | undefined> {
  return (await ex
    .selectFrom('loyalty_members')
    .select(MEMBER_COLUMNS)
    .where('program_id', '=', programId)
    .where('profile_id', '=', profileId)
    .executeTakeFirst()) as Member | undefined;
}

/** A member by member id, profile id, email or phone. */
/** Every program membership of a profile, oldest first (templates' `{{ loyalty.* }}`). */
export async function membershipsOfProfile(ex: Executor, profileId: string) {
  return ex
    .selectFrom('loyalty_members')
    .select(['program_id', 'balance', 'pending', 'tier'])
    .where('profile_id', '=', profileId)
    .orderBy('joined_at')
    .execute();
}

/** The memberships of many profiles in one query, each profile's in joining order. */
export async function membershipsOfProfiles(ex: Executor, profileIds: string[]) {
  const out = new Map<string, Awaited<ReturnType<typeof membershipsOfProfile>>>();
  if (!profileIds.length) return out;
  const rows = await ex
    .selectFrom('loyalty_members')
    .select(['profile_id', 'program_id', 'balance', 'pending', 'tier'])
    .where('profile_id', 'in', profileIds)
    .orderBy('joined_at')
    .execute();
  for (const { profile_id, ...m } of rows) {
    const list = out.get(profile_id) ?? [];
    list.push(m);
    out.set(profile_id, list);
  }
  return out;
}

export async function findMember(ex: Executor, programId: string, ref: string): Promise<Member | undefined> {
  const q = ex.selectFrom('loyalty_members as m').select(MEMBER_COLUMNS.map((c) => `m.${c}` as const)).where('m.program_id', '=', programId);
  if (isUuid(ref)) {
    const id = ref.toLowerCase();
    return (await q.where((eb) => eb.or([eb('m.id', '=', id), eb('m.profile_id', '=', id)])).executeTakeFirst()) as Member | undefined;
  }
  const email = ref.includes('@') ? normalizeEmail(ref) : null;
  const phone = email ? null : normalizePhone(ref);
  if (!email && !phone) return undefined;
  return (await q
    .innerJoin('profiles as p', 'p.id', 'm.profile_id')
    .where('p.erased_at', 'is', null)
    .where(email ? 'p.email_norm' : 'p.phone', '=', (email ?? phone)!)
    .executeTakeFirst()) as Member | undefined;
}

/** Joins a profile to a program once; a new member gets the welcome points. */
export async function joinProgram(
  tx: Tx,
  program: Program,
  profileId: string,
  now: Date,
): Promise<{ member: Member; created: boolean; events: LedgerEvent[] }> {
  const inserted = await sql<{ id: string }>`
    INSERT INTO loyalty_members (id, program_id, profile_id, tier, balance, pending, joined_at, tier_due_at, updated_at)
    VALUES (${newId()}, ${program.id}, ${profileId}, NULL, 0, 0, ${now}, ${program.tiers.length ? now : null}, ${now})
    ON CONFLICT (program_id, profile_id) DO NOTHING
    RETURNING id`.execute(tx);
  const created = inserted.rows.length === 1;
  let events: LedgerEvent[] = [];
  if (created && program.welcome_points > 0) {
    const r = await accrue(tx, { program, memberId: inserted.rows[0].id, points: program.welcome_points, reason: 'welcome', now });
    events = r.events;
  }
  const member = (await memberOfProfile(tx, program.id, profileId))!;
  return { member, created, events };
}

export async function expiringPoints(ex: Executor, memberId: string, now: Date): Promise<{ points: number; expires_at: string }[]> {
  const rows = await sql<{ points: number; expires_at: Date }>`
    SELECT sum(remaining)::int AS points, expires_at FROM loyalty_lots
    WHERE member_id = ${memberId} AND remaining > 0 AND expires_at IS NOT NULL AND expires_at > ${now}
    GROUP BY expires_at ORDER BY expires_at LIMIT 100`.execute(ex);
  return rows.rows.map((r) => ({ points: Number(r.points), expires_at: iso(r.expires_at)! }));
}

/* ───────────── ledger internals ───────────── */

interface Writer {
  tx: Tx;
  program: Program;
  member: Member;
  now: Date;
  /** Lot remaining deltas to write in one statement at the end. */
  lotDeltas: Map<string, number>;
  entries: Entry[];
  /** New transactions, written with the entries. */
  transactions: Transaction[];
}

async function openLots(tx: Tx, memberId: string, include?: string): Promise<Lot[]> {
  const rows = await tx
    .selectFrom('loyalty_lots')
    .select(['id', 'remaining', 'expires_at', 'created_at'])
    .where('member_id', '=', memberId)
    .where((eb) => (include ? eb.or([eb('remaining', '>', 0), eb('id', '=', include)]) : eb('remaining', '>', 0)))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    remaining: r.remaining,
    expiresAt: r.expires_at === null ? null : new Date(r.expires_at).getTime(),
    createdAt: new Date(r.created_at).getTime(),
  }));
}

function applyLocal(lots: Lot[], takes: Take[]) {
  for (const t of takes) {
    const lot = lots.find((l) => l.id === t.lot);
    if (lot) lot.remaining += t.points;
  }
}

async function writeEntry(
  w: Writer,
  e: {
    kind: EntryKind;
    takes: Take[];
    id?: string;
    reverses_id?: string | null;
    transaction_id?: string | null;
    order_id?: string | null;
    promotion_id?: string | null;
    reason?: string;
    expires_at?: Date | null;
  },
): Promise<Entry> {
  const id = e.id ?? newId();
  const points = e.takes.reduce((s, t) => s + t.points, 0);
  w.member.balance += points;
  const entry: Entry = {
    id,
    program_id: w.program.id,
    member_id: w.member.id,
    profile_id: w.member.profile_id,
    kind: e.kind,
    points,
    balance_after: w.member.balance,
    takes: e.takes,
    reverses_id: e.reverses_id ?? null,
    reversed: 0,
    transaction_id: e.transaction_id ?? null,
    order_id: e.order_id ?? null,
    promotion_id: e.promotion_id ?? null,
    reason: e.reason ?? '',
    created_at: w.now,
    expires_at: e.expires_at ?? null,
  };
  for (const t of e.takes) if (t.lot !== id) w.lotDeltas.set(t.lot, (w.lotDeltas.get(t.lot) ?? 0) + t.points);
  w.entries.push(entry);
  return entry;
}

/**
 * Writes the collected entries, their new lots, lot changes, reversed amounts and the member's totals in
 * one statement (data-modifying CTEs): one round trip per ledger change, whatever it touched.
 */
async function flush(w: Writer): Promise<void> {
  const entries = w.entries.map((e) => ({ ...e, takes: e.takes, created_at: iso(e.created_at), expires_at: iso(e.expires_at) }));
  const notice = w.program.expiry_notice;
  const lots = w.entries
    .filter((e) => e.takes.length === 1 && e.takes[0].lot === e.id)
    .map((e) => ({
      id: e.id,
      program_id: e.program_id,
      member_id: e.member_id,
      remaining: e.points,
      expires_at: iso(e.expires_at),
      notify_at: e.expires_at ? iso(addDuration(e.expires_at, `-${notice}`)) : null,
      notified: false,
      created_at: iso(e.created_at),
    }));
  const deltas = [...w.lotDeltas].filter(([, d]) => d !== 0).map(([id, d]) => ({ id, d }));
  // A reversal's amount counts against the entry it reverses.
  const rev = new Map<string, number>();
  for (const e of w.entries) if (e.reverses_id) rev.set(e.reverses_id, (rev.get(e.reverses_id) ?? 0) + Math.abs(e.points));
  const reversed = [...rev].map(([id, n]) => ({ id, n }));
  const txs = w.transactions.map((t) => ({
    ...t,
    hold_until: iso(t.hold_until),
    release_at: iso(t.release_at),
    expires_at: iso(t.expires_at),
    created_at: iso(t.created_at),
  }));
  await sql`
    WITH new_entries AS (
      INSERT INTO loyalty_entries (id, program_id, member_id, profile_id, kind, points, balance_after, takes, reverses_id, reversed,
        transaction_id, order_id, promotion_id, reason, created_at, expires_at)
      SELECT id, program_id, member_id, profile_id, kind, points, balance_after, takes, reverses_id, 0,
        transaction_id, order_id, promotion_id, reason, created_at, expires_at
      FROM jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) AS r(id uuid, program_id uuid, member_id uuid, profile_id uuid, kind text,
        points int, balance_after int, takes jsonb, reverses_id uuid, transaction_id uuid, order_id text, promotion_id uuid, reason text,
        created_at timestamptz, expires_at timestamptz)
      RETURNING 1
    ), new_lots AS (
      INSERT INTO loyalty_lots (id, program_id, member_id, remaining, expires_at, notify_at, notified, created_at)
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(lots)}::jsonb) AS r(id uuid, program_id uuid, member_id uuid, remaining int,
        expires_at timestamptz, notify_at timestamptz, notified boolean, created_at timestamptz)
      RETURNING 1
    ), lot_changes AS (
      UPDATE loyalty_lots AS l SET remaining = l.remaining + v.d
      FROM jsonb_to_recordset(${JSON.stringify(deltas)}::jsonb) AS v(id uuid, d int) WHERE l.id = v.id
      RETURNING 1
    ), new_transactions AS (
      INSERT INTO loyalty_transactions (id, program_id, member_id, kind, status, points, reversed, reason, external_id, request_hash,
        hold_until, release_at, expires_at, promotion_id, order_id, entry_id, created_at, updated_at)
      SELECT id, program_id, member_id, kind, status, points, 0, reason, external_id, request_hash,
        hold_until, release_at, expires_at, promotion_id, order_id, entry_id, created_at, created_at
      FROM jsonb_to_recordset(${JSON.stringify(txs)}::jsonb) AS r(id uuid, program_id uuid, member_id uuid, kind text, status text,
        points int, reason text, external_id text, request_hash text, hold_until timestamptz, release_at timestamptz,
        expires_at timestamptz, promotion_id uuid, order_id text, entry_id uuid, created_at timestamptz)
      RETURNING 1
    ), reversals AS (
      UPDATE loyalty_entries AS e SET reversed = e.reversed + v.n
      FROM jsonb_to_recordset(${JSON.stringify(reversed)}::jsonb) AS v(id uuid, n int) WHERE e.id = v.id
      RETURNING 1
    )
    UPDATE loyalty_members SET balance = ${w.member.balance}, pending = ${w.member.pending}, updated_at = ${w.now}
    WHERE id = ${w.member.id}`.execute(w.tx);
  w.entries = [];
  w.transactions = [];
  w.lotDeltas.clear();
}

async function burnExpired(w: Writer, lots: Lot[]): Promise<void> {
  for (const t of planExpiration(lots, w.now.getTime())) {
    await writeEntry(w, { kind: 'expiration', takes: [t], reason: 'points expired' });
    applyLocal(lots, [t]);
  }
}

async function beginWrite(tx: Tx, program: Program, memberId: string, now: Date): Promise<Writer> {
  const member = await lockMember(tx, memberId);
  if (!member || member.program_id !== program.id) throw new LedgerRefusal('member-not-found', `No member ${memberId} in this program.`);
  return { tx, program, member, now, lotDeltas: new Map(), entries: [], transactions: [] };
}

async function transactionByExternalId(tx: Tx, programId: string, externalId: string): Promise<Transaction | undefined> {
  return (await tx
    .selectFrom('loyalty_transactions')
    .selectAll()
    .where('program_id', '=', programId)
    .where('external_id', '=', externalId)
    .executeTakeFirst()) as Transaction | undefined;
}

function queueTransaction(w: Writer, t: Omit<Transaction, 'created_at' | 'reversed'>): Transaction {
  const row: Transaction = { ...t, reversed: 0, created_at: w.now };
  w.transactions.push(row);
  return row;
}

function event(w: Writer, name: LedgerEvent['name'], points: number, t: { id: string; order_id: string | null; reason: string; promotion_id?: string | null }): LedgerEvent {
  return {
    profile_id: w.member.profile_id,
    name,
    properties: {
      program_id: w.program.id,
      member_id: w.member.id,
      transaction_id: t.id,
      points,
      balance: w.member.balance,
      reason: t.reason,
      ...(t.order_id ? { order_id: t.order_id } : {}),
      ...(t.promotion_id ? { promotion_id: t.promotion_id } : {}),
    },
  };
}

/* ───────────── accrue / redeem ───────────── */

export interface LedgerCall {
  program: Program;
  memberId: string;
  points: number;
  reason: string;
  now: Date;
  promotionId?: string | null;
  orderId?: string | null;
  externalId?: string | null;
  /** A hash of the request, so a reused `externalId` with another body is refused. */
  requestHash?: string | null;
  /** A held transaction: reserved until commit/rollback, rolled back when this passes. */
  holdUntil?: Date | null;
}

export interface AccrueCall extends LedgerCall {
  /** The lot's expiry; undefined → the program's `points_ttl`; null → never. */
  expiresAt?: Date | null;
  /**
   * An accrual in the program's `accrual_hold`: pending until then, released by the worker. Undefined on
   * an order's accrual (`orderId`) means now + the program's `accrual_hold`; null credits at once.
   */
  releaseAt?: Date | null;
}

export interface LedgerResult {
  transaction: Transaction;
  entries: Entry[];
  member: Member;
  events: LedgerEvent[];
  /** True when an `externalId` seen before answered with the first transaction. */
  replayed: boolean;
}

async function replayExternal(tx: Tx, call: LedgerCall, kind: 'accrue' | 'redeem'): Promise<LedgerResult | null> {
  if (!call.externalId) return null;
  const seen = await transactionByExternalId(tx, call.program.id, call.externalId);
  if (!seen) return null;
  if (seen.kind !== kind || seen.member_id !== call.memberId || (call.requestHash && seen.request_hash && seen.request_hash !== call.requestHash))
    throw new LedgerRefusal('external-id-reused', 'This external_id was used for another request.');
  return { transaction: seen, entries: [], member: (await getMember(tx, seen.member_id))!, events: [], replayed: true };
}

/** Credits points: at once as a new lot, or held/pending when `holdUntil`/`releaseAt` is given. */
export async function accrue(tx: Tx, call: AccrueCall): Promise<LedgerResult> {
  if (!Number.isInteger(call.points) || call.points <= 0) throw new RangeError('points must be a positive integer');
  const w = await beginWrite(tx, call.program, call.memberId, call.now);
  const replay = await replayExternal(tx, call, 'accrue');
  if (replay) return replay;
  const expiresAt =
    call.expiresAt !== undefined ? call.expiresAt : call.program.points_ttl ? addDuration(call.now, call.program.points_ttl) : null;
  const id = newId();
  const releaseAt =
    call.releaseAt !== undefined ? call.releaseAt : call.orderId && call.program.accrual_hold ? addDuration(call.now, call.program.accrual_hold) : null;
  const status: TransactionStatus = call.holdUntil ? 'held' : releaseAt ? 'pending' : 'done';
  let entry: Entry | null = null;
  if (status === 'done') {
    const entryId = newId();
    // A credit opens its own lot: the lot id is the entry id.
    entry = await writeEntry(w, {
      kind: 'accrual',
      id: entryId,
      takes: [{ lot: entryId, points: call.points }],
      transaction_id: id,
      order_id: call.orderId,
      promotion_id: call.promotionId,
      reason: call.reason,
      expires_at: expiresAt,
    });
  } else w.member.pending += call.points;
  const t = queueTransaction(
    w,
    {
      id,
      program_id: call.program.id,
      member_id: w.member.id,
      kind: 'accrue',
      status,
      points: call.points,
      reason: call.reason,
      external_id: call.externalId ?? null,
      request_hash: call.requestHash ?? null,
      hold_until: call.holdUntil ?? null,
      release_at: status === 'pending' ? releaseAt : null,
      expires_at: expiresAt,
      promotion_id: call.promotionId ?? null,
      order_id: call.orderId ?? null,
      entry_id: entry?.id ?? null,
    },
  );
  const entries = [...w.entries];
  await flush(w);
  return { transaction: t, entries, member: w.member, events: entry ? [event(w, 'points_accrued', call.points, t)] : [], replayed: false };
}

/** Debits points from the lots that expire first; refuses with `insufficient-points`. A held redemption reserves at once. */
export async function redeem(tx: Tx, call: LedgerCall): Promise<LedgerResult> {
  if (!Number.isInteger(call.points) || call.points <= 0) throw new RangeError('points must be a positive integer');
  const w = await beginWrite(tx, call.program, call.memberId, call.now);
  const replay = await replayExternal(tx, call, 'redeem');
  if (replay) return replay;
  const lots = await openLots(tx, w.member.id);
  await burnExpired(w, lots);
  const takes = planConsumption(lots, call.points, call.now.getTime());
  if (!takes) {
    await flush(w);
    throw new LedgerRefusal('insufficient-points', `The member has ${w.member.balance} points; ${call.points} were asked for.`);
  }
  const id = newId();
  const entry = await writeEntry(w, {
    kind: 'redemption',
    takes,
    transaction_id: id,
    order_id: call.orderId,
    promotion_id: call.promotionId,
    reason: call.reason,
  });
  const t = queueTransaction(
    w,
    {
      id,
      program_id: call.program.id,
      member_id: w.member.id,
      kind: 'redeem',
      status: call.holdUntil ? 'held' : 'done',
      points: call.points,
      reason: call.reason,
      external_id: call.externalId ?? null,
      request_hash: call.requestHash ?? null,
      hold_until: call.holdUntil ?? null,
      release_at: null,
      expires_at: null,
      promotion_id: call.promotionId ?? null,
      order_id: call.orderId ?? null,
      entry_id: entry.id,
    },
  );
  const entries = [...w.entries];
  await flush(w);
  return { transaction: t, entries, member: w.member, events: [event(w, 'points_redeemed', call.points, t)], replayed: false };
}

/* ───────────── reversals ───────────── */

async function getEntry(ex: Executor, id: string): Promise<Entry | undefined> {
  return (await ex.selectFrom('loyalty_entries').selectAll().where('id', '=', id).executeTakeFirst()) as Entry | undefined;
}

/** Reverses inside an open writer (member already locked). */
async function reverseLocked(w: Writer, entryId: string, amount: number | null, reason: string, orderId?: string | null): Promise<Entry | null> {
  const original = await getEntry(w.tx, entryId);
  if (!original || original.member_id !== w.member.id) throw new Error(`entry ${entryId} is not this member's`);
  if (original.kind === 'reversal' || original.kind === 'expiration') throw new LedgerRefusal('not-reversible', `A ${original.kind} cannot be reversed.`);
  const alreadyQueued = w.entries.filter((e) => e.reverses_id === entryId).reduce((s, e) => s + Math.abs(e.points), 0);
  const left = Math.abs(original.points) - original.reversed - alreadyQueued;
  const n = amount === null ? left : Math.min(amount, left);
  if (n <= 0) return null;
  let takes: Take[];
  if (original.points < 0) {
    const previous = await w.tx.selectFrom('loyalty_entries').select('takes').where('reverses_id', '=', entryId).execute();
    const queued = w.entries.filter((e) => e.reverses_id === entryId);
    takes = planRestore(original.takes, [...previous, ...queued].flatMap((p) => p.takes), n);
  } else {
    const lots = await openLots(w.tx, w.member.id, original.id);
    for (const [lot, d] of w.lotDeltas) {
      const l = lots.find((x) => x.id === lot);
      if (l) l.remaining += d;
    }
    await burnExpired(w, lots);
    takes = planCreditReversal(lots, original.id, n, w.now.getTime());
    if (!takes.length) return null;
  }
  return writeEntry(w, {
    kind: 'reversal',
    takes,
    reverses_id: entryId,
    transaction_id: original.transaction_id,
    order_id: orderId ?? original.order_id,
    promotion_id: original.promotion_id,
    reason,
  });
}

/**
 * Reverses `points` of an entry (all that is left of it when null): a redemption's points go back to the
 * lots they came from, in proportion; an accrual's come out of its own lot first. Null when nothing is left.
 */
export async function reverse(tx: Tx, program: Program, entryId: string, opts: { points?: number | null; reason: string; now: Date }): Promise<Entry | null> {
  const e = await getEntry(tx, entryId);
  if (!e) return null;
  const w = await beginWrite(tx, program, e.member_id, opts.now);
  const r = await reverseLocked(w, entryId, opts.points ?? null, opts.reason);
  await flush(w);
  return r;
}

/* ───────────── transactions ───────────── */

export async function getTransaction(ex: Executor, programId: string, id: string): Promise<Transaction | undefined> {
  return (await ex.selectFrom('loyalty_transactions').selectAll().where('program_id', '=', programId).where('id', '=', id).executeTakeFirst()) as
    | Transaction
    | undefined;
}

async function lockedTransaction(tx: Tx, program: Program, id: string, now: Date): Promise<{ w: Writer; t: Transaction } | null> {
  const first = await getTransaction(tx, program.id, id);
  if (!first) return null;
  const w = await beginWrite(tx, program, first.member_id, now);
  const t = (await getTransaction(tx, program.id, id))!; // re-read under the member lock
  return { w, t };
}

async function setStatus(tx: Tx, id: string, status: TransactionStatus, now: Date, extra: Partial<{ entry_id: string; reversed: number }> = {}) {
  await tx
    .updateTable('loyalty_transactions')
    .set({ status, updated_at: now, ...extra })
    .where('id', '=', id)
    .execute();
}

async function creditHeld(w: Writer, t: Transaction, points: number): Promise<Entry> {
  const id = newId();
  const entry = await writeEntry(w, {
    kind: 'accrual',
    id,
    takes: [{ lot: id, points }],
    transaction_id: t.id,
    order_id: t.order_id,
    promotion_id: t.promotion_id,
    reason: t.reason,
    expires_at: t.expires_at,
  });
  return entry;
}

export interface TransitionResult {
  transaction: Transaction;
  member: Member;
  events: LedgerEvent[];
}

/** Commits a held transaction: a held accrual becomes a lot; a held redemption stays taken. */
export async function commitTransaction(tx: Tx, program: Program, id: string, now: Date): Promise<TransitionResult | null> {
  const got = await lockedTransaction(tx, program, id, now);
  if (!got) return null;
  const { w, t } = got;
  const next = transition(t.status, 'commit');
  if (next !== 'done') throw new LedgerRefusal(next as 'transaction-not-held', `The transaction is ${t.status}, not held.`);
  const events: LedgerEvent[] = [];
  let entryId = t.entry_id;
  if (t.kind === 'accrue') {
    w.member.pending -= t.points;
    entryId = (await creditHeld(w, t, t.points)).id;
    events.push(event(w, 'points_accrued', t.points, t));
  }
  await flush(w);
  await setStatus(tx, t.id, 'done', now, entryId ? { entry_id: entryId } : {});
  return { transaction: { ...t, status: 'done', entry_id: entryId }, member: w.member, events };
}

/** Rolls a held transaction back: a held accrual is dropped, a held redemption's points go back to their lots. */
export async function rollbackTransaction(tx: Tx, program: Program, id: string, now: Date, reason = 'rolled back'): Promise<TransitionResult | null> {
  const got = await lockedTransaction(tx, program, id, now);
  if (!got) return null;
  const { w, t } = got;
  const next = transition(t.status, 'rollback');
  if (next !== 'rolled_back') throw new LedgerRefusal(next as 'transaction-not-held', `The transaction is ${t.status}, not held.`);
  if (t.kind === 'accrue') w.member.pending -= t.points;
  else await reverseLocked(w, t.entry_id!, null, reason);
  await flush(w);
  await setStatus(tx, t.id, 'rolled_back', now);
  return { transaction: { ...t, status: 'rolled_back' }, member: w.member, events: [] };
}

/** Cancels a done (or pending) transaction: everything left of it is reversed. */
export async function cancelTransaction(tx: Tx, program: Program, id: string, now: Date, reason = 'canceled'): Promise<TransitionResult | null> {
  const got = await lockedTransaction(tx, program, id, now);
  if (!got) return null;
  const { w, t } = got;
  const next = transition(t.status, 'cancel');
  if (next !== 'canceled') throw new LedgerRefusal(next as 'transaction-not-done', `The transaction is ${t.status}; only a done one can be canceled.`);
  if (t.status === 'pending') w.member.pending -= t.points - t.reversed;
  else if (t.entry_id) await reverseLocked(w, t.entry_id, null, reason);
  await flush(w);
  await setStatus(tx, t.id, 'canceled', now, t.status === 'pending' ? { reversed: t.points } : {});
  return { transaction: { ...t, status: 'canceled' }, member: w.member, events: [] };
}

/**
 * Reverses an order's points: `accrued` points of its accruals (pending ones shrink, credited ones are
 * taken back) and `redeemed` points of its redemptions (returned, in proportion, to the lots they came
 * from). 'all' reverses everything left. Runs under each member's lock; returns the reversal entries.
 */
export async function reverseOrderPoints(
  tx: Tx,
  orderId: string,
  amounts: { accrued: number | 'all'; redeemed: number | 'all' },
  reason: string,
  now: Date,
): Promise<Entry[]> {
  const txs = (await tx
    .selectFrom('loyalty_transactions')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('status', 'in', ['done', 'pending', 'held'])
    .orderBy('created_at')
    .orderBy('id')
    .execute()) as Transaction[];
  const out: Entry[] = [];
  const left = { accrue: amounts.accrued, redeem: amounts.redeemed };
  const byProgram = new Map<string, Program>();
  for (const first of txs) {
    const program = byProgram.get(first.program_id) ?? (await getProgram(tx, first.program_id))!;
    byProgram.set(program.id, program);
    const w = await beginWrite(tx, program, first.member_id, now);
    const t = (await getTransaction(tx, program.id, first.id))!;
    const budget = left[t.kind];
    if (budget !== 'all' && budget <= 0) continue;
    if (t.status === 'held') {
      // A held transaction of a canceled order is rolled back whole.
      if (budget !== 'all') continue;
      if (t.kind === 'accrue') w.member.pending -= t.points;
      else {
        const r = await reverseLocked(w, t.entry_id!, null, reason, orderId);
        if (r) out.push(r);
      }
      await flush(w);
      await setStatus(tx, t.id, 'rolled_back', now);
      continue;
    }
    if (t.status === 'pending') {
      const can = t.points - t.reversed;
      const n = budget === 'all' ? can : Math.min(budget, can);
      if (n <= 0) continue;
      w.member.pending -= n;
      await flush(w);
      await setStatus(tx, t.id, t.reversed + n === t.points ? 'canceled' : 'pending', now, { reversed: t.reversed + n });
      if (budget !== 'all') left[t.kind] = budget - n;
      continue;
    }
    if (!t.entry_id) continue;
    const r = await reverseLocked(w, t.entry_id, budget === 'all' ? null : budget, reason, orderId);
    await flush(w);
    if (r) {
      out.push(r);
      if (budget !== 'all') left[t.kind] = budget - Math.abs(r.points);
    }
    const e = await getEntry(tx, t.entry_id);
    if (e && e.reversed >= Math.abs(e.points)) await setStatus(tx, t.id, 'canceled', now);
  }
  return out;
}

/* ───────────── history, timeline, events ───────────── */

export async function history(ex: Executor, memberId: string, limit: number, before?: { at: string; id: string }): Promise<Entry[]> {
  let q = ex
    .selectFrom('loyalty_entries')
    .selectAll()
    .where('member_id', '=', memberId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) {
    const at = new Date(before.at);
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]));
  }
  return (await q.execute()) as Entry[];
}

export async function ledgerTimeline(ex: Executor, profileId: string, before: TimelineEntry | null, limit: number): Promise<TimelineEntry[]> {
  let q = ex
    .selectFrom('loyalty_entries')
    .select(['id', 'program_id', 'kind', 'points', 'balance_after', 'order_id', 'reason', 'created_at', 'expires_at'])
    .where('profile_id', '=', profileId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) {
    const at = new Date(before.at);
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]));
  }
  return (await q.execute()).map((r) => ({
    id: r.id,
    at: iso(r.created_at)!,
    kind: 'ledger',
    title: `${r.kind} ${r.points > 0 ? '+' : ''}${r.points} points`,
    data: {
      program_id: r.program_id,
      kind: r.kind,
      points: r.points,
      balance_after: r.balance_after,
      order_id: r.order_id,
      reason: r.reason,
      expires_at: iso(r.expires_at),
    },
  }));
}

/** Appends ledger events inside the transaction that made the changes (profile ids are known). */
export async function appendLedgerEvents(tx: Tx, events: LedgerEvent[], now: Date): Promise<StoredEvent[]> {
  if (!events.length) return [];
  const r = await appendEvents(
    tx,
    events.map((e) => ({ profile_id: e.profile_id, name: e.name, properties: e.properties, occurred_at: now, event_id: e.event_id ?? null })),
    now,
  );
  return r.stored;
}

/** Publishes appended ledger events to in-process subscribers; call after the transaction commits. */
export function publishLedgerEvents(ctx: AppContext, stored: StoredEvent[]): void {
  if (stored.length) ctx.bus.publish('events', stored);
}

/** Appends ledger events in their own transaction (for callers outside one); call after the ledger change committed. */
export async function emitLedgerEvents(ctx: AppContext, events: LedgerEvent[]): Promise<void> {
  if (!events.length) return;
  await ingestEvents(
    ctx,
    events.map((e) => ({ profile: { id: e.profile_id }, name: e.name, properties: e.properties, event_id: e.event_id })),
  );
}

/* ───────────── tiers ───────────── */

/** Money spent by a profile within the window ending now (orders not canceled, net of refunds), and the oldest such order. */
export async function spendInWindow(ex: Executor, programId: string, profileId: string, since: Date) {
  const r = await sql<{ spend: number | null; oldest: Date | null }>`
    SELECT sum(total - refunded_total)::bigint AS spend, min(created_at) AS oldest FROM market_orders
    WHERE profile_id = ${profileId} AND status <> 'canceled' AND created_at > ${since}
      AND (program_id IS NULL OR program_id = ${programId})`.execute(ex);
  return { spend: Number(r.rows[0]?.spend ?? 0), oldest: r.rows[0]?.oldest ? new Date(r.rows[0].oldest) : null };
}

/** Marks a profile's memberships for a tier recompute (after its orders change). */
export async function markTiersDue(ex: Executor, profileId: string, now: Date): Promise<void> {
  await sql`
    UPDATE loyalty_members m SET tier_due_at = ${now} FROM loyalty_programs p
    WHERE m.profile_id = ${profileId} AND p.id = m.program_id AND jsonb_array_length(p.tiers) > 0`.execute(ex);
}

/** Recomputes the tier of members whose recompute is due; returns how many and the `tier_changed` events. */
export async function recomputeDueTiers(tx: Tx, limit: number, now: Date): Promise<{ handled: number; events: LedgerEvent[] }> {
  const due = await tx
    .selectFrom('loyalty_members')
    .select(['id', 'program_id', 'profile_id', 'tier'])
    .where('tier_due_at', '<=', now)
    .orderBy('tier_due_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  const events: LedgerEvent[] = [];
  const programs = new Map<string, Program | undefined>();
  for (const m of due) {
    if (!programs.has(m.program_id)) programs.set(m.program_id, await getProgram(tx, m.program_id));
    const program = programs.get(m.program_id)!;
    const windowMs = durationMs(program.tier_window);
    const { spend, oldest } = await spendInWindow(tx, program.id, m.profile_id, new Date(now.getTime() - windowMs));
    const tier = tierFor(program.tiers, spend)?.name ?? null;
    const nextDue = oldest && program.tiers.length ? new Date(oldest.getTime() + windowMs) : null;
    await tx.updateTable('loyalty_members').set({ tier, tier_due_at: nextDue, updated_at: now }).where('id', '=', m.id).execute();
    if (tier !== m.tier)
      events.push({
        profile_id: m.profile_id,
        name: 'tier_changed',
        properties: { program_id: program.id, member_id: m.id, from: m.tier, to: tier, spend: spend / 100 },
      });
  }
  return { handled: due.length, events };
}

/* ───────────── due work (worker) ───────────── */

/** Claims members that have due work of a kind (member rows, SKIP LOCKED: the lock every ledger change takes first). */
async function claimMembers(tx: Tx, dueMemberIds: string[]): Promise<{ id: string; program_id: string }[]> {
  if (!dueMemberIds.length) return [];
  return tx.selectFrom('loyalty_members').select(['id', 'program_id']).where('id', 'in', dueMemberIds).forUpdate().skipLocked().execute();
}

async function programsOf(tx: Tx, ids: string[]): Promise<Map<string, Program>> {
  const m = new Map<string, Program>();
  for (const id of new Set(ids)) m.set(id, (await getProgram(tx, id))!);
  return m;
}

/** Burns expired lots (an `expiration` entry each) for up to `limit` members. */
export async function burnDueLots(tx: Tx, limit: number, now: Date): Promise<number> {
  const due = await sql<{ member_id: string }>`
    SELECT DISTINCT member_id FROM (
      SELECT member_id FROM loyalty_lots WHERE remaining > 0 AND expires_at <= ${now} ORDER BY expires_at LIMIT ${limit * 4}
    ) d LIMIT ${limit}`.execute(tx);
  const members = await claimMembers(tx, due.rows.map((r) => r.member_id));
  const programs = await programsOf(tx, members.map((m) => m.program_id));
  for (const m of members) {
    const w = await beginWrite(tx, programs.get(m.program_id)!, m.id, now);
    await burnExpired(w, await openLots(tx, m.id));
    await flush(w);
  }
  return members.length;
}

/** Rolls back held transactions whose hold has run out. */
export async function rollbackTimedOut(tx: Tx, limit: number, now: Date): Promise<number> {
  const due = await tx
    .selectFrom('loyalty_transactions')
    .select(['id', 'program_id', 'member_id'])
    .where('status', '=', 'held')
    .where('hold_until', '<=', now)
    .orderBy('hold_until')
    .limit(limit)
    .execute();
  const claimed = new Set((await claimMembers(tx, [...new Set(due.map((d) => d.member_id))])).map((m) => m.id));
  const programs = await programsOf(tx, due.map((d) => d.program_id));
  let n = 0;
  for (const d of due) {
    if (!claimed.has(d.member_id)) continue;
    const t = await getTransaction(tx, d.program_id, d.id);
    if (t?.status !== 'held') continue;
    await rollbackTransaction(tx, programs.get(d.program_id)!, d.id, now, 'hold expired');
    n++;
  }
  return n;
}

/** Releases pending accruals whose `accrual_hold` has ended: each becomes a lot. */
export async function releaseDueAccruals(tx: Tx, limit: number, now: Date): Promise<{ handled: number; events: LedgerEvent[] }> {
  const due = await tx
    .selectFrom('loyalty_transactions')
    .select(['id', 'program_id', 'member_id'])
    .where('status', '=', 'pending')
    .where('release_at', '<=', now)
    .orderBy('release_at')
    .limit(limit)
    .execute();
  const claimed = new Set((await claimMembers(tx, [...new Set(due.map((d) => d.member_id))])).map((m) => m.id));
  const programs = await programsOf(tx, due.map((d) => d.program_id));
  const events: LedgerEvent[] = [];
  let n = 0;
  for (const d of due) {
    if (!claimed.has(d.member_id)) continue;
    const program = programs.get(d.program_id)!;
    const w = await beginWrite(tx, program, d.member_id, now);
    const t = (await getTransaction(tx, d.program_id, d.id))!;
    if (t.status !== 'pending') continue;
    const points = t.points - t.reversed;
    w.member.pending -= points;
    let entryId: string | null = null;
    if (points > 0) {
      entryId = (await creditHeld(w, t, points)).id;
      events.push(event(w, 'points_accrued', points, t));
    }
    await flush(w);
    await setStatus(tx, t.id, points > 0 ? 'done' : 'canceled', now, entryId ? { entry_id: entryId } : {});
    n++;
  }
  return { handled: n, events };
}

/** `points_expiring` for lots whose notice time has come: one event per member and expiry date. */
export async function dueExpiryNotices(tx: Tx, limit: number, now: Date): Promise<{ handled: number; events: LedgerEvent[] }> {
  const lots = await sql<{ id: string; member_id: string; program_id: string; remaining: number; expires_at: Date; profile_id: string }>`
    SELECT l.id, l.member_id, l.program_id, l.remaining, l.expires_at, m.profile_id
    FROM loyalty_lots l JOIN loyalty_members m ON m.id = l.member_id
    WHERE l.remaining > 0 AND NOT l.notified AND l.notify_at <= ${now} AND l.expires_at > ${now}
    ORDER BY l.notify_at LIMIT ${limit}
    FOR UPDATE OF l SKIP LOCKED`.execute(tx);
  if (!lots.rows.length) {
    // Lots past their expiry are burned instead; mark them so the notice query stays small.
    return { handled: 0, events: [] };
  }
  await tx.updateTable('loyalty_lots').set({ notified: true }).where('id', 'in', lots.rows.map((l) => l.id)).execute();
  const groups = new Map<string, { profile_id: string; program_id: string; member_id: string; points: number; expires_at: string }>();
  for (const l of lots.rows) {
    const key = `${l.member_id}|${iso(l.expires_at)}`;
    const g = groups.get(key) ?? { profile_id: l.profile_id, program_id: l.program_id, member_id: l.member_id, points: 0, expires_at: iso(l.expires_at)! };
    g.points += l.remaining;
    groups.set(key, g);
  }
  const events = [...groups.values()].map(
    (g): LedgerEvent => ({
      profile_id: g.profile_id,
      name: 'points_expiring',
      properties: { program_id: g.program_id, member_id: g.member_id, points: g.points, expires_at: g.expires_at },
    }),
  );
  return { handled: lots.rows.length, events };
}

/* ───────────── report ───────────── */

export async function programReport(ex: Executor, program: Program, from: Date, to: Date) {
  const members = await sql<{ members: number; new_members: number }>`
    SELECT count(*) FILTER (WHERE joined_at < ${to})::int AS members,
           count(*) FILTER (WHERE joined_at >= ${from} AND joined_at < ${to})::int AS new_members
    FROM loyalty_members WHERE program_id = ${program.id}`.execute(ex);
  const points = await sql<{ accrued: number; redeemed: number; expired: number; reversed: number }>`
    SELECT coalesce(sum(points) FILTER (WHERE kind = 'accrual'), 0)::bigint AS accrued,
           coalesce(-sum(points) FILTER (WHERE kind = 'redemption'), 0)::bigint AS redeemed,
           coalesce(-sum(points) FILTER (WHERE kind = 'expiration'), 0)::bigint AS expired,
           coalesce(sum(abs(points)) FILTER (WHERE kind = 'reversal'), 0)::bigint AS reversed
    FROM loyalty_entries WHERE program_id = ${program.id} AND created_at >= ${from} AND created_at < ${to}`.execute(ex);
  const orders = await sql<{ orders: number; revenue: number; discount_total: number }>`
    SELECT count(*)::int AS orders, coalesce(sum(total - refunded_total), 0)::bigint AS revenue, coalesce(sum(discount_total), 0)::bigint AS discount_total
    FROM market_orders WHERE program_id = ${program.id} AND status <> 'canceled' AND created_at >= ${from} AND created_at < ${to}`.execute(ex);
  const promotions = await sql<{ id: string; name: string | null; applied: number; discount: number; points: number }>`
    SELECT p->>'id' AS id, max(p->>'name') AS name, count(*)::int AS applied,
           coalesce(sum((p->>'discount')::numeric), 0) AS discount, coalesce(sum((p->>'points')::bigint), 0)::bigint AS points
    FROM market_orders o CROSS JOIN LATERAL jsonb_array_elements(o.applied_promotions) AS p
    WHERE o.program_id = ${program.id} AND o.status <> 'canceled' AND o.created_at >= ${from} AND o.created_at < ${to}
    GROUP BY p->>'id' ORDER BY applied DESC`.execute(ex);
  const tiers = await sql<{ tier: string | null; members: number }>`
    SELECT tier, count(*)::int AS members FROM loyalty_members WHERE program_id = ${program.id} AND joined_at < ${to} GROUP BY tier`.execute(ex);
  const tierCount = new Map(tiers.rows.map((t) => [t.tier, Number(t.members)]));
  return {
    members: Number(members.rows[0].members),
    new_members: Number(members.rows[0].new_members),
    points: {
      accrued: Number(points.rows[0].accrued),
      redeemed: Number(points.rows[0].redeemed),
      expired: Number(points.rows[0].expired),
      reversed: Number(points.rows[0].reversed),
    },
    orders: Number(orders.rows[0].orders),
    revenue: Number(orders.rows[0].revenue),
    discount_total: Number(orders.rows[0].discount_total),
    promotions: promotions.rows.map((p) => ({ id: p.id, name: p.name ?? '', applied: Number(p.applied), discount: Number(p.discount), points: Number(p.points) })),
    tiers: program.tiers.map((t) => ({ name: t.name, members: tierCount.get(t.name) ?? 0 })),
  };
}
