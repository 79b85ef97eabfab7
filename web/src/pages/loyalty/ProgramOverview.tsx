import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { Chart } from '../../components/Chart';
import { Card, ErrorState, formatMoney, KeyValues, Spinner, Stats } from '../../components/ui';
import type { Program, Report } from './api';

const dayStart = (d: Date) => d.toISOString().slice(0, 10);

/** Settings, tiers and the report of a period with charts: points by kind and members per tier. */
export function ProgramOverview({ program: p }: { program: Program }) {
  const [from, setFrom] = useState(() => dayStart(new Date(Date.now() - 30 * 86400_000)));
  const [to, setTo] = useState(() => dayStart(new Date(Date.now() + 86400_000)));
  const report = useQuery({
    queryKey: ['loyalty', p.id, 'report', from, to],
    queryFn: ({ signal }) => api.get<Report>(`/loyalty/programs/${p.id}/report`, { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` }, signal),
    refetchInterval: 10_000,
  });
  const r = report.data;
  return (
    <div className="grid grid--aside">
      <div className="stack">
        <Card
          title="Report"
          testId="loyalty-report"
          actions={
            <span className="row">
              <input className="input input--auto" type="date" aria-label="Report from" value={from} onChange={(e) => setFrom(e.target.value)} />
              <span className="muted">to</span>
              <input className="input input--auto" type="date" aria-label="Report to" value={to} onChange={(e) => setTo(e.target.value)} />
            </span>
          }
        >
          {report.isPending ? (
            <Spinner />
          ) : report.isError ? (
            <ErrorState error={report.error} />
          ) : (
            r && (
              <div className="stack">
                <Stats
                  items={[
                    { label: 'members', value: r.members.toLocaleString() },
                    { label: 'new members', value: r.new_members.toLocaleString() },
                    { label: 'orders', value: r.orders.toLocaleString() },
                    { label: 'revenue', value: formatMoney(r.revenue, p.currency) },
                    { label: 'discounts', value: formatMoney(r.discount_total, p.currency) },
                  ]}
                />
                <div className="chart-pair">
                  <div>
                    <div className="section-title">Points in the period</div>
                    <Chart
                      kind="bar"
                      label="Points accrued, redeemed, expired and reversed"
                      data={[
                        { name: 'accrued', value: r.points.accrued, color: '#059669' },
                        { name: 'redeemed', value: r.points.redeemed, color: '#d97706' },
                        { name: 'expired', value: r.points.expired, color: '#94a3b8' },
                        { name: 'reversed', value: r.points.reversed, color: '#dc2626' },
                      ]}
                    />
                  </div>
                  <div>
                    <div className="section-title">Members per tier</div>
                    {r.tiers.length ? <Chart kind="pie" label="Members per tier" data={r.tiers.map((t) => ({ name: t.name, value: t.members }))} /> : <p className="muted">No tiers.</p>}
                  </div>
                </div>
                {r.promotions.length > 0 && (
                  <table className="table table--compact">
                    <thead>
                      <tr>
                        <th>Promotion</th>
                        <th className="num">Applied</th>
                        <th className="num">Discount</th>
                        <th className="num">Points</th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.promotions.map((x) => (
                        <tr key={x.id}>
                          <td>{x.name}</td>
                          <td className="num">{x.applied}</td>
                          <td className="num">{formatMoney(x.discount, p.currency)}</td>
                          <td className="num">{x.points}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
            )
          )}
        </Card>
      </div>
      <div className="stack">
        <Card title="Settings" testId="program-settings">
          <KeyValues
            rows={[
              ['Currency', p.currency],
              ['Point value', formatMoney(p.point_value, p.currency)],
              ['Rounding', p.points_rounding],
              ['Welcome points', p.welcome_points],
              ['Points expire', p.points_ttl ?? 'never'],
              ['Pending for', p.accrual_hold ?? 'no hold'],
              ['Points pay at most', `${Math.round(p.redeem_max_share * 100)}% of an order`],
              ['Tier window', p.tier_window],
              ['Expiry notice', p.expiry_notice],
            ]}
          />
        </Card>
        <Card title="Tiers" className="card--flush">
          {p.tiers.length ? (
            <table className="table table--compact" data-testid="program-tiers">
              <thead>
                <tr>
                  <th>Tier</th>
                  <th className="num">From spend</th>
                  <th className="num">Points ×</th>
                </tr>
              </thead>
              <tbody>
                {p.tiers.map((t) => (
                  <tr key={t.name}>
                    <td className="strong">{t.name}</td>
                    <td className="num">{formatMoney(t.min_spend, p.currency)}</td>
                    <td className="num">{t.accrual_multiplier}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted card__pad">No tiers.</p>
          )}
        </Card>
      </div>
    </div>
  );
}
