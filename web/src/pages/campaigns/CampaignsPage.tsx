import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Route, Routes, useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import { useCursorPages } from '../../api/hooks';
import { toProfileRef } from '../../api/refs';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, KeyValues, PageHeader, Pager, Spinner, Time } from '../../components/ui';
import { MessagesTable } from '../messages/MessagesTable';
import { useAllSegments } from '../segments/api';
import { useAllTemplates } from '../templates/api';
import type { Campaign, Recipient } from './api';
import { CampaignForm } from './CampaignForm';
import { CampaignStats } from './CampaignStats';

const STATUS_TONE: Record<string, string> = { scheduled: 'blue', running: 'green', completed: 'violet', canceled: 'red' };

function CampaignList() {
  const navigate = useNavigate();
  const { list, page, hasNext, next, prev } = useCursorPages<Campaign>(['campaigns', 'list'], '/campaigns', {}, 20);
  return (
    <>
      <PageHeader
        title="Campaigns"
        subtitle="Broadcasts to segments now or at a date, regular mailings on a schedule, and trigger mailings sent through the API; A/B variants and control groups."
        actions={
          <Button variant="primary" onClick={() => navigate('/campaigns/new')}>
            New campaign
          </Button>
        }
      />
      <Card className="card--flush" testId="campaign-list">
        {list.isPending ? (
          <Spinner />
        ) : list.isError ? (
          <ErrorState error={list.error} />
        ) : list.data.items.length === 0 && page === 0 ? (
          <Empty icon={<Icon name="megaphone" size={28} />} title="No campaigns yet" />
        ) : (
          <>
            <table className="table table--hover">
              <thead>
                <tr>
                  <th>Campaign</th>
                  <th>Kind</th>
                  <th>Channel</th>
                  <th>Status</th>
                  <th>Next run</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((c) => (
                  <tr key={c.id} className="clickable" data-campaign={c.name} onClick={() => navigate(`/campaigns/${c.id}`)}>
                    <td className="strong">
                      <Link to={`/campaigns/${c.id}`} onClick={(e) => e.stopPropagation()}>
                        {c.name}
                      </Link>
                      {c.variants.length > 1 && <Badge tone="violet">A/B</Badge>}
                    </td>
                    <td>{c.kind}</td>
                    <td>{c.channel}</td>
                    <td>
                      <Badge tone={STATUS_TONE[c.status]}>{c.status}</Badge>
                    </td>
                    <td>
                      <Time iso={c.next_run_at} />
                    </td>
                    <td>
                      <Time iso={c.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
          </>
        )}
      </Card>
    </>
  );
}

function NewCampaign() {
  const navigate = useNavigate();
  return (
    <>
      <PageHeader back={<Link to="/campaigns">← Campaigns</Link>} title="New campaign" subtitle="Saved as a draft; start it from its page." />
      <Card testId="campaign-form">
        <CampaignForm onSaved={(c) => navigate(`/campaigns/${c.id}`)} />
      </Card>
    </>
  );
}

/** A trigger campaign sends to one profile when asked (POST /campaigns/{id}/send). */
function TriggerSend({ campaign }: { campaign: Campaign }) {
  const client = useQueryClient();
  const [result, setResult] = useState<string | null>(null);
  const form = useApiForm({
    initial: { profile: '' },
    validate: (v) => (v.profile.trim() ? [] : [{ path: 'profile', message: 'enter the customer (email, phone or profile id)' }]),
    submit: (v) =>
      api.post<{ status: string; reason: string | null; skipped?: string; duplicate: boolean }>(`/campaigns/${campaign.id}/send`, { profile: toProfileRef(v.profile) }).catch((err: unknown) => {
        // An unknown customer is the profile field's fault.
        if (err instanceof ApiError && err.status === 404) throw new ApiError({ ...err.problem, errors: [{ path: 'profile', message: 'no profile matches this' }] });
        throw err;
      }),
    onSuccess: (r) => {
      setResult(r.status === 'queued' ? 'Queued.' : `Skipped: ${r.skipped ?? r.reason ?? 'no reason given'}.`);
      void client.invalidateQueries({ queryKey: ['campaigns', campaign.id] });
      void client.invalidateQueries({ queryKey: ['messages'] });
    },
  });
  return (
    <ApiFormView form={form}>
      <Field name="profile" label="Profile">
        <input {...form.bind('profile')} className="input" placeholder="anna@example.com" />
      </Field>
      <FormProblem />
      <div className="form__actions">
        {result && <span className="muted" data-testid="send-result">{result}</span>}
        <Button type="submit" variant="primary" busy={form.submitting}>
          Send now
        </Button>
      </div>
    </ApiFormView>
  );
}

function Recipients({ campaign, live }: { campaign: Campaign; live: boolean }) {
  const { list, page, hasNext, next, prev } = useCursorPages<Recipient>(['campaigns', campaign.id, 'recipients'], `/campaigns/${campaign.id}/recipients`, {}, 20, live ? 2000 : undefined);
  if (list.isPending) return <Spinner />;
  if (list.isError) return <ErrorState error={list.error} />;
  if (!list.data.items.length && page === 0) return <Empty title="No recipients yet: the audience is taken when the campaign runs." />;
  return (
    <>
      <table className="table table--compact" data-testid="campaign-recipients">
        <thead>
          <tr>
            <th>Profile</th>
            <th>Group</th>
            <th>Variant</th>
            <th>Status</th>
            <th>Why</th>
            <th>Done</th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((r) => (
            <tr key={`${r.run_id}:${r.profile_id}`}>
              <td>
                <Link to={`/profiles/${r.profile_id}`} title={r.profile_id}>…{r.profile_id.slice(-8)}</Link>
              </td>
              <td>{r.group}</td>
              <td>{r.variant === null ? '—' : String.fromCharCode(65 + r.variant)}</td>
              <td>
                <Badge>{r.status}</Badge> {r.deferred && <Badge tone="amber">deferred</Badge>}
              </td>
              <td className="muted small">{r.reason ?? ''}</td>
              <td>
                <Time iso={r.done_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
    </>
  );
}

const ACTIONS: { action: 'start' | 'pause' | 'resume' | 'cancel'; label: string; from: string[]; variant: 'primary' | 'secondary' | 'danger' }[] = [
  { action: 'start', label: 'Start', from: ['draft'], variant: 'primary' },
  { action: 'pause', label: 'Pause', from: ['scheduled', 'running'], variant: 'secondary' },
  { action: 'resume', label: 'Resume', from: ['paused'], variant: 'primary' },
  { action: 'cancel', label: 'Cancel campaign', from: ['draft', 'scheduled', 'running', 'paused'], variant: 'danger' },
];

function CampaignScreen() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const templates = useAllTemplates();
  const segments = useAllSegments();
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const campaign = useQuery({
    queryKey: ['campaigns', id],
    queryFn: ({ signal }) => api.get<Campaign>(`/campaigns/${id}`, undefined, signal),
    refetchInterval: (q) => (q.state.data && ['scheduled', 'running'].includes(q.state.data.status) ? 2000 : false),
  });
  const act = useMutation({
    mutationFn: (action: string) => api.post<Campaign>(`/campaigns/${id}/${action}`),
    onMutate: () => setRefusal(null),
    onSuccess: (c) => {
      client.setQueryData(['campaigns', id], c);
      void client.invalidateQueries({ queryKey: ['campaigns'] });
      toast(`Campaign ${c.status}.`);
    },
    onError: (err) => setRefusal(err instanceof ApiError ? err : null),
  });
  const del = useMutation({
    mutationFn: () => api.delete(`/campaigns/${id}`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['campaigns'] });
      navigate('/campaigns');
    },
    onError: (err) => setRefusal(err instanceof ApiError ? err : null),
  });
  if (campaign.isPending) return <Spinner />;
  if (campaign.isError) return <ErrorState error={campaign.error} />;
  const c = campaign.data;
  const live = ['scheduled', 'running'].includes(c.status);
  const templateName = (tid: string) => templates.data?.items.find((t) => t.id === tid)?.name ?? tid;
  const segmentName = (sid: string) => segments.data?.items.find((s) => s.id === sid)?.name ?? sid;
  return (
    <>
      <PageHeader
        back={<Link to="/campaigns">← Campaigns</Link>}
        title={c.name}
        subtitle={`${c.kind} · ${c.channel}`}
        actions={
          <div className="row" data-testid="campaign-bar">
            <Badge tone={STATUS_TONE[c.status]}>{c.status}</Badge>
            {ACTIONS.filter((a) => a.from.includes(c.status)).map((a) => (
              <Button key={a.action} variant={a.variant} busy={act.isPending && act.variables === a.action} onClick={() => act.mutate(a.action)}>
                {a.label}
              </Button>
            ))}
            {c.status === 'draft' && (
              <Button variant="ghost" busy={del.isPending} onClick={() => del.mutate()}>
                Delete
              </Button>
            )}
          </div>
        }
      />
      {refusal && (
        <div className="alert alert--error" role="alert" data-testid="campaign-problem">
          <strong>{refusal.problem.detail || refusal.problem.title}</strong>
          {refusal.problem.errors?.length ? (
            <ul>
              {refusal.problem.errors.map((e, i) => (
                <li key={i}>
                  <code>{e.path}</code> {e.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      )}
      <div className="grid grid--aside">
        <div className="stack">
          <CampaignStats campaign={c} live={live} />
          <Card title="Recipients" className="card--flush">
            <Recipients campaign={c} live={live} />
          </Card>
          <Card title="Messages" className="card--flush">
            <MessagesTable query={{ campaign_id: c.id }} refetchInterval={live ? 2000 : 5000} testId="campaign-messages" />
          </Card>
        </div>
        <div className="stack">
          <Card title="Definition">
            <KeyValues
              testId="campaign-definition"
              rows={[
                ['Templates', c.variants.map((v, i) => `${c.variants.length > 1 ? `${String.fromCharCode(65 + i)}: ` : ''}${templateName(v.template_id)}${c.variants.length > 1 ? ` ×${v.weight}` : ''}`).join(' · ')],
                ['Audience', c.audience ? c.audience.segment_ids.map(segmentName).join(', ') : 'API sends'],
                ['Excluded', c.audience?.exclude_segment_ids?.map(segmentName).join(', ')],
                ['Schedule', c.schedule ? ('at' in c.schedule ? <Time iso={c.schedule.at} /> : `${c.schedule.cron} (${c.schedule.timezone})`) : c.kind === 'broadcast' ? 'when started' : null],
                ['Control group', c.control_percent ? `${c.control_percent}%` : null],
                ['Throttle', c.throttle ? `${c.throttle.per_minute} per minute` : null],
                ['Winner', c.winner_selection ? `${c.winner_selection.test_percent}% test, by ${c.winner_selection.metric} after ${c.winner_selection.window}` : null],
                ['Goal', c.goal ? `${c.goal.event} within ${c.goal.within}` : null],
                ['Started', <Time key="s" iso={c.started_at} />],
                ['Completed', <Time key="c" iso={c.completed_at} />],
              ]}
            />
          </Card>
          {c.kind === 'trigger' && ['running', 'paused'].includes(c.status) && (
            <Card title="Send to a profile" testId="trigger-send">
              <TriggerSend campaign={c} />
            </Card>
          )}
        </div>
      </div>
    </>
  );
}

export default function CampaignsPage() {
  return (
    <Routes>
      <Route index element={<CampaignList />} />
      <Route path="new" element={<NewCampaign />} />
      <Route path=":id" element={<CampaignScreen />} />
    </Routes>
  );
}
