import { useQueryClient } from '@tanstack/react-query';
import { api, type FieldError } from '../../api/client';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Button } from '../../components/ui';

const SUGGESTED = ['site_visit', 'cart_updated', 'order_finalized', 'order_canceled', 'unsubscribed'];
const initial = { name: '', properties: '', occurred_at: '', event_id: '' };

function parseProperties(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'must be a JSON object, like {"cart_id": "c1"}' };
    return { value: v as Record<string, unknown> };
  } catch (e) {
    return { error: `is not valid JSON (${(e as Error).message})` };
  }
}

/** `POST /events` for this profile: what a shop would send, to see scenarios and the timeline react. */
export function SendEventForm({ profileId }: { profileId: string }) {
  const client = useQueryClient();
  const toast = useToast();
  const form = useApiForm({
    initial,
    validate: (v) => {
      const errors: FieldError[] = [];
      const props = parseProperties(v.properties);
      if (props.error) errors.push({ path: 'properties', message: props.error });
      return errors;
    },
    submit: (v) => {
      const at = v.occurred_at ? new Date(v.occurred_at) : null;
      return api.post<{ id: string; duplicate?: boolean }>('/events', {
        profile: { id: profileId },
        name: v.name,
        ...(v.properties.trim() ? { properties: parseProperties(v.properties).value } : {}),
        ...(v.occurred_at ? { occurred_at: at && !Number.isNaN(at.getTime()) ? at.toISOString() : v.occurred_at } : {}),
        ...(v.event_id ? { event_id: v.event_id } : {}),
      });
    },
    onSuccess: (r, v) => {
      toast(r.duplicate ? `This event_id was seen before; "${v.name}" was not recorded again.` : `Event "${v.name}" recorded.`);
      form.reset({ ...initial });
      void client.invalidateQueries({ queryKey: ['profile', profileId, 'timeline'] });
    },
  });
  return (
    <ApiFormView form={form}>
      <Field name="name" label="Event name" hint="Letters, digits, _ . : -">
        <input {...form.bind('name')} className="input" list={`${form.id}-names`} placeholder="cart_updated" autoComplete="off" />
        <datalist id={`${form.id}-names`}>
          {SUGGESTED.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </Field>
      <Field name="properties" label="Properties" hint="A JSON object (optional)">
        <textarea {...form.bind('properties')} className="input input--mono" rows={4} placeholder={'{\n  "cart_id": "c1",\n  "total": 120.5\n}'} />
      </Field>
      <div className="form__pair">
        <Field name="occurred_at" label="Occurred at" hint="Now when empty">
          <input {...form.bind('occurred_at')} className="input" type="datetime-local" />
        </Field>
        <Field name="event_id" label="Event ID" hint="Dedupe key (optional)">
          <input {...form.bind('event_id')} className="input" autoComplete="off" />
        </Field>
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Send event
        </Button>
      </div>
    </ApiFormView>
  );
}
