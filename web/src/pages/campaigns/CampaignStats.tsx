import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { Chart } from '../../components/Chart';
import { Badge, Card, ErrorState, Spinner, Stats } from '../../components/ui';
import { engagementOf, type Campaign, type CampaignStats as StatsData } from './api';

const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 1000) / 10}%` : '—');

/** GET /campaigns/{id}/stats and the opens and clicks of its messages, refreshed while the campaign sends. */
export function CampaignStats({ campaign, live }: { campaign: Campaign; live: boolean }) {
  const interval = live ? 1500 : false;
  const stats = useQuery({ queryKey: ['campaigns', campaign.id, 'stats'], queryFn: ({ signal }) => api.get<StatsData>(`/campaigns/${campaign.id}/stats`, undefined, signal), refetchInterval: interval });
  const engagement = useQuery({ queryKey: ['campaigns', campaign.id, 'engagement'], queryFn: ({ signal }) => engagementOf(campaign.id, signal), refetchInterval: live ? 1500 : 5000 });
  if (stats.isPending) return <Spinner />;
  if (stats.isError) return <ErrorState error={stats.error} />;
  const s = stats.data;
  const e = engagement.data;
  const fig = (name: string, value: number | string) => <span data-testid={`stat-${name}`}>{value}</span>;
  return (
    <div className="stack" data-testid="campaign-stats">
      <Card title="Delivery">
        <Stats
          items={[
            { label: 'audience', value: fig('audience', s.audience) },
            { label: 'sent', value: fig('sent', s.sent) },
            { label: 'skipped', value: fig('skipped', s.skipped.total) },
            { label: 'failed', value: fig('failed', s.failed), bad: s.failed > 0 },
            { label: `opened (${pct(e?.opened ?? 0, s.sent)})`, value: fig('opened', e?.opened ?? '…') },
            { label: `clicked (${pct(e?.clicked ?? 0, s.sent)})`, value: fig('clicked', e?.clicked ?? '…') },
          ]}
        />
        <div className="muted small stats__more">
          {s.pending + s.queued} still to go · {s.deferred} deferred (frequency cap or quiet hours) · control group {s.control_group}
          {s.global_control_group ? ` · global control ${s.global_control_group}` : ''} · {s.runs} run{s.runs === 1 ? '' : 's'}
          {e?.partial ? ' · opens and clicks counted over the newest 1000 messages' : ''}
        </div>
        {Object.keys(s.skipped.by_reason).length > 0 && (
          <ul className="small" data-testid="skipped-reasons">
            {Object.entries(s.skipped.by_reason).map(([reason, n]) => (
              <li key={reason}>
                <code>{reason}</code>: {n}
              </li>
            ))}
          </ul>
        )}
        <Chart
          kind="bar"
          label="Sent, skipped, opened and clicked"
          height={180}
          data={[
            { name: 'sent', value: s.sent },
            { name: 'skipped', value: s.skipped.total },
            { name: 'opened', value: e?.opened ?? 0 },
            { name: 'clicked', value: e?.clicked ?? 0 },
          ]}
        />
      </Card>
      {s.variants.length > 1 && (
        <Card title="Variants" className="card--flush">
          <table className="table table--compact" data-testid="campaign-variants">
            <thead>
              <tr>
                <th>Variant</th>
                <th className="num">Weight</th>
                <th className="num">Recipients</th>
                <th className="num">Sent</th>
                <th className="num">Skipped</th>
                <th className="num">Failed</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {s.variants.map((v) => (
                <tr key={v.variant}>
                  <td className="strong">{String.fromCharCode(65 + v.variant)}</td>
                  <td className="num">{v.weight}</td>
                  <td className="num">{v.recipients}</td>
                  <td className="num">{v.sent}</td>
                  <td className="num">{v.skipped}</td>
                  <td className="num">{v.failed}</td>
                  <td>{v.winner && <Badge tone="green">winner</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      {s.conversions && (
        <Card title={`Goal: ${s.conversions.event} within ${s.conversions.within}`}>
          <Stats
            items={[
              { label: `sent group (${s.conversions.sent.converted} of ${s.conversions.sent.profiles})`, value: pct(s.conversions.sent.converted, s.conversions.sent.profiles) },
              { label: `control group (${s.conversions.control.converted} of ${s.conversions.control.profiles})`, value: pct(s.conversions.control.converted, s.conversions.control.profiles) },
            ]}
          />
        </Card>
      )}
    </div>
  );
}
