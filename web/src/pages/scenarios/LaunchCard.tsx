import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, type FieldError } from '../../api/client';
import { toProfileRef } from '../../api/refs';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Button, Card } from '../../components/ui';

/** POST /scenarios/{id}/launch for one customer (what `trigger.api` starts), with launch data. */
export function LaunchCard({ scenarioId }: { scenarioId: string }) {
  const client = useQueryClient();
  const [result, setResult] = useState<string | null>(null);
  const form = useApiForm({
    initial: { profile: '', data: '' },
    validate: (v) => {
      const e: FieldError[] = [];
      if (!v.profile.trim()) e.push({ path: 'profile', message: 'enter the customer (email, phone or profile id)' });
      if (v.data.trim())
        try {
          const d: unknown = JSON.parse(v.data);
          if (!d || typeof d !== 'object' || Array.isArray(d)) e.push({ path: 'data', message: 'must be a JSON object' });
        } catch {
          e.push({ path: 'data', message: 'is not valid JSON' });
        }
      return e;
    },
    submit: (v) =>
      api
        .post<{ instance_id?: string; skipped?: string }>(`/scenarios/${scenarioId}/launch`, { profile: toProfileRef(v.profile), ...(v.data.trim() ? { data: JSON.parse(v.data) } : {}) })
        .catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 404 && /profile/i.test(err.problem.detail)) throw new ApiError({ ...err.problem, errors: [{ path: 'profile', message: 'no profile matches this' }] });
          throw err;
        }),
    onSuccess: (r) => {
      setResult(r.instance_id ? `Launched: instance ${r.instance_id}` : `Skipped: ${r.skipped}`);
      void client.invalidateQueries({ queryKey: ['scenarios', scenarioId, 'stats'] });
    },
  });
  return (
    <Card title="Launch for a customer" testId="launch">
      <ApiFormView form={form}>
        <Field name="profile" label="Customer">
          <input {...form.bind('profile')} className="input" placeholder="anna@example.com" />
        </Field>
        <Field name="data" label="Launch data (JSON)" hint="Available to the steps as data.*">
          <input {...form.bind('data')} className="input input--mono" placeholder={'{"cart_id": "c-1"}'} />
        </Field>
        <FormProblem />
        <div className="form__actions">
          {result && (
            <span className="muted small" data-testid="launch-result">
              {result}
            </span>
          )}
          <Button type="submit" variant="primary" busy={form.submitting}>
            Launch
          </Button>
        </div>
      </ApiFormView>
    </Card>
  );
}
