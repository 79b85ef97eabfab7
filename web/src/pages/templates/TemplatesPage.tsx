import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Route, Routes, useNavigate, useParams } from 'react-router';
import { api, ApiError, type FieldError } from '../../api/client';
import { useCursorPages } from '../../api/hooks';
import { toProfileRef } from '../../api/refs';
import { CodeEditor } from '../../components/CodeEditor';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, PageHeader, Pager, Spinner, Time } from '../../components/ui';
import { TEMPLATE_CHANNELS, type Rendered, type Template, type TemplateChannel } from './api';

const STARTERS: Record<TemplateChannel, { body: string; format: Template['format'] }> = {
  email: {
    format: 'mjml',
    body: `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text font-size="20px">Hi {{ profile.fields.first_name | default: "friend" }},</mj-text>
        <mj-text>Thanks for being with us.</mj-text>
        <mj-button href="https://shop.example.com">Visit the shop</mj-button>
        <mj-text font-size="11px"><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`,
  },
  sms: { format: 'text', body: 'Hi {{ profile.fields.first_name | default: "friend" }}, your code: {{ promo.welcome_code }}' },
  push: { format: 'text', body: 'Your cart is waiting, {{ profile.fields.first_name | default: "friend" }}' },
  telegram: { format: 'text', body: '<b>Hi {{ profile.fields.first_name | default: "friend" }}</b>, you have {{ loyalty.balance }} points.' },
  webhook: { format: 'text', body: '{"profile_id": "{{ profile.id }}", "email": "{{ profile.email }}"}' },
};

/** Which optional fields each channel uses (the API refuses the others). */
const CHANNEL_FIELDS: Record<TemplateChannel, ('subject' | 'preheader' | 'from' | 'title' | 'url' | 'parse_mode')[]> = {
  email: ['subject', 'preheader', 'from'],
  sms: [],
  push: ['title', 'url'],
  telegram: ['parse_mode'],
  webhook: [],
};

function TemplateList() {
  const navigate = useNavigate();
  const [channel, setChannel] = useState('');
  const { list, page, hasNext, next, prev } = useCursorPages<Template>(['templates', 'list'], '/templates', { channel }, 50);
  return (
    <>
      <PageHeader
        title="Templates"
        subtitle="Message contents in Liquid (and MJML for responsive email), previewed for any customer."
        actions={
          <Button variant="primary" onClick={() => navigate('/templates/new')}>
            New template
          </Button>
        }
      />
      <Card
        className="card--flush"
        testId="template-list"
        title="All templates"
        actions={
          <select className="input input--auto" aria-label="Channel filter" value={channel} onChange={(e) => setChannel(e.target.value)}>
            <option value="">every channel</option>
            {TEMPLATE_CHANNELS.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        }
      >
        {list.isPending ? (
          <Spinner />
        ) : list.isError ? (
          <ErrorState error={list.error} />
        ) : list.data.items.length === 0 && page === 0 ? (
          <Empty icon={<Icon name="template" size={28} />} title="No templates yet" />
        ) : (
          <>
            <table className="table table--hover">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Channel</th>
                  <th>Subject / title</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((t) => (
                  <tr key={t.id} className="clickable" data-template={t.name} onClick={() => navigate(`/templates/${t.id}`)}>
                    <td className="strong">
                      <Link to={`/templates/${t.id}`} onClick={(e) => e.stopPropagation()}>
                        {t.name}
                      </Link>{' '}
                      {t.transactional && <Badge tone="violet">transactional</Badge>}
                    </td>
                    <td>
                      <Badge tone="blue">{t.channel}</Badge> <span className="muted small">{t.format}</span>
                    </td>
                    <td className="muted">{t.subject ?? t.title ?? '—'}</td>
                    <td>
                      <Time iso={t.updated_at} relative />
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

type Values = {
  name: string;
  channel: TemplateChannel;
  format: Template['format'];
  subject: string;
  preheader: string;
  from: string;
  title: string;
  url: string;
  parse_mode: string;
  body: string;
  transactional: boolean;
};

const valuesOf = (t?: Template): Values => ({
  name: t?.name ?? '',
  channel: t?.channel ?? 'email',
  format: t?.format ?? 'mjml',
  subject: t?.subject ?? (t ? '' : 'Hello {{ profile.fields.first_name | default: "friend" }}'),
  preheader: t?.preheader ?? '',
  from: t?.from ?? '',
  title: t?.title ?? '',
  url: t?.url ?? '',
  parse_mode: t?.parse_mode ?? '',
  body: t?.body ?? STARTERS.email.body,
  transactional: t?.transactional ?? false,
});

function bodyOf(v: Values) {
  const used = CHANNEL_FIELDS[v.channel];
  const out: Record<string, unknown> = { name: v.name, channel: v.channel, format: v.format, body: v.body, transactional: v.transactional };
  for (const f of used) if (v[f]) out[f] = v[f];
  return out;
}

/** Like a mail client, the preview loads nothing from the internet until asked: remote fonts, styles and images are held back. */
function withoutRemote(html: string): string {
  return html
    .replace(/<link\b[^>]*href=["']?https?:[^>]*>/gi, '')
    .replace(/@import\s+url\(\s*['"]?https?:[^)]*\)\s*;?/gi, '')
    .replace(/(<img\b[^>]*?)\bsrc=(["'])https?:/gi, '$1data-remote-src=$2http:');
}

function Preview({ template }: { template: Template }) {
  const [remote, setRemote] = useState(false);
  const [who, setWho] = useState('');
  const [data, setData] = useState('');
  const [err, setErr] = useState<FieldError[]>([]);
  const render = useMutation({
    mutationFn: () => {
      let parsed: unknown;
      if (data.trim()) parsed = JSON.parse(data);
      return api.post<Rendered>(`/templates/${template.id}/render`, { profile: toProfileRef(who), ...(parsed !== undefined ? { data: parsed } : {}) });
    },
    onMutate: () => setErr([]),
    onError: (e) =>
      setErr(e instanceof ApiError ? (e.problem.errors ?? [{ path: 'profile', message: e.problem.detail }]) : [{ path: 'data', message: `is not valid JSON (${e.message})` }]),
  });
  const r = render.data;
  return (
    <div className="stack" data-testid="template-preview">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          render.mutate();
        }}
      >
        <div className="field" data-field="profile">
          <label className="field__label" htmlFor="preview-profile">
            Preview for
          </label>
          <input id="preview-profile" className="input" placeholder="anna@example.com, +49…, or a profile id" value={who} onChange={(e) => setWho(e.target.value)} />
          {err.filter((e) => e.path.startsWith('profile')).map((e, i) => (
            <div className="field__error" key={i} role="alert">
              {e.message}
            </div>
          ))}
        </div>
        <div className="field" data-field="data">
          <label className="field__label" htmlFor="preview-data">
            Launch data (JSON, optional)
          </label>
          <input id="preview-data" className="input input--mono" placeholder={'{"cart": {"items": []}}'} value={data} onChange={(e) => setData(e.target.value)} />
          {err.filter((e) => !e.path.startsWith('profile')).map((e, i) => (
            <div className="field__error" key={i} role="alert">
              {e.path && e.path !== 'data' ? `${e.path}: ` : ''}
              {e.message}
            </div>
          ))}
        </div>
        <div className="form__actions">
          <Button type="submit" busy={render.isPending}>
            Render preview
          </Button>
        </div>
      </form>
      {r && (
        <div className="stack" data-testid="preview-result">
          {r.subject && <div className="preview-subject">{r.subject}</div>}
          {r.preheader && <div className="muted small">{r.preheader}</div>}
          {r.sms && (
            <div className="muted small">
              {r.sms.length} characters · {r.sms.segments} SMS segment{r.sms.segments === 1 ? '' : 's'} · {r.sms.encoding}
            </div>
          )}
          {template.channel === 'email' && (
            <label className="check small">
              <input type="checkbox" checked={remote} onChange={(e) => setRemote(e.target.checked)} /> Load remote images and fonts
            </label>
          )}
          {template.channel === 'email' ? <iframe title="Email preview" className="preview-frame" sandbox="" srcDoc={remote ? r.body : withoutRemote(r.body)} /> : <pre className="preview-text">{r.body}</pre>}
          {template.channel === 'email' && (
            <details>
              <summary className="small">Text part</summary>
              <pre className="preview-text">{r.text}</pre>
            </details>
          )}
        </div>
      )}
    </div>
  );
}

function TemplateEditor({ template }: { template?: Template }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const form = useApiForm({
    initial: valuesOf(template),
    submit: (v) => (template ? api.put<Template>(`/templates/${template.id}`, bodyOf(v)) : api.post<Template>('/templates', bodyOf(v))),
    onSuccess: (t) => {
      toast(`Template “${t.name}” saved.`);
      void client.invalidateQueries({ queryKey: ['templates'] });
      if (!template) navigate(`/templates/${t.id}`, { replace: true });
    },
  });
  const v = form.values;
  const used = CHANNEL_FIELDS[v.channel];
  const changeChannel = (c: TemplateChannel) => {
    form.set('channel', c);
    if (!template && v.body === STARTERS[v.channel].body) {
      form.set('body', STARTERS[c].body);
      form.set('format', STARTERS[c].format);
    } else if (c !== 'email' && v.format === 'mjml') form.set('format', 'text');
  };
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="name" label="Name">
          <input {...form.bind('name')} className="input" placeholder="cart_reminder" />
        </Field>
        <div className="form__pair">
          <Field name="channel" label="Channel">
            <select {...form.bind('channel')} onChange={(e) => changeChannel(e.target.value as TemplateChannel)} className="input">
              {TEMPLATE_CHANNELS.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </Field>
          <Field name="format" label="Format">
            <select {...form.bind('format')} className="input">
              {v.channel === 'email' && <option value="mjml">MJML</option>}
              {v.channel === 'email' && <option value="html">HTML</option>}
              <option value="text">text</option>
            </select>
          </Field>
        </div>
      </div>
      {used.includes('subject') && (
        <Field name="subject" label="Subject">
          <input {...form.bind('subject')} className="input" />
        </Field>
      )}
      {(used.includes('preheader') || used.includes('from')) && (
        <div className="form__pair">
          <Field name="preheader" label="Preheader" hint="The line inboxes show after the subject">
            <input {...form.bind('preheader')} className="input" />
          </Field>
          <Field name="from" label="From" hint="Overrides the channel's sender">
            <input {...form.bind('from')} className="input" placeholder="Shop <news@shop.example.com>" />
          </Field>
        </div>
      )}
      {used.includes('title') && (
        <div className="form__pair">
          <Field name="title" label="Title">
            <input {...form.bind('title')} className="input" />
          </Field>
          <Field name="url" label="Open URL">
            <input {...form.bind('url')} className="input" placeholder="https://shop.example.com/cart" />
          </Field>
        </div>
      )}
      {used.includes('parse_mode') && (
        <Field name="parse_mode" label="Parse mode">
          <select {...form.bind('parse_mode')} className="input">
            <option value="">plain text</option>
            <option>HTML</option>
            <option>MarkdownV2</option>
            <option>Markdown</option>
          </select>
        </Field>
      )}
      <Field name="body" label="Body" hint="Liquid: {{ profile.fields.first_name }}, {{ data.cart.items }}, {{ promo.<pool> }}, {{ loyalty.balance }}, {{ unsubscribe_url }}">
        <CodeEditor id={`${form.id}-body`} label="Body" value={v.body} onChange={(b) => form.set('body', b)} invalid={form.errorsOf('body').length > 0} />
      </Field>
      <label className="check">
        <input type="checkbox" checked={v.transactional} onChange={(e) => form.set('transactional', e.target.checked)} /> Transactional (order confirmations, codes): bypasses the frequency cap and quiet hours
      </label>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          {template ? 'Save template' : 'Create template'}
        </Button>
      </div>
    </ApiFormView>
  );
}

function DeleteTemplate({ template }: { template: Template }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const del = useMutation({
    mutationFn: () => api.delete(`/templates/${template.id}`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['templates'] });
      navigate('/templates');
    },
  });
  return (
    <Button variant="ghost" busy={del.isPending} onClick={() => window.confirm(`Delete “${template.name}”?`) && del.mutate()}>
      Delete
    </Button>
  );
}

function TemplateScreen() {
  const { id = '' } = useParams();
  const isNew = id === 'new';
  const t = useQuery({ queryKey: ['templates', id], queryFn: ({ signal }) => api.get<Template>(`/templates/${id}`, undefined, signal), enabled: !isNew });
  const back = <Link to="/templates">← Templates</Link>;
  if (!isNew && t.isPending) return <Spinner />;
  if (!isNew && t.isError) return <ErrorState error={t.error} />;
  const template = isNew ? undefined : t.data;
  return (
    <>
      <PageHeader title={template ? template.name : 'New template'} back={back} actions={template && <DeleteTemplate template={template} />} />
      <div className="grid grid--editor">
        <Card title="Content" testId="template-form">
          <TemplateEditor key={template?.updated_at ?? 'new'} template={template} />
        </Card>
        <Card title="Preview" testId="template-preview-card">
          {template ? <Preview template={template} /> : <p className="muted">Save the template to preview it for a customer.</p>}
        </Card>
      </div>
    </>
  );
}

export default function TemplatesPage() {
  return (
    <Routes>
      <Route index element={<TemplateList />} />
      <Route path=":id" element={<TemplateScreen />} />
    </Routes>
  );
}
