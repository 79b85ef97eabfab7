import { useQuery } from '@tanstack/react-query';
import { api, type Page } from '../../api/client';

export const CODE_STATUSES = ['available', 'issued', 'redeemed', 'expired', 'deleted'] as const;
export type CodeStatus = (typeof CODE_STATUSES)[number];

export interface Pool {
  id: string;
  name: string;
  template_name: string;
  generator: { template: string } | { remote: { url: string; max_per_request: number; timeout_ms?: number; retries?: number } } | null;
  valid_from: string | null;
  valid_to: string | null;
  code_ttl: string | null;
  max_codes: number | null;
  multi_profile: boolean;
  auto_link: boolean;
  scenario_can_create: boolean;
  campaign_can_create: boolean;
  custom_fields: string[];
  status: 'active' | 'paused';
  capacity: string | null;
  created_at: string;
  updated_at: string;
}

export interface Code {
  code: string;
  pool_id: string;
  status: CodeStatus;
  profile_id: string | null;
  issued_at: string | null;
  expires_at: string | null;
  redeemed_at: string | null;
  order_id: string | null;
  fields: Record<string, unknown>;
}

export function useAllPools() {
  return useQuery({ queryKey: ['promo', 'pools', 'all'], queryFn: ({ signal }) => api.get<Page<Pool>>('/promo/pools', { limit: 1000 }, signal), staleTime: 30_000 });
}

const COUNT_PAGES = 10;

/**
 * Codes per status, counted by paging the code list (the API has no per-status totals): up to
 * COUNT_PAGES × 1000 codes a status, past that the figure is a lower bound (`more`).
 */
export function useStatusCounts(poolId: string) {
  return useQuery({
    queryKey: ['promo', 'pools', poolId, 'status-counts'],
    queryFn: async ({ signal }) => {
      const out: { status: CodeStatus; count: number; more: boolean }[] = [];
      for (const status of CODE_STATUSES) {
        let count = 0;
        let cursor: string | undefined;
        let pages = 0;
        do {
          const p = await api.get<Page<Code>>(`/promo/pools/${poolId}/codes`, { status, limit: 1000, cursor }, signal);
          count += p.items.length;
          cursor = p.next_cursor ?? undefined;
          pages++;
        } while (cursor && pages < COUNT_PAGES);
        out.push({ status, count, more: Boolean(cursor) });
      }
      return out;
    },
  });
}
