import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useAuth } from '../../components/auth';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Button, Card, ErrorState, KeyValues, PageHeader, Spinner } from '../../components/ui';

interface MessagingSettings {
  frequency_cap?: { max: number; per: string };
  quiet_hours?: { from: string; to: string; timezone?: string };
  public_url?: string;
  unsubscribe_landing_url?: string;
  retry?: { max_attempts?: number; backoff?: string };
}

const num = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : s);

function MessagingForm({ settings }: { settings: MessagingSettings }) {
  const client = useQueryClient();
  const toast = useToast();
  const form = useApiForm({
    initial: {
      cap_on: Boolean(settings.frequency_cap),
      'frequency_cap.max': String(settings.frequency_cap?.max ?? 3),
      'frequency_cap.per': settings.frequency_cap?.per ?? 'P1D',
      quiet_on: Boolean(settings.quiet_hours),
      'quiet_hours.from': settings.quiet_hours?.from ?? '22:00',
      'quiet_hours.to': settings.quiet_hours?.to ?? '09:00',
      'quiet_hours.timezone': settings.quiet_hours?.timezone ?? '',
      public_url: settings.public_url ?? '',
      unsubscribe_landing_url: settings.unsubscribe_landing_url ?? '',
      'retry.max_attempts': settings.retry?.max_attempts ? String(settings.retry.max_attempts) : '',
      'retry.backoff': settings.retry?.backoff ?? '',
    },
    submit: (v) => {
      const body: Record<string, unknown> = {};
      if (v.cap_on) body.frequency_cap = { max: num(v['frequency_cap.max']), per: v['frequency_cap.per'] };
      if (v.quiet_on) body.quiet_hours = { from: v['quiet_hours.from'], to: v['quiet_hours.to'], ...(v['quiet_hours.timezone'] ? { timezone: v['quiet_hours.timezone'] } : {}) };
      if (v.public_url) body.public_url = v.public_url;
      if (v.unsubscribe_landing_url) body.unsubscribe_landing_url = v.unsubscribe_landing_url;
      const retry: Record<string, unknown> = {};
      if (v['retry.max_attempts']) retry.max_attempts = num(v['retry.max_attempts']);
      if (v['retry.backoff']) retry.backoff = v['retry.backoff'];
      if (Object.keys(retry).length) body.retry = retry;
      return api.put<MessagingSettings>('/settings/messaging', body);
    },
    onSuccess: () => {
      toast('Messaging settings saved.');
      void client.invalidateQueries({ queryKey: ['settings', 'messaging'] });
    },
  });
  const v = form.values;
  return (
    <ApiFormView form={form}>
      <div className="section-title">Frequency cap — across every scenario and campaign</div>
      <label className="check">
        <input type="checkbox" checked={v.cap_on} onChange={(e) => form.set('cap_on', e.target.checked)} /> Limit how many messages one customer gets
      </label>
      {v.cap_on && (
        <div className="form__pair">
          <Field name="frequency_cap.max" label="At most">
            <input {...form.bind('frequency_cap.max')} className="input" inputMode="numeric" />
          </Field>
          <Field name="frequency_cap.per" label="Per (ISO duration)" hint="P1D a day, P7D a week, PT12H twelve hours">
            <input {...form.bind('frequency_cap.per')} className="input" />
          </Field>
        </div>
      )}
      <div className="section-title">Quiet hours — sends are deferred to the end, never dropped</div>
      <label className="check">
        <input type="checkbox" checked={v.quiet_on} onChange={(e) => form.set('quiet_on', e.target.checked)} /> Hold messages at night
      </label>
      {v.quiet_on && (
        <div className="form__pair">
          <div className="form__pair">
            <Field name="quiet_hours.from" label="From">
              <input {...form.bind('quiet_hours.from')} className="input" placeholder="22:00" />
            </Field>
            <Field name="quiet_hours.to" label="To">
              <input {...form.bind('quiet_hours.to')} className="input" placeholder="09:00" />
            </Field>
          </div>
          <Field name="quiet_hours.timezone" label="Time zone" hint="The customer's own when known; this one otherwise">
            <input {...form.bind('quiet_hours.timezone')} className="input" placeholder="Europe/Berlin" />
          </Field>
        </div>
      )}
      <div className="section-title">Unsubscribe</div>
      <div className="form__pair">
        <Field name="unsubscribe_landing_url" label="Landing page after opting out" hint="Customers land here after the unsubscribe link">
          <input {...form.bind('unsubscribe_landing_url')} className="input" placeholder="https://shop.example.com/bye" />
        </Field>
        <Field name="public_url" label="Public address of this installation" hint="Used in unsubscribe links">
          <input {...form.bind('public_url')} className="input" placeholder="https://crm.shop.example.com" />
        </Field>
      </div>
      <div className="section-title">Delivery retries</div>
      <div className="form__pair">
        <Field name="retry.max_attempts" label="Attempts">
          <input {...form.bind('retry.max_attempts')} className="input" inputMode="numeric" placeholder="3" />
        </Field>
        <Field name="retry.backoff" label="First back-off" hint="Doubles after each failure">
          <input {...form.bind('retry.backoff')} className="input" placeholder="PT1M" />
        </Field>
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Save settings
        </Button>
      </div>
    </ApiFormView>
  );
}

export default function SettingsPage() {
  const { me } = useAuth();
  const s = useQuery({ queryKey: ['settings', 'messaging'], queryFn: ({ signal }) => api.get<MessagingSettings>('/settings/messaging', undefined, signal) });
  return (
    <>
      <PageHeader title="Settings" subtitle="Messaging rules for every send, and this installation." />
      <div className="grid grid--aside">
        <Card title="Messaging" testId="messaging-settings">
          {s.isPending ? <Spinner /> : s.isError ? <ErrorState error={s.error} /> : <MessagingForm key={JSON.stringify(s.data)} settings={s.data} />}
        </Card>
        <Card title="Installation">
          <KeyValues
            rows={[
              ['Signed in as', me?.name],
              ['Scopes', me?.scopes.join(', ')],
              ['API', <a href="/api/docs">/api/docs</a>],
              ['OpenAPI', <a href="/api/openapi.json">/api/openapi.json</a>],
            ]}
          />
        </Card>
      </div>
    </>
  );
}
