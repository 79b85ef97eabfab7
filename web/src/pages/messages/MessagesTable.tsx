import { useCursorPages } from '../../api/hooks';
import type { Query } from '../../api/client';
import { Badge, Empty, ErrorState, Pager, Spinner, Time } from '../../components/ui';

export interface Message {
  id: string;
  profile_id: string;
  channel: string;
  to: string | null;
  subject: string | null;
  status: 'queued' | 'sent' | 'failed' | 'suppressed' | 'skipped';
  reason: string | null;
  deferred_reason: string | null;
  scheduled_at: string | null;
  template_id: string | null;
  scenario_id: string | null;
  node_id: string | null;
  campaign_id: string | null;
  created_at: string;
  sent_at: string | null;
  opened_at: string | null;
  clicked_at: string | null;
  clicks: number;
}

/** GET /messages with filters, a page at a time: what was sent, skipped or failed and why, and who opened and clicked. */
export function MessagesTable({ query, refetchInterval, testId = 'message-list' }: { query: Query; refetchInterval?: number; testId?: string }) {
  const { list, page, hasNext, next, prev } = useCursorPages<Message>(['messages'], '/messages', query, 25, refetchInterval);
  if (list.isPending) return <Spinner />;
  if (list.isError) return <ErrorState error={list.error} />;
  if (!list.data.items.length && page === 0) return <Empty title="No messages match." />;
  return (
    <div data-testid={testId}>
      <table className="table table--compact">
        <thead>
          <tr>
            <th>To</th>
            <th>Channel</th>
            <th>Subject</th>
            <th>Status</th>
            <th>Sent</th>
            <th>Opened</th>
            <th>Clicked</th>
            <th className="num">Clicks</th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((m) => (
            <tr key={m.id} data-message={m.id} data-to={m.to ?? ''}>
              <td className="strong">{m.to ?? <span className="muted">—</span>}</td>
              <td>{m.channel}</td>
              <td>{m.subject ?? <span className="muted">—</span>}</td>
              <td>
                <Badge>{m.status}</Badge>
                {(m.reason || m.deferred_reason) && <div className="muted small">{m.reason ?? m.deferred_reason}</div>}
              </td>
              <td>
                <Time iso={m.sent_at} />
              </td>
              <td data-testid="message-opened">
                <Time iso={m.opened_at} />
              </td>
              <td data-testid="message-clicked">
                <Time iso={m.clicked_at} />
              </td>
              <td className="num" data-testid="message-clicks">
                {m.clicks}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
    </div>
  );
}
