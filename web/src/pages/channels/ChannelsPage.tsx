import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, type FieldError, type Page } from '../../api/client';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, Modal, PageHeader, Spinner, Time } from '../../components/ui';

type Provider = 'smtp' | 'http' | 'telegram_bot' | 'outbox';
interface Channel {
  id: string;
  name: string;
  type: string;
  provider: Provider;
  config: Record<string, unknown>;
  default: boolean;
  created_at: string;
  updated_at: string;
}

const TYPES = ['email', 'sms', 'push', 'telegram', 'webhook'] as const;
const PROVIDERS: Record<string, Provider[]> = { email: ['smtp', 'outbox'], sms: ['http', 'outbox'], push: ['http', 'outbox'], webhook: ['http', 'outbox'], telegram: ['telegram_bot', 'outbox'] };
const PROVIDER_LABEL: Record<Provider, string> = { smtp: 'SMTP server', http: 'HTTP provider', telegram_bot: 'Telegram bot', outbox: 'Outbox (stored, not delivered)' };

const blank = {
  name: '',
  type: 'email',
  provider: 'smtp' as Provider,
  default: true,
  'config.host': '',
  'config.port': '587',
  'config.secure': false,
  'config.user': '',
  'config.pass': '',
  'config.from': '',
  'config.url': '',
  'config.method': 'POST',
  'config.headers': '',
  'config.body_template': '',
  'config.token': '',
  'config.api_base': '',
};
type Values = typeof blank;

function valuesOf(c?: Channel): Values {
  if (!c) return blank;
  const g = (k: string) => (c.config[k] === undefined || c.config[k] === null ? '' : String(c.config[k]));
  return {
    ...blank,
    name: c.name,
    type: c.type,
    provider: c.provider,
    default: c.default,
    'config.host': g('host'),
    'config.port': g('port') || '587',
    'config.secure': c.config.secure === true,
    'config.user': g('user'),
    // Secrets come back masked: left empty, the stored value is kept.
    'config.pass': '',
    'config.from': g('from'),
    'config.url': g('url'),
    'config.method': g('method') || 'POST',
    'config.headers': '',
    'config.body_template': g('body_template'),
    'config.token': '',
    'config.api_base': g('api_base'),
  };
}

function configOf(v: Values): Record<string, unknown> {
  const opt = (o: Record<string, unknown>, k: string, val: string) => {
    if (val.trim()) o[k] = val.trim();
  };
  const out: Record<string, unknown> = {};
  if (v.provider === 'smtp') {
    out.host = v['config.host'];
    out.port = /^\d+$/.test(v['config.port']) ? Number(v['config.port']) : v['config.port'];
    out.secure = v['config.secure'];
    opt(out, 'user', v['config.user']);
    opt(out, 'pass', v['config.pass']);
    out.from = v['config.from'];
  } else if (v.provider === 'http') {
    out.url = v['config.url'];
    out.method = v['config.method'];
    if (v['config.headers'].trim()) out.headers = JSON.parse(v['config.headers']);
    opt(out, 'body_template', v['config.body_template']);
  } else if (v.provider === 'telegram_bot') {
    opt(out, 'token', v['config.token']);
    opt(out, 'api_base', v['config.api_base']);
  }
  return out;
}

function ChannelForm({ channel, onDone }: { channel?: Channel; onDone: () => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const form = useApiForm({
    initial: valuesOf(channel),
    validate: (v) => {
      const errors: FieldError[] = [];
      if (v.provider === 'http' && v['config.headers'].trim()) {
        try {
          const h: unknown = JSON.parse(v['config.headers']);
          if (!h || typeof h !== 'object' || Array.isArray(h)) errors.push({ path: 'config.headers', message: 'must be a JSON object of header → value' });
        } catch {
          errors.push({ path: 'config.headers', message: 'is not valid JSON' });
        }
      }
      return errors;
    },
    submit: (v) => {
      const body = { ...(v.name ? { name: v.name } : {}), type: v.type, provider: v.provider, config: configOf(v), default: v.default };
      return channel ? api.put<Channel>(`/channels/${channel.id}`, body) : api.post<Channel>('/channels', body);
    },
    onSuccess: (c) => {
      toast(`Channel “${c.name}” saved.`);
      void client.invalidateQueries({ queryKey: ['channels'] });
      onDone();
    },
  });
  const v = form.values;
  const secretHint = channel ? 'Stored encrypted; leave empty to keep the current one.' : 'Stored encrypted and shown masked.';
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="type" label="Channel">
          <select
            {...form.bind('type')}
            className="input"
            onChange={(e) => {
              form.set('type', e.target.value);
              form.set('provider', PROVIDERS[e.target.value][0]);
            }}
          >
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Field name="provider" label="Provider">
          <select {...form.bind('provider')} className="input">
            {(PROVIDERS[v.type] ?? []).map((p) => (
              <option key={p} value={p}>
                {PROVIDER_LABEL[p]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field name="name" label="Name" hint="Shown in lists; made from the type and provider when empty">
        <input {...form.bind('name')} className="input" />
      </Field>
      {v.provider === 'smtp' && (
        <>
          <div className="form__pair">
            <Field name="config.host" label="SMTP host">
              <input {...form.bind('config.host')} className="input" placeholder="smtp.example.com" />
            </Field>
            <Field name="config.port" label="Port">
              <input {...form.bind('config.port')} className="input" inputMode="numeric" />
            </Field>
          </div>
          <label className="check">
            <input type="checkbox" checked={v['config.secure']} onChange={(e) => form.set('config.secure', e.target.checked)} /> TLS from the start (port 465); otherwise STARTTLS when offered
          </label>
          <div className="form__pair">
            <Field name="config.user" label="User">
              <input {...form.bind('config.user')} className="input" autoComplete="off" />
            </Field>
            <Field name="config.pass" label="Password" hint={secretHint}>
              <input {...form.bind('config.pass')} className="input" type="password" autoComplete="new-password" placeholder={channel?.config.pass ? String(channel.config.pass) : ''} />
            </Field>
          </div>
          <Field name="config.from" label="From address">
            <input {...form.bind('config.from')} className="input" placeholder="Shop <news@shop.example.com>" />
          </Field>
        </>
      )}
      {v.provider === 'http' && (
        <>
          <div className="form__pair">
            <Field name="config.url" label="Provider URL">
              <input {...form.bind('config.url')} className="input" placeholder="https://sms.example.com/send" />
            </Field>
            <Field name="config.method" label="Method">
              <select {...form.bind('config.method')} className="input">
                <option>POST</option>
                <option>PUT</option>
              </select>
            </Field>
          </div>
          <Field name="config.headers" label="Headers (JSON)" hint={channel ? `${secretHint} Now: ${JSON.stringify(channel.config.headers ?? {})}` : secretHint}>
            <input {...form.bind('config.headers')} className="input input--mono" placeholder={'{"Authorization": "Bearer …"}'} />
          </Field>
          <Field name="config.body_template" label="Body template" hint="Liquid over {to, text, subject, title, url, profile}">
            <textarea {...form.bind('config.body_template')} className="input input--mono" rows={3} placeholder={'{"to": "{{ to }}", "text": {{ text | json }}}'} />
          </Field>
        </>
      )}
      {v.provider === 'telegram_bot' && (
        <div className="form__pair">
          <Field name="config.token" label="Bot token" hint={secretHint}>
            <input {...form.bind('config.token')} className="input" type="password" autoComplete="off" placeholder={channel?.config.token ? String(channel.config.token) : '123456:ABC…'} />
          </Field>
          <Field name="config.api_base" label="API base" hint="Leave empty for Telegram's own">
            <input {...form.bind('config.api_base')} className="input" />
          </Field>
        </div>
      )}
      <label className="check">
        <input type="checkbox" checked={v.default} onChange={(e) => form.set('default', e.target.checked)} /> Default for {v.type} messages
      </label>
      <FormProblem />
      <div className="form__actions">
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.submitting}>
          {channel ? 'Save channel' : 'Create channel'}
        </Button>
      </div>
    </ApiFormView>
  );
}

function ConfigView({ config }: { config: Record<string, unknown> }) {
  const keys = Object.keys(config);
  if (!keys.length) return <span className="muted">—</span>;
  return (
    <span className="chips">
      {keys.map((k) => (
        <span className="chip" key={k} data-config={k}>
          <span className="chip__key">{k}</span> {typeof config[k] === 'object' ? JSON.stringify(config[k]) : String(config[k])}
        </span>
      ))}
    </span>
  );
}

export default function ChannelsPage() {
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const client = useQueryClient();
  const channels = useQuery({ queryKey: ['channels'], queryFn: ({ signal }) => api.get<Page<Channel>>('/channels', undefined, signal) });
  const del = useMutation({ mutationFn: (id: string) => api.delete(`/channels/${id}`), onSuccess: () => client.invalidateQueries({ queryKey: ['channels'] }) });
  return (
    <>
      <PageHeader
        title="Channels"
        subtitle={
          <>
            Where messages go out: SMTP for email, HTTP providers for SMS and push, a Telegram bot. With none configured for a channel, messages land in the outbox. Frequency cap and quiet hours are in <Link to="/settings">Settings</Link>.
          </>
        }
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            New channel
          </Button>
        }
      />
      <Card className="card--flush" testId="channel-list">
        {channels.isPending ? (
          <Spinner />
        ) : channels.isError ? (
          <ErrorState error={channels.error} />
        ) : channels.data.items.length === 0 ? (
          <Empty icon={<Icon name="send" size={28} />} title="No channels: every message goes to the outbox" />
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Channel</th>
                <th>Settings</th>
                <th>Updated</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {channels.data.items.map((c) => (
                <tr key={c.id} data-channel={c.name}>
                  <td className="strong">
                    {c.name} {c.default && <Badge tone="green">default</Badge>}
                  </td>
                  <td>
                    <Badge tone="blue">{c.type}</Badge> <span className="muted small">{PROVIDER_LABEL[c.provider] ?? c.provider}</span>
                  </td>
                  <td>
                    <ConfigView config={c.config} />
                  </td>
                  <td>
                    <Time iso={c.updated_at} relative />
                  </td>
                  <td className="actions">
                    <Button variant="ghost" onClick={() => setEditing(c)}>
                      Edit
                    </Button>
                    <Button variant="ghost" onClick={() => window.confirm(`Remove “${c.name}”?`) && del.mutate(c.id)}>
                      Remove
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {editing && (
        <Modal title={editing === 'new' ? 'New channel' : `Edit ${editing.name}`} onClose={() => setEditing(null)}>
          <div data-testid="channel-form">
            <ChannelForm channel={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />
          </div>
        </Modal>
      )}
    </>
  );
}
