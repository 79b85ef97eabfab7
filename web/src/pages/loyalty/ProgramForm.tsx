import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Button } from '../../components/ui';
import type { Program } from './api';

type TierRow = { name: string; min_spend: string; accrual_multiplier: string };
const num = (s: string) => (s.trim() !== '' && !Number.isNaN(Number(s)) ? Number(s) : s);

/** A new loyalty program with its tiers (the API has no way to change a program after it is made). */
export function ProgramForm({ onSaved }: { onSaved: (p: Program) => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const form = useApiForm({
    initial: {
      name: '',
      currency: 'EUR',
      welcome_points: '0',
      point_value: '0.01',
      points_rounding: 'floor',
      points_ttl: 'P365D',
      accrual_hold: '',
      redeem_max_share: '0.5',
      tier_window: '',
      tiers: [] as TierRow[],
    },
    submit: (v) =>
      api.post<Program>('/loyalty/programs', {
        name: v.name,
        currency: v.currency,
        welcome_points: num(v.welcome_points),
        point_value: num(v.point_value),
        points_rounding: v.points_rounding,
        points_ttl: v.points_ttl || null,
        accrual_hold: v.accrual_hold || null,
        redeem_max_share: num(v.redeem_max_share),
        ...(v.tier_window ? { tier_window: v.tier_window } : {}),
        ...(v.tiers.length ? { tiers: v.tiers.map((t) => ({ name: t.name, min_spend: num(t.min_spend), ...(t.accrual_multiplier ? { accrual_multiplier: num(t.accrual_multiplier) } : {}) })) } : {}),
      }),
    onSuccess: (p) => {
      toast(`Program “${p.name}” created.`);
      void client.invalidateQueries({ queryKey: ['loyalty'] });
      onSaved(p);
    },
  });
  const tiers = form.values.tiers;
  const setTier = (i: number, k: keyof TierRow, val: string) => form.set('tiers', tiers.map((t, j) => (j === i ? { ...t, [k]: val } : t)));
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="name" label="Name">
          <input {...form.bind('name')} className="input" placeholder="Club" />
        </Field>
        <Field name="currency" label="Currency" hint="ISO code: EUR, USD, …">
          <input {...form.bind('currency')} className="input" maxLength={3} />
        </Field>
      </div>
      <div className="form__pair">
        <Field name="point_value" label="Value of a point" hint="In the currency: 0.01 = one cent">
          <input {...form.bind('point_value')} className="input" inputMode="decimal" />
        </Field>
        <Field name="points_rounding" label="Rounding of accrued points">
          <select {...form.bind('points_rounding')} className="input">
            <option value="floor">down</option>
            <option value="round">to nearest</option>
            <option value="ceil">up</option>
          </select>
        </Field>
      </div>
      <div className="form__pair">
        <Field name="welcome_points" label="Welcome points">
          <input {...form.bind('welcome_points')} className="input" inputMode="numeric" />
        </Field>
        <Field name="redeem_max_share" label="Points may pay at most" hint="Share of an order: 0.5 = half">
          <input {...form.bind('redeem_max_share')} className="input" inputMode="decimal" />
        </Field>
      </div>
      <div className="form__pair">
        <Field name="points_ttl" label="Points expire after" hint="ISO duration, empty = never">
          <input {...form.bind('points_ttl')} className="input" placeholder="P365D" />
        </Field>
        <Field name="accrual_hold" label="Points pending for" hint="Until returns are over, e.g. P14D">
          <input {...form.bind('accrual_hold')} className="input" placeholder="P14D" />
        </Field>
      </div>
      <div className="field" data-field="tiers">
        <div className="field__label">Tiers</div>
        {tiers.map((t, i) => (
          <div className="tier-row" key={i} data-tier={i}>
            <Field name={`tiers.${i}.name`} path={`tiers.${i}.name`} label="Tier">
              <input className="input" aria-label={`Tier ${i + 1} name`} value={t.name} onChange={(e) => setTier(i, 'name', e.target.value)} placeholder="Gold" />
            </Field>
            <Field name={`tiers.${i}.min_spend`} path={`tiers.${i}.min_spend`} label="From spend">
              <input className="input" aria-label={`Tier ${i + 1} minimum spend`} value={t.min_spend} onChange={(e) => setTier(i, 'min_spend', e.target.value)} inputMode="decimal" />
            </Field>
            <Field name={`tiers.${i}.accrual_multiplier`} path={`tiers.${i}.accrual_multiplier`} label="Points ×">
              <input className="input" aria-label={`Tier ${i + 1} multiplier`} value={t.accrual_multiplier} onChange={(e) => setTier(i, 'accrual_multiplier', e.target.value)} inputMode="decimal" placeholder="1" />
            </Field>
            <Button variant="ghost" onClick={() => form.set('tiers', tiers.filter((_, j) => j !== i))} aria-label={`Remove tier ${i + 1}`}>
              ×
            </Button>
          </div>
        ))}
        <div>
          <Button variant="ghost" onClick={() => form.set('tiers', [...tiers, { name: '', min_spend: '', accrual_multiplier: '' }])}>
            + Add tier
          </Button>
        </div>
        {form.errorsAt('tiers').filter((e) => /^(body\.)?tiers$/.test(e.path)).map((e, i) => (
          <div className="field__error" key={i}>
            {e.message}
          </div>
        ))}
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Create program
        </Button>
      </div>
    </ApiFormView>
  );
}
