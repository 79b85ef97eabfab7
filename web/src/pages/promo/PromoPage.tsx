import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Route, Routes, useNavigate, useParams } from 'react-router';
import { api, download } from '../../api/client';
import { useCursorPages } from '../../api/hooks';
import type { Job } from '../../api/types';
import { Chart } from '../../components/Chart';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, KeyValues, Modal, PageHeader, Pager, Spinner, Tabs, Time } from '../../components/ui';
import { JobProgress } from '../jobs/JobProgress';
import { CODE_STATUSES, useStatusCounts, type Code, type CodeStatus, type Pool } from './api';
import { PoolForm } from './PoolForm';

const generatorText = (p: Pool) => (!p.generator ? 'none (imported codes)' : 'template' in p.generator ? p.generator.template : `remote: ${p.generator.remote.url}`);

function PoolList() {
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const { list, page, hasNext, next, prev } = useCursorPages<Pool>(['promo', 'pools', 'list'], '/promo/pools', {}, 50);
  return (
    <>
      <PageHeader
        title="Promo codes"
        subtitle="Pools of codes: generated from a template, fetched from your system, or imported. Messages hand them out as {{ promo.<template name> }}."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            New pool
          </Button>
        }
      />
      <Card className="card--flush" testId="pool-list">
        {list.isPending ? (
          <Spinner />
        ) : list.isError ? (
          <ErrorState error={list.error} />
        ) : list.data.items.length === 0 && page === 0 ? (
          <Empty icon={<Icon name="ticket" size={28} />} title="No code pools yet" />
        ) : (
          <>
            <table className="table table--hover">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>In templates</th>
                  <th>Generator</th>
                  <th>Capacity</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((p) => (
                  <tr key={p.id} className="clickable" data-pool={p.name} onClick={() => navigate(`/promo/${p.id}`)}>
                    <td className="strong">
                      <Link to={`/promo/${p.id}`} onClick={(e) => e.stopPropagation()}>
                        {p.name}
                      </Link>
                    </td>
                    <td>
                      <code>{`{{ promo.${p.template_name} }}`}</code>
                    </td>
                    <td className="muted">{generatorText(p)}</td>
                    <td className="num">{p.capacity ? BigInt(p.capacity).toLocaleString() : '—'}</td>
                    <td>
                      <Badge>{p.status}</Badge>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
          </>
        )}
      </Card>
      {creating && (
        <Modal title="New code pool" onClose={() => setCreating(false)} wide>
          <div data-testid="pool-form">
            <PoolForm onSaved={(p) => navigate(`/promo/${p.id}`)} />
          </div>
        </Modal>
      )}
    </>
  );
}

function Generate({ pool, onDone }: { pool: Pool; onDone: () => void }) {
  const [jobId, setJobId] = useState<string | null>(null);
  const form = useApiForm({
    initial: { count: '1000' },
    submit: (v) => api.post<{ job_id: string }>(`/promo/pools/${pool.id}/generate`, { count: /^\d+$/.test(v.count) ? Number(v.count) : v.count }, { async: true }),
    onSuccess: (r) => setJobId(r.job_id),
  });
  return (
    <div className="stack" data-testid="pool-generate">
      <ApiFormView form={form} className="form form--row">
        <Field name="count" label="How many codes" hint={pool.capacity ? `The template can make ${BigInt(pool.capacity).toLocaleString()} distinct codes` : undefined}>
          <input {...form.bind('count')} className="input" inputMode="numeric" />
        </Field>
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={form.submitting} disabled={!pool.generator}>
            Generate
          </Button>
        </div>
        <FormProblem />
      </ApiFormView>
      {!pool.generator && <div className="muted small">This pool has no generator: import its codes instead.</div>}
      {jobId && <JobProgress key={jobId} id={jobId} onDone={(j: Job) => j.status === 'done' && onDone()} />}
    </div>
  );
}

interface ImportOutcome {
  added: number;
  duplicates: number;
  invalid: number;
  errors: { row: number; message: string }[];
}

function Import({ pool, onDone }: { pool: Pool; onDone: (r: ImportOutcome) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const form = useApiForm({
    initial: { file: '', column: '' },
    validate: () => (file ? [] : [{ path: 'file', message: 'choose a CSV or XLSX file' }]),
    fieldOf: (p) => (p === 'file' || p === '(body)' ? 'file' : p.replace(/^query\./, '') === 'column' ? 'column' : undefined),
    submit: (v) => {
      const xlsx = /\.xlsx$/i.test(file!.name);
      return api.upload<ImportOutcome>(
        `/promo/pools/${pool.id}/import`,
        new Blob([file!], { type: xlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv' }),
        { column: v.column || undefined, format: xlsx ? 'xlsx' : 'csv' },
      );
    },
    onSuccess: onDone,
  });
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="file" label="CSV or XLSX file" hint="One code a row; more columns become the code's fields">
          <input id={`${form.id}-file`} type="file" accept=".csv,.xlsx,text/csv" className="input" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </Field>
        <Field name="column" label="Code column" hint="The first column when empty">
          <input {...form.bind('column')} className="input" placeholder="code" />
        </Field>
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" busy={form.submitting}>
          Import codes
        </Button>
      </div>
    </ApiFormView>
  );
}

function ImportResult({ r }: { r: ImportOutcome }) {
  return (
    <div className="alert alert--success" data-testid="import-result">
      {r.added} added, {r.duplicates} duplicates, {r.invalid} invalid
      {r.errors.length > 0 && (
        <ul>
          {r.errors.slice(0, 50).map((e, i) => (
            <li key={i}>
              row {e.row}: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Export({ pool }: { pool: Pool }) {
  const toast = useToast();
  const form = useApiForm({
    initial: { fields: 'email,phone' },
    fieldOf: (p) => (p.replace(/^query\./, '') === 'fields' ? 'fields' : undefined),
    submit: (v) => download(`/promo/pools/${pool.id}/export`, { fields: v.fields || undefined }, `${pool.template_name}-codes.csv`),
    onSuccess: (bytes) => toast(`Exported ${bytes.toLocaleString()} bytes of CSV.`),
  });
  return (
    <ApiFormView form={form} className="form form--row">
      <Field name="fields" label="Profile fields per code" hint="email, phone, external_id, fields.first_name, …">
        <input {...form.bind('fields')} className="input" />
      </Field>
      <div className="form__actions">
        <Button type="submit" busy={form.submitting}>
          <Icon name="upload" size={16} /> Export CSV
        </Button>
      </div>
      <FormProblem />
    </ApiFormView>
  );
}

function Codes({ pool }: { pool: Pool }) {
  const [status, setStatus] = useState<CodeStatus | ''>('');
  const client = useQueryClient();
  const { list, page, hasNext, next, prev, reset } = useCursorPages<Code>(['promo', 'pools', pool.id, 'codes'], `/promo/pools/${pool.id}/codes`, { status: status || undefined }, 20);
  const del = useMutation({
    mutationFn: (code: string) => api.delete(`/promo/pools/${pool.id}/codes/${encodeURIComponent(code)}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['promo', 'pools', pool.id] }),
  });
  return (
    <>
      <div className="card__toolbar">
        <Tabs
          label="Code status"
          active={status || 'all'}
          onChange={(s) => {
            setStatus(s === 'all' ? '' : (s as CodeStatus));
            reset();
          }}
          tabs={[{ id: 'all', label: 'All' }, ...CODE_STATUSES.map((s) => ({ id: s, label: s }))]}
        />
      </div>
      {list.isPending ? (
        <Spinner />
      ) : list.isError ? (
        <ErrorState error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty title={status ? `No ${status} codes.` : 'No codes yet: generate or import some.'} />
      ) : (
        <>
          <table className="table table--compact" data-testid="code-table">
            <thead>
              <tr>
                <th>Code</th>
                <th>Status</th>
                <th>Profile</th>
                <th>Issued</th>
                <th>Expires</th>
                <th>Redeemed</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.code} data-code={c.code}>
                  <td>
                    <code>{c.code}</code>
                  </td>
                  <td>
                    <Badge>{c.status}</Badge>
                  </td>
                  <td>{c.profile_id ? <Link to={`/profiles/${c.profile_id}`}>profile</Link> : <span className="muted">—</span>}</td>
                  <td>
                    <Time iso={c.issued_at} />
                  </td>
                  <td>
                    <Time iso={c.expires_at} />
                  </td>
                  <td>
                    <Time iso={c.redeemed_at} />
                  </td>
                  <td className="actions">
                    {(c.status === 'available' || c.status === 'issued') && (
                      <Button variant="ghost" onClick={() => del.mutate(c.code)} aria-label={`Delete ${c.code}`}>
                        Delete
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
        </>
      )}
    </>
  );
}

const STATUS_COLORS: Record<CodeStatus, string> = { available: '#4f46e5', issued: '#d97706', redeemed: '#059669', expired: '#94a3b8', deleted: '#dc2626' };

function StatusChart({ pool }: { pool: Pool }) {
  const counts = useStatusCounts(pool.id);
  if (counts.isPending) return <Spinner />;
  if (counts.isError) return <ErrorState error={counts.error} />;
  const data = counts.data.filter((c) => c.count > 0).map((c) => ({ name: c.status, value: c.count, color: STATUS_COLORS[c.status] }));
  if (!data.length) return <Empty title="No codes yet." />;
  return (
    <>
      <Chart kind="pie" label="Codes by status" data={data} height={200} />
      {counts.data.some((c) => c.more) && <div className="muted small">Counts stop at 10,000 codes a status.</div>}
    </>
  );
}

function PoolDetail() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [imported, setImported] = useState<ImportOutcome | null>(null);
  const pool = useQuery({ queryKey: ['promo', 'pools', id], queryFn: ({ signal }) => api.get<Pool>(`/promo/pools/${id}`, undefined, signal) });
  const refresh = () => void client.invalidateQueries({ queryKey: ['promo', 'pools', id] });
  const toggle = useMutation({
    mutationFn: (p: Pool) => api.post<Pool>(`/promo/pools/${p.id}/${p.status === 'active' ? 'pause' : 'resume'}`),
    onSuccess: (p) => {
      toast(p.status === 'paused' ? 'Pool paused: no issuing, generating or redeeming.' : 'Pool resumed.');
      refresh();
    },
  });
  if (pool.isPending) return <Spinner />;
  if (pool.isError) return <ErrorState error={pool.error} />;
  const p = pool.data;
  return (
    <>
      <PageHeader
        back={<Link to="/promo">← Promo codes</Link>}
        title={p.name}
        subtitle={
          <>
            <Badge>{p.status}</Badge> <code>{`{{ promo.${p.template_name} }}`}</code>
          </>
        }
        actions={
          <>
            <Button onClick={() => setEditing(true)}>Settings</Button>
            <Button busy={toggle.isPending} onClick={() => toggle.mutate(p)}>
              {p.status === 'active' ? 'Pause' : 'Resume'}
            </Button>
          </>
        }
      />
      <div className="grid grid--aside">
        <div className="stack">
          <Card title="Generate codes">
            <Generate
              pool={p}
              onDone={() => {
                refresh();
              }}
            />
          </Card>
          <Card title="Import codes" testId="pool-import">
            <Import
              pool={p}
              onDone={(r) => {
                setImported(r);
                refresh();
              }}
            />
            {imported && <ImportResult r={imported} />}
          </Card>
          <Card title="Export" testId="pool-export">
            <Export pool={p} />
          </Card>
        </div>
        <div className="stack">
          <Card title="Codes by status" testId="pool-status-chart">
            <StatusChart pool={p} />
          </Card>
          <Card title="Settings">
            <KeyValues
              rows={[
                ['Generator', generatorText(p)],
                ['Capacity', p.capacity ? BigInt(p.capacity).toLocaleString() : null],
                ['Valid', p.valid_from || p.valid_to ? `${p.valid_from ? new Date(p.valid_from).toLocaleDateString() : '…'} – ${p.valid_to ? new Date(p.valid_to).toLocaleDateString() : '…'}` : 'always'],
                ['Code lifetime', p.code_ttl],
                ['Max codes', p.max_codes?.toLocaleString()],
                ['Shared code', p.multi_profile ? 'yes' : 'no'],
                ['Made on issue', [p.scenario_can_create && 'scenarios', p.campaign_can_create && 'campaigns'].filter(Boolean).join(', ') || 'no'],
                ['Custom fields', p.custom_fields.join(', ')],
              ]}
            />
          </Card>
        </div>
      </div>
      <Card title="Codes" className="card--flush" testId="pool-codes">
        <Codes pool={p} />
      </Card>
      {editing && (
        <Modal title={`Settings of ${p.name}`} onClose={() => setEditing(false)} wide>
          <div data-testid="pool-form">
            <PoolForm
              pool={p}
              onSaved={() => {
                setEditing(false);
                refresh();
              }}
            />
          </div>
        </Modal>
      )}
    </>
  );
}

export default function PromoPage() {
  return (
    <Routes>
      <Route index element={<PoolList />} />
      <Route path=":id" element={<PoolDetail />} />
    </Routes>
  );
}
