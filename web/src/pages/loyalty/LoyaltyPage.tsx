import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { Icon } from '../../components/icons';
import { Button, Card, Empty, ErrorState, formatMoney, Modal, PageHeader, Spinner, Tabs, Time } from '../../components/ui';
import { useAllPrograms } from './api';
import type { Program } from './api';
import { Members } from './Members';
import { ProgramForm } from './ProgramForm';
import { ProgramOverview } from './ProgramOverview';
import { Promotions } from './Promotions';

function ProgramList() {
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const programs = useAllPrograms();
  return (
    <>
      <PageHeader
        title="Loyalty"
        subtitle="Programs with points, tiers and promotions. Points are lots that expire on their own dates; the ledger always sums to the balance."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            New program
          </Button>
        }
      />
      <Card className="card--flush" testId="program-list">
        {programs.isPending ? (
          <Spinner />
        ) : programs.isError ? (
          <ErrorState error={programs.error} />
        ) : programs.data.items.length === 0 ? (
          <Empty icon={<Icon name="star" size={28} />} title="No loyalty programs yet" />
        ) : (
          <table className="table table--hover">
            <thead>
              <tr>
                <th>Program</th>
                <th>Point value</th>
                <th>Tiers</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {programs.data.items.map((p) => (
                <tr key={p.id} className="clickable" data-program={p.name} onClick={() => navigate(`/loyalty/${p.id}`)}>
                  <td className="strong">
                    <Link to={`/loyalty/${p.id}`} onClick={(e) => e.stopPropagation()}>
                      {p.name}
                    </Link>
                  </td>
                  <td>{formatMoney(p.point_value, p.currency)}</td>
                  <td>{p.tiers.map((t) => t.name).join(' · ') || '—'}</td>
                  <td>
                    <Time iso={p.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {creating && (
        <Modal title="New loyalty program" onClose={() => setCreating(false)} wide>
          <div data-testid="program-form">
            <ProgramForm onSaved={(p) => navigate(`/loyalty/${p.id}`)} />
          </div>
        </Modal>
      )}
    </>
  );
}

type Tab = 'overview' | 'members' | 'promotions';

function ProgramScreen() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = (params.get('tab') as Tab) ?? 'overview';
  const program = useQuery({ queryKey: ['loyalty', 'programs', id], queryFn: ({ signal }) => api.get<Program>(`/loyalty/programs/${id}`, undefined, signal) });
  if (program.isPending) return <Spinner />;
  if (program.isError) return <ErrorState error={program.error} />;
  const p = program.data;
  return (
    <>
      <PageHeader back={<Link to="/loyalty">← Loyalty</Link>} title={p.name} subtitle={`${p.currency} · 1 point = ${formatMoney(p.point_value, p.currency)}`} />
      <Tabs<Tab>
        label="Program"
        active={tab}
        onChange={(t) => setParams({ tab: t }, { replace: true })}
        tabs={[
          { id: 'overview', label: 'Overview' },
          { id: 'members', label: 'Members' },
          { id: 'promotions', label: 'Promotions' },
        ]}
      />
      {tab === 'overview' && <ProgramOverview program={p} />}
      {tab === 'members' && <Members program={p} />}
      {tab === 'promotions' && <Promotions program={p} />}
    </>
  );
}

export default function LoyaltyPage() {
  return (
    <Routes>
      <Route index element={<ProgramList />} />
      <Route path=":id" element={<ProgramScreen />} />
    </Routes>
  );
}
