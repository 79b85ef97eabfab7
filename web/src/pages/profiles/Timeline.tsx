import { useInfiniteQuery } from '@tanstack/react-query';
import { api, type Page } from '../../api/client';
import type { TimelineEntry } from '../../api/types';
import { Icon } from '../../components/icons';
import { Badge, Button, Empty, ErrorState, Spinner, Time } from '../../components/ui';

const KIND_ICON: Record<string, string> = { event: 'bolt', message: 'send', ledger: 'star', promo_code: 'ticket', order: 'bag', scenario: 'flow' };

function DataSummary({ data }: { data: unknown }) {
  if (data === null || data === undefined) return null;
  if (typeof data !== 'object' || Array.isArray(data)) return <code className="small">{JSON.stringify(data)}</code>;
  const entries = Object.entries(data as Record<string, unknown>);
  if (!entries.length) return null;
  return (
    <div className="chips">
      {entries.slice(0, 8).map(([k, v]) => (
        <span className="chip" key={k}>
          <span className="chip__key">{k}</span> {typeof v === 'string' ? v : JSON.stringify(v)}
        </span>
      ))}
      {entries.length > 8 && <span className="chip chip--more">+{entries.length - 8} more</span>}
    </div>
  );
}

/** The profile's one stream of what happened, newest first, loaded a page at a time. */
export function Timeline({ profileId }: { profileId: string }) {
  const tl = useInfiniteQuery({
    queryKey: ['profile', profileId, 'timeline'],
    queryFn: ({ pageParam, signal }) => api.get<Page<TimelineEntry>>(`/profiles/${profileId}/timeline`, { limit: 25, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  if (tl.isPending) return <Spinner />;
  if (tl.isError) return <ErrorState error={tl.error} />;
  const items = tl.data.pages.flatMap((p) => p.items);
  if (!items.length)
    return (
      <Empty icon={<Icon name="clock" size={28} />} title="Nothing has happened yet">
        Events, messages, points and orders of this profile will show here.
      </Empty>
    );
  return (
    <>
      <ol className="timeline">
        {items.map((e) => (
          <li key={`${e.kind}:${e.id}`} className="timeline__item" data-kind={e.kind}>
            <span className={`timeline__dot timeline__dot--${e.kind}`}>
              <Icon name={KIND_ICON[e.kind] ?? 'bolt'} size={14} />
            </span>
            <div className="timeline__body">
              <div className="timeline__head">
                <span className="timeline__title">{e.title}</span>
                <Badge>{e.kind}</Badge>
                <span className="timeline__time">
                  <Time iso={e.at} />
                </span>
              </div>
              <DataSummary data={e.data} />
            </div>
          </li>
        ))}
      </ol>
      {tl.hasNextPage && (
        <div className="card__footer">
          <Button onClick={() => void tl.fetchNextPage()} busy={tl.isFetchingNextPage}>
            Load older entries
          </Button>
        </div>
      )}
    </>
  );
}
