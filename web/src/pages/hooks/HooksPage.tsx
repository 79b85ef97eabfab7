import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type FieldError, type Page } from '../../api/client';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, PageHeader, Spinner, Time } from '../../components/ui';

interface Hook {
  id: string;
  name: string | null;
  events: string[];
  target: { type: 'http'; url: string; batch_size?: number; headers?: Record<string, string> } | { type: 'rabbitmq'; url: string; exchange: string; routing_key: string };
  active: boolean;
  created_at: string;
}

const EVENTS = ['order_finalized', 'order_canceled', 'points_accrued', 'points_redeemed', 'points_expiring', 'tier_changed', 'message_sent', 'message_failed', 'unsubscribed', 'cart_updated', 'site_visit'];

function HookForm({ onDone }: { onDone: () => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const form = useApiForm({
    initial: { name: '', events: 'order_finalized, points_accrued', 'target.type': 'http', 'target.url': '', 'target.batch_size': '', 'target.headers': '', 'target.exchange': '', 'target.routing_key': '' },
    validate: (v) => {
      const e: FieldError[] = [];
      if (v['target.type'] === 'http' && v['target.headers'].trim())
        try {
          JSON.parse(v['target.headers']);
        } catch {
          e.push({ path: 'target.headers', message: 'is not valid JSON' });
        }
      return e;
    },
    submit: (v) => {
      const target =
        v['target.type'] === 'http'
          ? { type: 'http', url: v['target.url'], ...(v['target.batch_size'] ? { batch_size: Number(v['target.batch_size']) } : {}), ...(v['target.headers'].trim() ? { headers: JSON.parse(v['target.headers']) } : {}) }
          : { type: 'rabbitmq', url: v['target.url'], exchange: v['target.exchange'], routing_key: v['target.routing_key'] };
      return api.post<Hook>('/hooks', { ...(v.name ? { name: v.name } : {}), events: v.events.split(',').map((s) => s.trim()).filter(Boolean), target });
    },
    onSuccess: () => {
      toast('Hook created.');
      void client.invalidateQueries({ queryKey: ['hooks'] });
      onDone();
    },
  });
  const rabbit = form.values['target.type'] === 'rabbitmq';
  return (
    <ApiFormView form={form}>
      <Field name="name" label="Name">
        <input {...form.bind('name')} className="input" placeholder="Data warehouse" />
      </Field>
      <Field name="events" label="Events" hint={`Comma-separated: ${EVENTS.slice(0, 5).join(', ')}, …`}>
        <input {...form.bind('events')} className="input" />
      </Field>
      <div className="form__pair">
        <Field name="target.type" label="Deliver to">
          <select {...form.bind('target.type')} className="input">
            <option value="http">HTTP endpoint (JSON batches)</option>
            <option value="rabbitmq">RabbitMQ exchange</option>
          </select>
        </Field>
        <Field name="target.url" label={rabbit ? 'AMQP URL' : 'URL'}>
          <input {...form.bind('target.url')} className="input" placeholder={rabbit ? 'amqp://user:pass@mq:5672' : 'https://example.com/hooks/retenta'} />
        </Field>
      </div>
      {rabbit ? (
        <div className="form__pair">
          <Field name="target.exchange" label="Exchange">
            <input {...form.bind('target.exchange')} className="input" />
          </Field>
          <Field name="target.routing_key" label="Routing key">
            <input {...form.bind('target.routing_key')} className="input" />
          </Field>
        </div>
      ) : (
        <div className="form__pair">
          <Field name="target.batch_size" label="Batch size">
            <input {...form.bind('target.batch_size')} className="input" inputMode="numeric" placeholder="100" />
          </Field>
          <Field name="target.headers" label="Headers (JSON)" hint="Stored encrypted, shown masked">
            <input {...form.bind('target.headers')} className="input input--mono" placeholder={'{"Authorization": "Bearer …"}'} />
          </Field>
        </div>
      )}
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Create hook
        </Button>
      </div>
    </ApiFormView>
  );
}

export default function HooksPage() {
  const hooks = useQuery({ queryKey: ['hooks'], queryFn: ({ signal }) => api.get<Page<Hook>>('/hooks', undefined, signal) });
  const client = useQueryClient();
  const [key, setKey] = useState(0);
  const del = useMutation({ mutationFn: (id: string) => api.delete(`/hooks/${id}`), onSuccess: () => client.invalidateQueries({ queryKey: ['hooks'] }) });
  return (
    <>
      <PageHeader title="Hooks" subtitle="Events forwarded to your systems: HTTP batches or a RabbitMQ exchange, at least once, each with an event_id for dedupe." />
      <div className="grid grid--aside">
        <Card className="card--flush" testId="hook-list">
          {hooks.isPending ? (
            <Spinner />
          ) : hooks.isError ? (
            <ErrorState error={hooks.error} />
          ) : hooks.data.items.length === 0 ? (
            <Empty icon={<Icon name="hook" size={28} />} title="No hooks yet" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Hook</th>
                  <th>Events</th>
                  <th>Target</th>
                  <th>Created</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {hooks.data.items.map((h) => (
                  <tr key={h.id} data-hook={h.name ?? h.id}>
                    <td className="strong">
                      {h.name ?? <span className="muted">unnamed</span>} {!h.active && <Badge>inactive</Badge>}
                    </td>
                    <td>
                      <span className="chips">
                        {h.events.map((e) => (
                          <span className="chip" key={e}>
                            {e}
                          </span>
                        ))}
                      </span>
                    </td>
                    <td>
                      <Badge tone="blue">{h.target.type}</Badge> <span className="muted small">{h.target.url}</span>
                    </td>
                    <td>
                      <Time iso={h.created_at} />
                    </td>
                    <td className="actions">
                      <Button variant="ghost" aria-label={`Delete ${h.name ?? h.id}`} onClick={() => del.mutate(h.id)}>
                        Delete
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="New hook" testId="hook-form">
          <HookForm key={key} onDone={() => setKey((k) => k + 1)} />
        </Card>
      </div>
    </>
  );
}
