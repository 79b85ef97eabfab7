/**
 * The shop the checkout benches run against: 400 products in a two-level category tree, a program with
 * tiers, 100 active promotions of every kind (discounts, points, multipliers, code-gated, some with limits
 * and conditions), 20 partner products, and members with points. Deterministic (seeded).
 */
import type { App } from '../app.js';
import type { CheckoutBody } from '../engine/checkout.js';
import { joinProgram, accrue, getProgram } from '../store/loyalty.js';
import { writeCategories, writeProducts } from '../store/market.js';
import { upsertProfile } from '../store/profiles.js';
import { BENCH_TOKEN } from './harness.js';

export const PRODUCTS = 400;
const CATEGORIES = 20;

/** A small seeded PRNG (mulberry32): the same shop and carts on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchShop {
  programId: string;
  emails: string[];
}

async function api(app: App, method: string, url: string, body: unknown) {
  const r = await app.server!.inject({ method: method as 'POST', url, headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return JSON.parse(r.body) as { id: string };
}

export async function seedShop(app: App, opts: { members: number; points: number }): Promise<BenchShop> {
  const ctx = app.ctx;
  const rnd = random(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const now = ctx.clock.now();
  await writeCategories(
    ctx.db,
    [
      { id: 'all', name: 'All', parent_id: null },
      ...Array.from({ length: CATEGORIES }, (_, i) => ({ id: `cat${i}`, name: `Category ${i}`, parent_id: i < 5 ? 'all' : `cat${i % 5}` })),
    ],
    now,
  );
  await writeProducts(
    ctx.db,
    Array.from({ length: PRODUCTS }, (_, i) => ({
      id: `p${i}`,
      name: `Product ${i}`,
      price: 100 + Math.floor(rnd() * 20000),
      old_price: null,
      currency: 'EUR',
      categories: [`cat${i % CATEGORIES}`],
      url: null,
      picture: null,
      vendor: null,
      params: {},
      available: true,
      skus: [],
    })),
    'upsert',
    now,
  );
  const program = await api(app, 'POST', '/api/v1/loyalty/programs', {
    name: 'Bench club',
    currency: 'EUR',
    point_value: 0.01,
    points_rounding: 'floor',
    redeem_max_share: 0.3,
    points_ttl: 'P365D',
    timezone: 'Europe/Berlin',
    tiers: [
      { name: 'Silver', min_spend: 500, accrual_multiplier: 1.25 },
      { name: 'Gold', min_spend: 2000, accrual_multiplier: 1.5 },
    ],
  });
  const pool = await api(app, 'POST', '/api/v1/promo/pools', { name: 'Bench codes', template_name: `bench_codes_${Date.now()}`, generator: { template: 'B-{symbol 8}' } });
  const conditions = [
    null,
    null,
    { subtotal: { gte: 50 + Math.floor(rnd() * 150) } },
    { tier: ['Silver', 'Gold'] },
    { channel: ['web', 'app'] },
    { weekday: [1, 2, 3, 4, 5, 6, 7] },
    { quantity: { gte: 2 } },
    { all: [{ items_count: { gte: 3 } }, { not: { field: 'fields.vip', op: 'eq', value: false } }] },
  ];
  const appliesTo = () => (rnd() < 0.6 ? { categories: [`cat${Math.floor(rnd() * CATEGORIES)}`] } : rnd() < 0.7 ? { product_ids: Array.from({ length: 5 }, () => `p${Math.floor(rnd() * PRODUCTS)}`) } : null);
  for (let i = 0; i < 100; i++) {
    const base = { name: `Promotion ${i}`, priority: 50 + Math.floor(rnd() * 250), combinable: rnd() < 0.75, conditions: pick(conditions), applies_to: appliesTo() };
    let body: Record<string, unknown>;
    if (i < 45) {
      const k = rnd();
      const benefit = k < 0.6 ? { kind: 'percent', value: 5 + Math.floor(rnd() * 25) } : k < 0.8 ? { kind: 'fixed', value: 1 + Math.floor(rnd() * 10) } : { kind: 'fixed_price', value: 1 + Math.floor(rnd() * 50) };
      body = { ...base, type: 'discount', benefit: { ...benefit, ...(rnd() < 0.3 ? { max_discount: 20 } : {}) }, ...(i % 9 === 0 ? { limits: { per_member: 1000 } } : {}) };
    } else if (i < 90) {
      const k = rnd();
      const benefit = k < 0.6 ? { kind: 'points_percent', value: 1 + Math.floor(rnd() * 10) } : k < 0.8 ? { kind: 'points_multiplier', value: 2 } : { kind: 'points_fixed', value: 50 + Math.floor(rnd() * 450) };
      body = { ...base, type: 'points', benefit, ...(i % 11 === 0 ? { limits: { budget_points: 1_000_000_000 } } : {}) };
    } else body = { ...base, type: 'discount', promo_code_pool_id: pool.id, benefit: { kind: 'percent', value: 15 } };
    await api(app, 'POST', `/api/v1/loyalty/programs/${program.id}/promotions`, body);
  }
  for (let i = 0; i < 20; i++)
    await api(app, 'PUT', `/api/v1/loyalty/programs/${program.id}/partner-products/p${i * 17}`, i % 2 ? { cashback_percent: 8 } : { discount_percent: 5, cashback_percent: 3 });

  const stored = (await getProgram(ctx.db, program.id))!;
  const emails: string[] = [];
  for (let start = 0; start < opts.members; start += 500) {
    await ctx.db.transaction().execute(async (tx) => {
      for (let i = start; i < Math.min(opts.members, start + 500); i++) {
        const email = `member-${i}@bench.example.com`;
        const { profile } = await upsertProfile(tx, { email, email_norm: email, fields: { vip: i % 7 === 0 }, subscriptions: {} }, now);
        const { member } = await joinProgram(tx, stored, profile.id, now);
        if (opts.points) await accrue(tx, { program: stored, memberId: member.id, points: opts.points, reason: 'bench', now });
        emails.push(email);
      }
    });
  }
  return { programId: program.id, emails };
}

/** Carts of `lines` lines (quantities 1–3); every third one pays with as many points as it may. */
export function carts(shop: BenchShop, count: number, lines: number, seed = 7): CheckoutBody[] {
  const rnd = random(seed);
  return Array.from({ length: count }, (_, i) => ({
    program_id: shop.programId,
    profile: { email: shop.emails[Math.floor(rnd() * shop.emails.length)] },
    items: Array.from({ length: lines }, () => ({ product_id: `p${Math.floor(rnd() * PRODUCTS)}`, quantity: 1 + Math.floor(rnd() * 3) })),
    channel: rnd() < 0.7 ? 'web' : 'store',
    ...(i % 3 === 0 ? { redeem_points: 'max' as const } : {}),
  }));
}
