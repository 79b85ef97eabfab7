import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Page, type Query } from './client';

/**
 * A list endpoint (`{items, next_cursor}`) a page at a time, with previous/next: the hook keeps the
 * cursors it has passed. `key` names the list in the query cache (invalidate `[key[0]]` after a change).
 */
export function useCursorPages<T>(key: readonly unknown[], path: string, query: Query = {}, limit = 20, refetchInterval?: number) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  const list = useQuery({
    queryKey: [...key, query, limit, cursors[page]],
    queryFn: ({ signal }) => api.get<Page<T>>(path, { ...query, limit, cursor: cursors[page] }, signal),
    placeholderData: keepPreviousData,
    refetchInterval,
  });
  return {
    list,
    page,
    hasNext: Boolean(list.data?.next_cursor),
    next: () => {
      const c = list.data?.next_cursor;
      if (c) setCursors((cs) => [...cs, c]);
    },
    prev: () => setCursors((cs) => (cs.length > 1 ? cs.slice(0, -1) : cs)),
    reset: () => setCursors([undefined]),
  };
}
