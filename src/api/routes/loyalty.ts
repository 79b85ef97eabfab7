import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { decodeCursor, pageOf } from '../../domain/cursor.js';
import { addDuration, isDuration } from '../../domain/duration.js';
import { toProgramSettings, type ProgramInput } from '../../domain/loyalty/program.js';
import { toMajor } from '../../domain/money.js';
import { parseProfileRef, type ProfileRefInput } from '../../domain/profiles/ref.js';
import {
  accrue,
  cancelTransaction,
  commitTransaction,
  createProgram,
  appendLedgerEvents,
  publishLedgerEvents,
  expiringPoints,
  findMember,
  getProgram,
  getTransaction,
  history,
  joinProgram,
  LedgerRefusal,
  listMembers,
  listPrograms,
  memberOfProfile,
  programReport,
  redeem,
  rollbackTransaction,
  updateProgram,
  type Entry,
  type LedgerEvent,
  type Member,
  type Program,
  type Transaction,
} from '../../store/loyalty.js';
import type { Tx } from '../../store/db.js';
import { promotions, PromotionRefusal } from '../../engine/promotions.js';
import { findProfile } from '../../store/profiles.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, conflict, notFound, ProblemError, unprocessable } from '../problem.js';
import { Page, PageQuery } from '../schemas/common.js';
import {
  AccrueBody,
  EntryView,
  MemberBody,
  MemberParams,
  MemberView,
  ProgramBody,
  ProgramParams,
  ProgramPatchBody,
  ProgramView,
  RedeemBody,
  ReportQuery,
  ReportView,
  TransactionParams,
  TransactionView,
} from '../schemas/loyalty.js';

const iso = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString());

export function programView(p: Program) {
  return {
    ...p,
    point_value: toMajor(p.point_value),
    tiers: p.tiers.map((t) => ({ ...t, min_spend: toMajor(t.min_spend) })),
    created_at: iso(p.created_at),
    updated_at: iso(p.updated_at),
  };
}

const memberView = (m: Member, expiring?: { points: number; expires_at: string }[]) => ({
  ...m,
  joined_at: iso(m.joined_at),
  ...(expiring ? { expiring } : {}),
});

const transactionView = (t: Transaction, m?: Member) => ({
  id: t.id,
  kind: t.kind,
  status: t.status,
  points: t.points,
  member_id: t.member_id,
  reason: t.reason,
  external_id: t.external_id,
  hold_until: iso(t.hold_until),
  order_id: t.order_id,
  created_at: iso(t.created_at),
  ...(m ? { balance: m.balance, pending: m.pending } : {}),
});

export const entryView = (e: Entry) => ({
  id: e.id,
  kind: e.kind,
  points: e.points,
  balance_after: e.balance_after,
  reason: e.reason,
  created_at: iso(e.created_at),
  ...(e.order_id ? { order_id: e.order_id } : {}),
  ...(e.promotion_id ? { promotion_id: e.promotion_id } : {}),
  ...(e.reverses_id ? { reverses_id: e.reverses_id } : {}),
  ...(e.transaction_id ? { transaction_id: e.transaction_id } : {}),
  ...(e.expires_at ? { expires_at: iso(e.expires_at) } : {}),
});

/** A ledger refusal as the problem the contract names. */
export function refusal(e: unknown): never {
  if (e instanceof PromotionRefusal) throw new ProblemError(e.status, e.slug, e.message);
  if (e instanceof LedgerRefusal) {
    if (e.slug === 'external-id-reused') throw conflict(e.slug, e.message);
    if (e.slug === 'member-not-found') throw new ProblemError(404, 'not-found', 'Member not found');
    throw unprocessable(e.slug, e.message);
  }
  throw e;
}

/** Runs a ledger call and appends its events in the same transaction. */
async function withEvents<C, R extends { events: LedgerEvent[] }>(tx: Tx, now: Date, op: (tx: Tx, call: C) => Promise<R>, call: C) {
  const r = await op(tx, call);
  return { ...r, stored: await appendLedgerEvents(tx, r.events, now) };
}

export function loyaltyRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['loyalty'];

  async function program(pid: string): Promise<Program> {
    const p = await getProgram(ctx.db, pid);
    if (!p) throw notFound('Program');
    return p;
  }

  async function memberByRef(pid: string, ref: string): Promise<Member> {
    const m = await findMember(ctx.db, pid, ref);
    if (!m) throw notFound('Member');
    return m;
  }

  async function memberOfBody(pid: string, body: { profile?: ProfileRefInput; member_id?: string }): Promise<string> {
    if ((body.profile === undefined) === (body.member_id === undefined))
      throw badRequest([{ path: 'profile', message: 'give exactly one of profile or member_id' }]);
    // A member id is checked by the ledger itself when it locks the row (404 member-not-found).
    if (body.member_id) return body.member_id;
    const ref = parseProfileRef(body.profile!);
    if (typeof ref === 'string') throw badRequest([{ path: 'profile', message: ref }]);
    const profile = await findProfile(ctx.db, ref);
    const m = profile && (await memberOfProfile(ctx.db, pid, profile.id));
    if (!m) throw notFound('Member');
    return m.id;
  }

  function holdUntil(hold: string | undefined): Date | null {
    if (hold === undefined) return null;
    if (!isDuration(hold) || hold.startsWith('-')) throw badRequest([{ path: 'hold', message: 'must be an ISO 8601 duration such as PT15M' }]);
    return addDuration(ctx.clock.now(), hold);
  }

  app.post(
    '/loyalty/programs',
    { schema: { tags, summary: 'Create a loyalty program', body: ProgramBody, response: { 201: ProgramView } } },
    async (req, reply) => {
      const s = toProgramSettings(req.body as ProgramInput);
      if (Array.isArray(s)) throw badRequest(s);
      return reply.code(201).send(programView(await createProgram(ctx.db, s, ctx.clock.now())));
    },
  );

  app.get('/loyalty/programs', { schema: { tags, summary: 'List loyalty programs', querystring: PageQuery, response: { 200: Page(ProgramView) } } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string };
    const limit = q.limit ?? 50;
    const page = pageOf(await listPrograms(ctx.db, limit + 1, cursorAfter(q.cursor)), limit, (p) => [p.id]);
    return { items: page.items.map(programView), next_cursor: page.next_cursor };
  });

  app.get('/loyalty/programs/:pid', { schema: { tags, summary: 'A loyalty program', params: ProgramParams, response: { 200: ProgramView } } }, async (req) =>
    programView(await program((req.params as { pid: string }).pid)),
  );

  app.patch(
    '/loyalty/programs/:pid',
    { schema: { tags, summary: 'Change some settings of a program; the rest stay; 400 names every bad field', params: ProgramParams, body: ProgramPatchBody, response: { 200: ProgramView } } },
    async (req) => {
      const { pid } = req.params as { pid: string };
      const updated = await ctx.db.transaction().execute(async (tx) => {
        const cur = await getProgram(tx, pid);
        if (!cur) throw notFound('Program');
        const v = programView(cur);
        const current: ProgramInput = {
          name: v.name,
          currency: v.currency,
          welcome_points: v.welcome_points,
          point_value: v.point_value,
          points_rounding: v.points_rounding,
          points_ttl: v.points_ttl,
          accrual_hold: v.accrual_hold,
          redeem_max_share: v.redeem_max_share,
          tiers: v.tiers,
          tier_window: v.tier_window,
          expiry_notice: v.expiry_notice,
          timezone: v.timezone,
        };
        const s = toProgramSettings({ ...current, ...(req.body as Partial<ProgramInput>) });
        if (Array.isArray(s)) throw badRequest(s);
        return (await updateProgram(tx, pid, s, ctx.clock.now()))!;
      });
      return programView(updated);
    },
  );

  app.get(
    '/loyalty/programs/:pid/members',
    { schema: { tags, summary: 'The program members in join order, each with balance and pending points', params: ProgramParams, querystring: PageQuery, response: { 200: Page(MemberView) } } },
    async (req) => {
      const { pid } = req.params as { pid: string };
      const q = req.query as { limit?: number; cursor?: string };
      await program(pid);
      const limit = q.limit ?? 50;
      const page = pageOf(await listMembers(ctx.db, pid, limit + 1, cursorAfter(q.cursor)), limit, (m) => [m.id]);
      return { items: page.items.map((m) => memberView(m)), next_cursor: page.next_cursor };
    },
  );

  app.post(
    '/loyalty/programs/:pid/members',
    { schema: { tags, summary: 'Register a profile as a member (idempotent per profile); a new member gets the welcome points', params: ProgramParams, body: MemberBody, response: { 200: MemberView, 201: MemberView } } },
    async (req, reply) => {
      const p = await program((req.params as { pid: string }).pid);
      const ref = parseProfileRef((req.body as { profile: ProfileRefInput }).profile);
      if (typeof ref === 'string') throw badRequest([{ path: 'profile', message: ref }]);
      const profile = await findProfile(ctx.db, ref);
      if (!profile) throw notFound('Profile');
      const now = ctx.clock.now();
      const r = await ctx.db.transaction().execute(async (tx) => {
        const joined = await joinProgram(tx, p, profile.id, now);
        return { ...joined, stored: await appendLedgerEvents(tx, joined.events, now) };
      });
      publishLedgerEvents(ctx, r.stored);
      if (r.created) ctx.bus.publish('ledger', [profile.id]);
      return reply.code(r.created ? 201 : 200).send(memberView(r.member, await expiringPoints(ctx.db, r.member.id, ctx.clock.now())));
    },
  );

  app.get(
    '/loyalty/programs/:pid/members/:ref',
    { schema: { tags, summary: 'A member by member id, profile id, email or phone, with balance, pending and expiring points', params: MemberParams, response: { 200: MemberView } } },
    async (req) => {
      const { pid, ref } = req.params as { pid: string; ref: string };
      await program(pid);
      const m = await memberByRef(pid, ref);
      return memberView(m, await expiringPoints(ctx.db, m.id, ctx.clock.now()));
    },
  );

  app.get(
    '/loyalty/programs/:pid/members/:ref/history',
    { schema: { tags, summary: 'Ledger entries, newest first; signed points sum to the balance', params: MemberParams, querystring: PageQuery, response: { 200: Page(EntryView) } } },
    async (req) => {
      const { pid, ref } = req.params as { pid: string; ref: string };
      const q = req.query as { limit?: number; cursor?: string };
      await program(pid);
      const m = await memberByRef(pid, ref);
      let before: { at: string; id: string } | undefined;
      if (q.cursor !== undefined) {
        const key = decodeCursor(q.cursor, 2);
        if (!key || typeof key[0] !== 'string' || typeof key[1] !== 'string' || Number.isNaN(Date.parse(key[0])))
          throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this list returned' }]);
        before = { at: key[0], id: key[1] };
      }
      const limit = q.limit ?? 50;
      const rows = await history(ctx.db, m.id, limit + 1, before);
      const page = pageOf(rows, limit, (e) => [iso(e.created_at)!, e.id]);
      return { items: page.items.map(entryView), next_cursor: page.next_cursor };
    },
  );

  /** Points are required unless a trigger promotion decides them. */
  const pointsOf = (body: { points?: number }): number => {
    if (body.points === undefined) throw badRequest([{ path: 'points', message: 'is required (unless a promotion_id decides them)' }]);
    return body.points;
  };

  const requestHash = (kind: string, body: unknown) => createHash('sha256').update(kind).update(JSON.stringify(body)).digest('hex');

  app.post(
    '/loyalty/programs/:pid/accrue',
    { schema: { tags, summary: 'Accrue points (a new lot); `hold` makes a held transaction; `external_id` makes it idempotent; `promotion_id` runs a trigger promotion', params: ProgramParams, body: AccrueBody, response: { 200: TransactionView, 201: TransactionView } } },
    async (req, reply) => {
      const p = await program((req.params as { pid: string }).pid);
      const body = req.body as { profile?: ProfileRefInput; member_id?: string; points?: number; reason: string; expires_at?: string; promotion_id?: string; external_id?: string; hold?: string };
      const memberId = await memberOfBody(p.id, body);
      const now = ctx.clock.now();
      const expiresAt = body.expires_at !== undefined ? new Date(body.expires_at) : undefined;
      const until = holdUntil(body.hold);
      if (expiresAt && expiresAt <= now) throw badRequest([{ path: 'expires_at', message: 'must be in the future' }]);
      const call = { program: p, memberId, reason: body.reason, now, externalId: body.external_id, requestHash: requestHash('accrue', body), holdUntil: until };
      const r = await ctx.db
        .transaction()
        .execute((tx) =>
          body.promotion_id
            ? withEvents(tx, now, promotions.trigger, { ...call, action: 'accrue', promotionId: body.promotion_id, points: body.points ?? null, expiresAt })
            : withEvents(tx, now, accrue, { ...call, points: pointsOf(body), expiresAt }),
        )
        .catch(refusal);
      publishLedgerEvents(ctx, r.stored);
      return reply.code(r.replayed ? 200 : 201).send(transactionView(r.transaction, r.member));
    },
  );

  app.post(
    '/loyalty/programs/:pid/redeem',
    { schema: { tags, summary: 'Redeem points from the lots that expire first; 422 insufficient-points; `promotion_id` runs a trigger promotion', params: ProgramParams, body: RedeemBody, response: { 200: TransactionView, 201: TransactionView } } },
    async (req, reply) => {
      const p = await program((req.params as { pid: string }).pid);
      const body = req.body as { profile?: ProfileRefInput; member_id?: string; points?: number; reason: string; promotion_id?: string; external_id?: string; hold?: string };
      const memberId = await memberOfBody(p.id, body);
      const until = holdUntil(body.hold);
      const now = ctx.clock.now();
      const call = { program: p, memberId, reason: body.reason, now, externalId: body.external_id, requestHash: requestHash('redeem', body), holdUntil: until };
      const r = await ctx.db
        .transaction()
        .execute((tx) =>
          body.promotion_id
            ? withEvents(tx, now, promotions.trigger, { ...call, action: 'redeem', promotionId: body.promotion_id, points: body.points ?? null })
            : withEvents(tx, now, redeem, { ...call, points: pointsOf(body) }),
        )
        .catch(refusal);
      publishLedgerEvents(ctx, r.stored);
      return reply.code(r.replayed ? 200 : 201).send(transactionView(r.transaction, r.member));
    },
  );

  app.get(
    '/loyalty/programs/:pid/transactions/:id',
    { schema: { tags, summary: 'A transaction', params: TransactionParams, response: { 200: TransactionView } } },
    async (req) => {
      const { pid, id } = req.params as { pid: string; id: string };
      const t = await getTransaction(ctx.db, pid, id);
      if (!t) throw notFound('Transaction');
      return transactionView(t);
    },
  );

  const moves = { commit: commitTransaction, rollback: rollbackTransaction, cancel: cancelTransaction } as const;
  const summaries = {
    commit: 'Commit a held transaction',
    rollback: 'Roll a held transaction back',
    cancel: 'Cancel (reverse) a done transaction',
  };
  for (const action of Object.keys(moves) as (keyof typeof moves)[]) {
    app.post(
      `/loyalty/programs/:pid/transactions/:id/${action}`,
      { schema: { tags, summary: summaries[action], params: TransactionParams, response: { 200: TransactionView } } },
      async (req) => {
        const { pid, id } = req.params as { pid: string; id: string };
        const p = await program(pid);
        const now = ctx.clock.now();
        const r = await ctx.db
          .transaction()
          .execute(async (tx) => {
            const moved = await moves[action](tx, p, id, now);
            return moved && { ...moved, stored: await appendLedgerEvents(tx, moved.events, now) };
          })
          .catch(refusal);
        if (!r) throw notFound('Transaction');
        publishLedgerEvents(ctx, r.stored);
        ctx.bus.publish('ledger', [r.member.profile_id]);
        return transactionView(r.transaction, r.member);
      },
    );
  }

  app.get(
    '/loyalty/programs/:pid/report',
    { schema: { tags, summary: 'Program figures for a period (SQL aggregates); default the last 30 days', params: ProgramParams, querystring: ReportQuery, response: { 200: ReportView } } },
    async (req) => {
      const p = await program((req.params as { pid: string }).pid);
      const q = req.query as { from?: string; to?: string };
      const to = q.to ? new Date(q.to) : ctx.clock.now();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
      if (from > to) throw badRequest([{ path: 'query.from', message: 'must not be after to' }]);
      const r = await programReport(ctx.db, p, from, to);
      return { from: iso(from), to: iso(to), ...r, revenue: toMajor(r.revenue), discount_total: toMajor(r.discount_total) };
    },
  );
}

