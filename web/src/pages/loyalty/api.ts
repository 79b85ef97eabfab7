import { useQuery } from '@tanstack/react-query';
import { api, type Page } from '../../api/client';

export interface Tier {
  name: string;
  min_spend: number;
  accrual_multiplier: number;
}

export interface Program {
  id: string;
  name: string;
  currency: string;
  welcome_points: number;
  point_value: number;
  points_rounding: 'floor' | 'round' | 'ceil';
  points_ttl: string | null;
  accrual_hold: string | null;
  redeem_max_share: number;
  tiers: Tier[];
  tier_window: string;
  expiry_notice: string;
  created_at: string;
  updated_at: string;
}

export interface Member {
  id: string;
  program_id: string;
  profile_id: string;
  balance: number;
  pending: number;
  tier: string | null;
  joined_at: string;
  expiring?: { points: number; expires_at: string }[];
}

export interface LedgerEntry {
  id: string;
  kind: string;
  points: number;
  balance_after: number;
  order_id?: string;
  promotion_id?: string;
  reason: string;
  created_at: string;
  expires_at?: string;
}

export interface Report {
  from: string;
  to: string;
  members: number;
  new_members: number;
  points: { accrued: number; redeemed: number; expired: number; reversed: number };
  orders: number;
  revenue: number;
  discount_total: number;
  promotions: { id: string; name: string; applied: number; discount: number; points: number }[];
  tiers: { name: string; members: number }[];
}

export interface Promotion {
  id: string;
  name: string;
  type: 'trigger' | 'discount' | 'points';
  priority: number;
  combinable: boolean;
  starts_at?: string | null;
  ends_at?: string | null;
  status: 'active' | 'paused';
  conditions?: Record<string, unknown> | null;
  applies_to?: { product_ids?: string[]; categories?: string[]; skus?: string[] } | null;
  promo_code_pool_id?: string | null;
  benefit: { kind: string; value: number; max_discount?: number | null };
  limits?: { per_member?: number | null; total_uses?: number | null; budget_points?: number | null } | null;
  created_at?: string;
}

export function useAllPrograms() {
  return useQuery({ queryKey: ['loyalty', 'programs', 'all'], queryFn: ({ signal }) => api.get<Page<Program>>('/loyalty/programs', { limit: 1000 }, signal), staleTime: 30_000 });
}

/** A program's promotions (trigger promotions are what scenario loyalty steps may name). */
export function usePromotions(programId: string | undefined) {
  return useQuery({
    queryKey: ['loyalty', 'programs', programId, 'promotions'],
    queryFn: ({ signal }) => api.get<Page<Promotion>>(`/loyalty/programs/${programId}/promotions`, { limit: 1000 }, signal),
    enabled: Boolean(programId),
  });
}
