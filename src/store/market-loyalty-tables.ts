/** The market and loyalty tables as Kysely sees them (merged into the schema's `DB`). */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object | null = Record<string, unknown>> = JSONColumnType<T, string, string>;

export interface MarketCategoriesTable {
  id: string;
  name: string;
  parent_id: string | null;
  updated_at: Timestamp;
}

export interface StoredSku {
  id: string;
  price: number;
  quantity: number | null;
  params: Record<string, unknown>;
}

export interface MarketProductsTable {
  id: string;
  name: string;
  price: number;
  old_price: number | null;
  currency: string | null;
  categories: string[];
  url: string | null;
  picture: string | null;
  vendor: string | null;
  params: Json;
  available: boolean;
  skus: Json<StoredSku[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MarketOrdersTable {
  id: string;
  profile_id: string;
  program_id: string | null;
  status: string;
  channel: string | null;
  currency: string | null;
  subtotal: number;
  discount_total: number;
  points_redeemed: number;
  points_redeemed_value: number;
  total: number;
  points_accrued: number;
  refunded_total: Generated<number>;
  applied_promotions: Json<unknown[]>;
  request_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MarketOrderItemsTable {
  order_id: string;
  line: number;
  product_id: string;
  sku_id: string | null;
  quantity: number;
  price: number;
  discount: number;
  total: number;
  points_accrued: number;
  points_redeemed: number;
  refunded_quantity: Generated<number>;
  promotions: Json<string[]>;
}

export interface LoyaltyProgramsTable {
  id: string;
  name: string;
  currency: string;
  welcome_points: number;
  point_value: number;
  points_rounding: string;
  points_ttl: string | null;
  accrual_hold: string | null;
  redeem_max_share: string;
  tiers: Json<{ name: string; min_spend: number; accrual_multiplier: number }[]>;
  tier_window: string;
  expiry_notice: string;
  /** Added by 0006_promotions. */
  timezone: Generated<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LoyaltyMembersTable {
  id: string;
  program_id: string;
  profile_id: string;
  tier: string | null;
  balance: number;
  pending: number;
  joined_at: Timestamp;
  tier_due_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface LoyaltyEntriesTable {
  id: string;
  program_id: string;
  member_id: string;
  profile_id: string;
  kind: string;
  points: number;
  balance_after: number;
  takes: Json<{ lot: string; points: number }[]>;
  reverses_id: string | null;
  reversed: Generated<number>;
  transaction_id: string | null;
  order_id: string | null;
  promotion_id: string | null;
  reason: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
}

export interface LoyaltyLotsTable {
  id: string;
  program_id: string;
  member_id: string;
  remaining: number;
  expires_at: Timestamp | null;
  notify_at: Timestamp | null;
  notified: Generated<boolean>;
  created_at: Timestamp;
}

export interface LoyaltyTransactionsTable {
  id: string;
  program_id: string;
  member_id: string;
  kind: string;
  status: string;
  points: number;
  reversed: Generated<number>;
  reason: string;
  external_id: string | null;
  request_hash: string | null;
  hold_until: Timestamp | null;
  release_at: Timestamp | null;
  expires_at: Timestamp | null;
  promotion_id: string | null;
  order_id: string | null;
  entry_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module './schema.js' {
  interface DB {
    market_categories: MarketCategoriesTable;
    market_products: MarketProductsTable;
    market_orders: MarketOrdersTable;
    market_order_items: MarketOrderItemsTable;
    loyalty_programs: LoyaltyProgramsTable;
    loyalty_members: LoyaltyMembersTable;
    loyalty_entries: LoyaltyEntriesTable;
    loyalty_lots: LoyaltyLotsTable;
    loyalty_transactions: LoyaltyTransactionsTable;
  }
}
