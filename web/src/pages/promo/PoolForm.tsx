import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Button } from '../../components/ui';
import type { Pool } from './api';

/** `datetime-local` text ↔ ISO instants (the browser's zone). */
export const toLocalInput = (iso: string | null | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
export const fromLocalInput = (text: string) => {
  if (!text) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
};
const intOrText = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : s);

/** Create a pool, or change its settings. */
export function PoolForm({ pool, onSaved }: { pool?: Pool; onSaved: (p: Pool) => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const g = pool?.generator;
  const form = useApiForm({
    initial: {
      name: pool?.name ?? '',
      template_name: pool?.template_name ?? '',
      mode: (!pool ? 'template' : !g ? 'none' : 'template' in g ? 'template' : 'remote') as 'template' | 'remote' | 'none',
      'generator.template': g && 'template' in g ? g.template : 'WELCOME-{symbol 6}',
      'generator.remote.url': g && 'remote' in g ? g.remote.url : '',
      'generator.remote.max_per_request': g && 'remote' in g ? String(g.remote.max_per_request) : '1000',
      valid_from: toLocalInput(pool?.valid_from),
      valid_to: toLocalInput(pool?.valid_to),
      code_ttl: pool?.code_ttl ?? '',
      max_codes: pool?.max_codes ? String(pool.max_codes) : '',
      multi_profile: pool?.multi_profile ?? false,
      scenario_can_create: pool?.scenario_can_create ?? false,
      campaign_can_create: pool?.campaign_can_create ?? false,
      auto_link: pool?.auto_link ?? false,
      custom_fields: pool?.custom_fields.join(', ') ?? '',
    },
    submit: (v) => {
      const body = {
        name: v.name,
        template_name: v.template_name,
        generator:
          v.mode === 'none'
            ? null
            : v.mode === 'template'
              ? { template: v['generator.template'] }
              : { remote: { url: v['generator.remote.url'], max_per_request: intOrText(v['generator.remote.max_per_request']) } },
        valid_from: fromLocalInput(v.valid_from),
        valid_to: fromLocalInput(v.valid_to),
        code_ttl: v.code_ttl || null,
        max_codes: v.max_codes ? intOrText(v.max_codes) : null,
        multi_profile: v.multi_profile,
        scenario_can_create: v.scenario_can_create,
        campaign_can_create: v.campaign_can_create,
        auto_link: v.auto_link,
        custom_fields: v.custom_fields.split(',').map((s) => s.trim()).filter(Boolean),
      };
      return pool ? api.patch<Pool>(`/promo/pools/${pool.id}`, body) : api.post<Pool>('/promo/pools', body);
    },
    onSuccess: (p) => {
      toast(`Pool “${p.name}” saved.`);
      void client.invalidateQueries({ queryKey: ['promo', 'pools'] });
      onSaved(p);
    },
  });
  const v = form.values;
  const check = (name: 'multi_profile' | 'scenario_can_create' | 'campaign_can_create' | 'auto_link', text: string) => (
    <label className="check">
      <input type="checkbox" checked={v[name]} onChange={(e) => form.set(name, e.target.checked)} /> {text}
    </label>
  );
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="name" label="Name">
          <input {...form.bind('name')} className="input" placeholder="Welcome 10%" />
        </Field>
        <Field name="template_name" label="Name in templates" hint="{{ promo.<this name> }}: letters, digits and _">
          <input {...form.bind('template_name')} className="input" placeholder="welcome_code" />
        </Field>
      </div>
      <Field name="mode" label="Where codes come from">
        <select {...form.bind('mode')} className="input">
          <option value="template">Generated from a template</option>
          <option value="remote">Fetched from your system (remote generator)</option>
          <option value="none">None: codes are imported</option>
        </select>
      </Field>
      {v.mode === 'template' && (
        <Field name="generator.template" label="Code template" hint="{string N} a–z A–Z, {upstring N}, {lowstring N}, {number N}, {symbol N} A–Z 0–9; other text is kept">
          <input {...form.bind('generator.template')} className="input input--mono" />
        </Field>
      )}
      {v.mode === 'remote' && (
        <div className="form__pair">
          <Field name="generator.remote.url" label="Generator URL" hint="Receives {pool_id, count, fields}, answers {codes: [{code}]}">
            <input {...form.bind('generator.remote.url')} className="input" placeholder="https://shop.example.com/codes" />
          </Field>
          <Field name="generator.remote.max_per_request" label="Codes per request">
            <input {...form.bind('generator.remote.max_per_request')} className="input" inputMode="numeric" />
          </Field>
        </div>
      )}
      <div className="form__pair">
        <Field name="valid_from" label="Issued from">
          <input {...form.bind('valid_from')} className="input" type="datetime-local" />
        </Field>
        <Field name="valid_to" label="Issued until">
          <input {...form.bind('valid_to')} className="input" type="datetime-local" />
        </Field>
      </div>
      <div className="form__pair">
        <Field name="code_ttl" label="Code lifetime after issue" hint="ISO duration, P30D = 30 days">
          <input {...form.bind('code_ttl')} className="input" placeholder="P30D" />
        </Field>
        <Field name="max_codes" label="At most this many codes">
          <input {...form.bind('max_codes')} className="input" inputMode="numeric" />
        </Field>
      </div>
      <Field name="custom_fields" label="Custom fields" hint="Comma-separated names stored with each code">
        <input {...form.bind('custom_fields')} className="input" placeholder="discount, campaign" />
      </Field>
      <div className="checks">
        {check('multi_profile', 'One shared code for everybody')}
        {check('scenario_can_create', 'Scenarios may generate a code when none is free')}
        {check('campaign_can_create', 'Campaigns may generate a code when none is free')}
        {check('auto_link', 'Link a code to the profile that redeems it')}
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          {pool ? 'Save pool' : 'Create pool'}
        </Button>
      </div>
    </ApiFormView>
  );
}
