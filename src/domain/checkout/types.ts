/** What the checkout calculator takes and gives: everything in integer minor units and integer points. */
import type { Rounding } from '../money.js';
import type { Tier } from '../loyalty/program.js';
import type { OrderProfileFacts } from '../promotions/conditions.js';
import type { PartnerTerms } from '../promotions/partner.js';
import type { Promotion, Usage } from '../promotions/promotion.js';

export interface CheckoutItem {
  product_id: string;
  sku_id: string | null;
  quantity: number;
  /** Unit price given by the request (minor units); null takes the catalogue's. */
  price: number | null;
}

export interface CheckoutRequest {
  items: CheckoutItem[];
  promo_codes: string[];
  /** Points the customer wants to pay with: a number, `max`, or null for none. */
  redeem_points: number | 'max' | null;
  channel: string | null;
}

export interface CatalogueProduct {
  id: string;
  price: number;
  /** The product's categories and all their ancestors. */
  categories: string[];
  /** SKU id → unit price. */
  skus: ReadonlyMap<string, number>;
}

export interface ProgramTerms {
  currency: string;
  /** Minor units one point is worth. */
  point_value: number;
  points_rounding: Rounding;
  redeem_max_share: number;
  tiers: Tier[];
  timezone: string;
}

export interface MemberState {
  tier: string | null;
  /** Points that can be spent now (unexpired lots; pending points are not spendable). */
  spendable: number;
  /** Earlier orders of the profile that were not canceled. */
  orders_count: number;
  /** Counted uses of promotions by this member (promotions with a per-member limit). */
  uses: ReadonlyMap<string, number>;
  profile: OrderProfileFacts;
}

/** A promo code of the request as the store found it: its pool and why it cannot be used (null: it can). */
export interface CodeState {
  pool_id: string;
  refusal: string | null;
}

export interface CalculationInput {
  request: CheckoutRequest;
  catalogue: ReadonlyMap<string, CatalogueProduct>;
  program: ProgramTerms;
  /** All promotions of the program; paused and trigger ones are passed over. */
  promotions: readonly Promotion[];
  /** Current counters of promotions that have limits. */
  usage: ReadonlyMap<string, Usage>;
  /** Partner terms by product id. */
  partners: ReadonlyMap<string, PartnerTerms>;
  member: MemberState;
  /** The request's codes that exist (unknown codes are absent). */
  codes: ReadonlyMap<string, CodeState>;
  now: Date;
  explain?: boolean;
}

export interface LineResult {
  product_id: string;
  sku_id: string | null;
  quantity: number;
  /** Unit price. */
  price: number;
  discount: number;
  points_redeemed: number;
  points_redeemed_value: number;
  /** price × quantity − discount − points_redeemed_value. */
  total: number;
  points_accrued: number;
  /** Discount promotions applied, in the order they applied, then the line's points promotion. */
  promotions: string[];
  /** The promotion (or partner product) whose points the line accrues. */
  points_promotion: string | null;
}

export interface AppliedPromotion {
  id: string;
  name: string;
  type: 'discount' | 'points' | 'partner';
  discount: number;
  points: number;
}

export interface Rejection {
  promotion_id?: string;
  code?: string;
  reason: string;
  detail?: string;
}

export type ExplainStepName = 'eligibility' | 'discount' | 'redeem' | 'accrual';

export interface ExplainStep {
  promotion_id: string | null;
  /** Index of the item in the request. */
  line?: number;
  step: ExplainStepName;
  outcome: string;
  reason: string;
  /** Money (minor units) of the line, or of the order, before and after the step. */
  amount_before: number;
  amount_after: number;
  /** Points a step gives (accrual) or takes (redeem). */
  points?: number;
}

export interface Calculation {
  calculation_id: string;
  currency: string;
  subtotal: number;
  discount_total: number;
  points_redeemed: number;
  points_redeemed_value: number;
  total: number;
  points_accrued: number;
  /** The most points this order could be paid with (balance and redeem_max_share). */
  redeem_max_points: number;
  items: LineResult[];
  applied_promotions: AppliedPromotion[];
  rejected: Rejection[];
  explain?: ExplainStep[];
  /** Codes whose promotions applied: redeemed at commit. */
  codes: { code: string; pool_id: string }[];
  /** Applied promotions with limits, and the points each gives: counted at commit. */
  counted: { promotion_id: string; points: number; per_member: boolean; total: boolean }[];
}

/** A request the catalogue cannot price: every bad item with its path. */
export interface PricingFault {
  path: string;
  message: string;
  type: 'product-not-found' | 'sku-not-found' | 'amount-too-large';
}
