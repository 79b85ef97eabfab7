/** Builders for calculator inputs: a small catalogue, a program, promotions with sensible defaults. */
import type { CalculationInput, CatalogueProduct, CheckoutItem, CodeState, MemberState, ProgramTerms } from '../../../src/domain/checkout/types.js';
import type { PartnerTerms } from '../../../src/domain/promotions/partner.js';
import type { Benefit, Promotion, Usage } from '../../../src/domain/promotions/promotion.js';

/** Wednesday 4 March 2026, noon UTC. */
export const NOW = new Date('2026-03-04T12:00:00Z');

const product = (id: string, price: number, categories: string[], skus: [string, number][] = []): [string, CatalogueProduct] => [
  id,
  { id, price, categories, skus: new Map(skus) },
];

/** A 10.00 shoe, a 25.00 shirt, 3.33 and 3.34 socks, a 100.00 coat with a 90.00 SKU (prices in cents). */
export const catalogue = new Map<string, CatalogueProduct>([
  product('A', 1000, ['shoes', 'clothing']),
  product('B', 2500, ['shirts', 'clothing']),
  product('C', 333, ['socks', 'clothing']),
  product('E', 334, ['socks', 'clothing']),
  product('D', 10000, ['coats', 'clothing'], [['D-red', 9000]]),
]);

export const program: ProgramTerms = {
  currency: 'EUR',
  point_value: 1,
  points_rounding: 'floor',
  redeem_max_share: 0.5,
  tiers: [
    { name: 'Silver', min_spend: 10000, accrual_multiplier: 1.25 },
    { name: 'Gold', min_spend: 50000, accrual_multiplier: 1.5 },
  ],
  timezone: 'UTC',
};

export const member = (over: Partial<MemberState> = {}): MemberState => ({
  tier: null,
  spendable: 0,
  orders_count: 3,
  uses: new Map(),
  profile: { email: 'ann@example.com', phone: null, external_id: null, fields: {}, created_at: new Date('2025-01-01T00:00:00Z') },
  ...over,
});

let seq = 0;
/** A promotion: active discount, priority 100, combinable, all lines, no limits; created in call order. */
export function promo(id: string, over: Partial<Omit<Promotion, 'benefit'>> & { benefit?: Partial<Benefit> } = {}): Promotion {
  const { benefit, ...rest } = over;
  seq++;
  return {
    id,
    program_id: 'prog',
    name: `Promotion ${id}`,
    type: 'discount',
    priority: 100,
    combinable: true,
    starts_at: null,
    ends_at: null,
    status: 'active',
    conditions: null,
    applies_to: null,
    promo_code_pool_id: null,
    limits: { per_member: null, total_uses: null, budget_points: null },
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
    updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
    ...rest,
    benefit: { kind: 'percent', value: 10, max_discount: null, ...benefit },
  };
}

export const item = (product_id: string, quantity = 1, extra: Partial<CheckoutItem> = {}): CheckoutItem => ({ product_id, sku_id: null, quantity, price: null, ...extra });

export function input(o: {
  items: CheckoutItem[];
  promotions?: Promotion[];
  member?: MemberState;
  program?: Partial<ProgramTerms>;
  redeem?: number | 'max' | null;
  codes?: string[];
  codeStates?: Record<string, CodeState>;
  usage?: Record<string, Usage>;
  partners?: Record<string, Partial<PartnerTerms>>;
  channel?: string | null;
  now?: Date;
  explain?: boolean;
}): CalculationInput {
  return {
    request: { items: o.items, promo_codes: o.codes ?? [], redeem_points: o.redeem ?? null, channel: o.channel ?? 'web' },
    catalogue,
    program: { ...program, ...o.program },
    promotions: o.promotions ?? [],
    usage: new Map(Object.entries(o.usage ?? {})),
    partners: new Map(
      Object.entries(o.partners ?? {}).map(([k, v]) => [k, { cashback_percent: null, discount_percent: null, starts_at: null, ends_at: null, ...v }]),
    ),
    member: o.member ?? member(),
    codes: new Map(Object.entries(o.codeStates ?? {})),
    now: o.now ?? NOW,
    explain: o.explain,
  };
}
