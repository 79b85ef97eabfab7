/**
 * The two-stage checkout. `preorder` reads once (the facts statement; promotions come from the cache)
 * and calculates; it writes nothing. `commit` does the same under the member row lock and records the
 * result in one transaction: the order with per-line amounts, the points redeemed and accrued (pending
 * under the program's `accrual_hold`), the promo codes redeemed, the promotion limits counted and
 * `order_finalized` (with the ledger events). It is idempotent on `order_id`.
 *
 * When a parallel commit takes the last use or budget of a limited promotion between this commit's read
 * and its write, the conditional count refuses, the transaction rolls back and the commit calculates
 * again with fresh counters (the promotion then lands in `rejected`).
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../context.js';
import { calculate } from '../domain/checkout/calculate.js';
import { codeState } from '../domain/checkout/codes.js';
import type { Calculation, CalculationInput, CheckoutRequest } from '../domain/checkout/types.js';
import { toMajor, toMinor } from '../domain/money.js';
import { parseProfileRef, type ProfileRef, type ProfileRefInput } from '../domain/profiles/ref.js';
import { checkoutFacts, getCheckout, lockCheckoutMember, recordCheckout, type CheckoutFacts, type StoredCheckout } from '../store/checkout.js';
import type { Executor, Tx } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { newId } from '../store/ids.js';
import { accrue, joinProgram, LedgerRefusal, redeem, type LedgerEvent } from '../store/loyalty.js';
import { findProfile } from '../store/profiles.js';
import { promo, PromoNotFound, PromoRefusal } from './promo.js';
import { checkoutCatalogue } from './checkout-catalogue.js';
import { promotions, type ProgramBundle } from './promotions.js';

export interface CheckoutBody {
  program_id: string;
  profile: ProfileRefInput;
  items: { product_id: string; sku_id?: string | null; quantity: number; price?: number }[];
  promo_codes?: string[];
  redeem_points?: number | 'max';
  channel?: string | null;
  order_id?: string;
  calculation_id?: string;
}

/** A checkout the API answers with a problem: `status` and the problem's `slug`. */
export class CheckoutError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    readonly slug: string,
    detail: string,
    readonly errors?: { path: string; message: string }[],
  ) {
    super(detail);
  }
}

export type CommitResult = Calculation & { order_id: string; accrual: 'pending' | 'done' | 'none' };

/** The request in minor units, and the profile reference; every bad field is listed (400). */
function parse(body: CheckoutBody): { ref: ProfileRef; request: CheckoutRequest } {
  const errors: { path: string; message: string }[] = [];
  const ref = parseProfileRef(body.profile);
  if (typeof ref === 'string') errors.push({ path: 'profile', message: ref });
  const items = body.items.map((it, i) => {
    let price: number | null = null;
    if (it.price !== undefined) {
      price = toMinor(it.price);
      if (price === null || price < 0) errors.push({ path: `items.${i}.price`, message: 'must be a non-negative amount with at most 2 decimals' });
    }
    return { product_id: it.product_id, sku_id: it.sku_id ?? null, quantity: it.quantity, price };
  });
  if (errors.length) throw new CheckoutError(400, 'invalid-request', 'The request has invalid fields.', errors);
  return {
    ref: ref as ProfileRef,
    request: { items, promo_codes: [...new Set(body.promo_codes ?? [])], redeem_points: body.redeem_points ?? null, channel: body.channel ?? null },
  };
}

async function bundleOf(ctx: AppContext, programId: string, ex: Executor): Promise<ProgramBundle> {
  const b = await promotions.bundle(ctx.db, programId, ex);
  if (!b) throw new CheckoutError(404, 'not-found', 'Program not found');
  return b;
}

/** Reads the facts and makes sure the bundle is current for them (reading again when a reload needs more). */
async function factsFor(ctx: AppContext, ex: Executor, bundle: ProgramBundle, q: { ref: ProfileRef; request: CheckoutRequest; orderId: string | null; now: Date }) {
  let b = bundle;
  const ids = [...new Set(q.request.items.map((it) => it.product_id))];
  for (let attempt = 0; ; attempt++) {
    const asked = checkoutCatalogue.missing(ctx.db, ids);
    const facts = await checkoutFacts(ex, { programId: b.program.id, profile: q.ref, productIds: asked, codes: q.request.promo_codes, orderId: q.orderId, now: q.now, ...b.needs });
    facts.products = await checkoutCatalogue.resolve(ctx.db, ex, ids, asked, facts.products, facts.catalogue_version);
    const fresh = await promotions.fresh(ctx.db, b, facts, ex);
    if (!fresh) throw new CheckoutError(404, 'not-found', 'Program not found');
    const covered = (Object.keys(fresh.needs) as (keyof ProgramBundle['needs'])[]).every((k) => !fresh.needs[k] || b.needs[k]);
    if (fresh === b || covered || attempt >= 2) return { facts, bundle: fresh };
    b = fresh;
  }
}

function inputOf(b: ProgramBundle, f: CheckoutFacts, request: CheckoutRequest, now: Date, explain: boolean): CalculationInput {
  const profile = f.profile!;
  return {
    request,
    catalogue: f.products,
    program: {
      currency: b.program.currency,
      point_value: b.program.point_value,
      points_rounding: b.program.points_rounding,
      redeem_max_share: b.program.redeem_max_share,
      tiers: b.program.tiers,
      timezone: b.program.timezone,
    },
    promotions: b.promotions,
    usage: f.usage,
    partners: b.partners,
    member: {
      tier: f.member?.tier ?? null,
      spendable: f.member ? f.spendable : 0,
      orders_count: f.orders_count,
      uses: f.uses,
      profile: { email: profile.email, phone: profile.phone, external_id: profile.external_id, fields: profile.fields ?? {}, created_at: profile.created_at },
    },
    codes: new Map(f.codes.map((c) => [c.code, codeState(c, profile.id, now)])),
    now,
    explain,
  };
}

function run(input: CalculationInput): Calculation {
  const r = calculate(input);
  if ('faults' in r)
    throw new CheckoutError(
      422,
      r.faults[0].type,
      'Some items cannot be priced: give their price or add them to the catalogue.',
      r.faults.map((f) => ({ path: f.path, message: f.message })),
    );
  return r;
}

/** What a preorder calculates from: one facts statement and the cached promotions. */
export async function preorderInput(ctx: AppContext, body: CheckoutBody, opts: { explain?: boolean } = {}): Promise<CalculationInput> {
  const { ref, request } = parse(body);
  const now = ctx.clock.now();
  const { facts, bundle } = await factsFor(ctx, ctx.db, await bundleOf(ctx, body.program_id, ctx.db), { ref, request, orderId: null, now });
  if (!facts.profile) throw new CheckoutError(404, 'not-found', 'Profile not found');
  return inputOf(bundle, facts, request, now, opts.explain === true);
}

/** Prices the cart; writes nothing. */
export async function preorder(ctx: AppContext, body: CheckoutBody, opts: { explain?: boolean } = {}): Promise<Calculation> {
  return run(await preorderInput(ctx, body, opts));
}

/** Thrown inside the transaction when a limited promotion or a code changed under it: calculate again. */
class Changed extends Error {}

const MAX_ATTEMPTS = 8;
/** Deadlock detected, serialization failure. */
const RETRYABLE = new Set(['40P01', '40001']);

export const requestHash = (body: CheckoutBody) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

function replay(stored: StoredCheckout, hash: string): { status: 200; result: CommitResult } {
  if (stored.request_hash !== hash) throw new CheckoutError(409, 'order-id-reused', 'This order_id was committed with another request.');
  return { status: 200, result: stored.result };
}

/** Calculates and records the order in one transaction; a repeat of the same request answers the first result. */
export async function commit(ctx: AppContext, body: CheckoutBody): Promise<{ status: 200 | 201; result: CommitResult }> {
  const { ref, request } = parse(body);
  if (!body.order_id) throw new CheckoutError(400, 'invalid-request', 'The request has invalid fields.', [{ path: 'order_id', message: 'is required' }]);
  const orderId = body.order_id;
  const hash = requestHash(body);
  for (let attempt = 1; ; attempt++) {
    const now = ctx.clock.now();
    try {
      const r = await ctx.db.transaction().execute((tx) => commitOnce(ctx, tx, { body, ref, request, orderId, hash, now }));
      if ('stored' in r) {
        if (r.stored.length) ctx.bus.publish('events', r.stored);
        return { status: 201, result: r.result };
      }
      return r;
    } catch (e) {
      // A limit or code that changed under the commit, or a deadlock the server broke: calculate again.
      const retry = e instanceof Changed || RETRYABLE.has((e as { code?: string }).code ?? '');
      if (retry && attempt < MAX_ATTEMPTS) continue;
      if (retry) throw new CheckoutError(409, 'checkout-contended', 'Promotion limits kept changing under this commit; try again.');
      if ((e as { code?: string }).code === '23505') {
        // Another commit recorded this order_id first (another member, or a racing request).
        const stored = await getCheckout(ctx.db, orderId);
        if (stored) return replay(stored, hash);
        throw new CheckoutError(409, 'order-exists', 'An order with this id exists already.');
      }
      if (e instanceof LedgerRefusal) throw new CheckoutError(422, e.slug, e.message);
      throw e;
    }
  }
}

async function commitOnce(
  ctx: AppContext,
  tx: Tx,
  c: { body: CheckoutBody; ref: ProfileRef; request: CheckoutRequest; orderId: string; hash: string; now: Date },
): Promise<{ status: 200; result: CommitResult } | { result: CommitResult; stored: StoredEvent[] }> {
  const { now, orderId } = c;
  let bundle = await bundleOf(ctx, c.body.program_id, tx);
  const events: LedgerEvent[] = [];
  let joinedNow = false;
  let locked = await lockCheckoutMember(tx, bundle.program.id, c.ref);
  if (!locked) {
    // Not a member yet: the order makes the profile one (welcome points count from the next order).
    const profile = await findProfile(tx, c.ref);
    if (!profile) throw new CheckoutError(404, 'not-found', 'Profile not found');
    const joined = await joinProgram(tx, bundle.program, profile.id, now);
    joinedNow = joined.created;
    events.push(...joined.events);
    locked = await lockCheckoutMember(tx, bundle.program.id, { kind: 'id', value: profile.id });
    if (!locked) throw new Error('the member just joined is not there');
  }
  const ref: ProfileRef = { kind: 'id', value: locked.profile_id };
  const got = await factsFor(ctx, tx, bundle, { ref, request: c.request, orderId, now });
  bundle = got.bundle;
  const facts = got.facts;
  if (facts.checkout) return replay(facts.checkout, c.hash);
  if (facts.order_exists) throw new CheckoutError(409, 'order-exists', 'An order with this id exists already.');
  // Welcome points of a member who joins with this order are not spent on it: the preorder did not see them.
  if (joinedNow) facts.spendable = 0;
  const calc = run(inputOf(bundle, facts, c.request, now, false));
  if (c.body.calculation_id !== undefined && c.body.calculation_id !== calc.calculation_id)
    throw new CheckoutError(422, 'calculation-changed', 'The order prices differently now than in the preorder that gave this calculation_id; show the customer the new figures.');

  const program = bundle.program;
  const memberId = locked.member_id;
  const reason = `order ${orderId}`;
  if (calc.points_redeemed > 0) {
    const r = await redeem(tx, { program, memberId, points: calc.points_redeemed, reason, orderId, now });
    events.push(...r.events);
  }
  let accrual: CommitResult['accrual'] = 'none';
  if (calc.points_accrued > 0) {
    const sources = new Set(calc.items.map((l) => l.points_promotion).filter((id): id is string => id !== null && !id.startsWith('partner:')));
    const r = await accrue(tx, { program, memberId, points: calc.points_accrued, reason, orderId, now, promotionId: sources.size === 1 ? [...sources][0] : null });
    accrual = r.transaction.status === 'pending' ? 'pending' : 'done';
    events.push(...r.events);
  }
  for (const { code } of calc.codes) {
    try {
      await promo.redeemCode(tx, code, locked.profile_id, orderId, now);
    } catch (e) {
      if (e instanceof PromoRefusal || e instanceof PromoNotFound) throw new Changed();
      throw e;
    }
  }
  const result: CommitResult = { ...calc, order_id: orderId, accrual };
  const toStore = [
    ...events.map((e) => ({ profile_id: e.profile_id, name: e.name, properties: e.properties, event_id: e.event_id ?? null })),
    { profile_id: locked.profile_id, name: 'order_finalized', properties: orderEventProperties(program.id, result, c.request.channel), event_id: `order_finalized:${orderId}` },
  ].map((e): StoredEvent => ({ ...e, id: newId(), occurred_at: now, received_at: now }));
  const refused = await recordCheckout(tx, {
    orderId,
    programId: program.id,
    profileId: locked.profile_id,
    memberId,
    channel: c.request.channel,
    requestHash: c.hash,
    calculation: result,
    appliedView: calc.applied_promotions.map((a) => ({ ...a, discount: toMajor(a.discount) })),
    counted: calc.counted,
    tiers: program.tiers.length > 0,
    events: toStore,
    now,
  });
  if (refused.length) throw new Changed();
  return { result, stored: toStore };
}

function orderEventProperties(programId: string, r: CommitResult, channel: string | null) {
  return {
    order_id: r.order_id,
    program_id: programId,
    channel,
    currency: r.currency,
    subtotal: toMajor(r.subtotal),
    discount_total: toMajor(r.discount_total),
    points_redeemed: r.points_redeemed,
    total: toMajor(r.total),
    points_accrued: r.points_accrued,
    items: r.items.map((l) => ({ product_id: l.product_id, sku_id: l.sku_id, quantity: l.quantity, price: toMajor(l.price), total: toMajor(l.total) })),
    promotions: r.applied_promotions.map((a) => a.id),
  };
}
