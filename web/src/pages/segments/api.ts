import { useQuery } from '@tanstack/react-query';
import { api, type Page } from '../../api/client';
import type { CondNode } from '../../components/conditions/tree';

export interface Segment {
  id: string;
  name: string;
  description: string | null;
  type: 'dynamic' | 'static';
  conditions: CondNode | null;
  time_relative: boolean;
  refreshed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MembersResult {
  added?: number;
  removed?: number;
  unchanged: number;
  failed: number;
  errors: { index?: number; row?: number; message: string }[];
}

/** Every segment (for pickers: conditions, scenario start points). */
export function useAllSegments() {
  return useQuery({ queryKey: ['segments', 'all'], queryFn: ({ signal }) => api.get<Page<Segment>>('/segments', { limit: 1000 }, signal), staleTime: 30_000 });
}

export function useSegmentCount(id: string, refetchInterval?: number) {
  return useQuery({ queryKey: ['segments', id, 'count'], queryFn: ({ signal }) => api.get<{ count: number }>(`/segments/${id}/count`, undefined, signal), refetchInterval });
}
