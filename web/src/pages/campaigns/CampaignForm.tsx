import { useQueryClient } from '@tanstack/react-query';
import { api, type FieldError } from '../../api/client';
import { innerPath } from '../../api/errors';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Button } from '../../components/ui';
import { useAllSegments } from '../segments/api';
import { TEMPLATE_CHANNELS, useAllTemplates } from '../templates/api';
import { CAMPAIGN_KINDS, KIND_LABEL, type Campaign, type CampaignKind } from './api';

type Variant = { template_id: string; weight: string };

const initial = {
  name: '',
  kind: 'broadcast' as CampaignKind,
  channel: 'email',
  template_id: '',
  variants: [{ template_id: '', weight: '1' }] as Variant[],
  'audience.segment_ids': [] as string[],
  'audience.exclude_segment_ids': [] as string[],
  'schedule.at': '',
  'schedule.cron': '',
  'schedule.timezone': 'UTC',
  send_in_profile_timezone: false,
  control_percent: '',
  'throttle.per_minute': '',
  'winner_selection.test_percent': '',
  'winner_selection.metric': 'opens',
  'winner_selection.window': 'PT4H',
  'goal.event': '',
  'goal.within': 'P7D',
};
type Values = typeof initial;

const num = (s: string) => (s.trim() === '' || Number.isNaN(Number(s)) ? s : Number(s));

/** The request body in the API's own terms: one template is `template_id`, several are `variants` (A/B). */
export function campaignBody(v: Values): Record<string, unknown> {
  const variants = v.variants.map((x) => ({ template_id: x.template_id, weight: num(x.weight || '1') }));
  const single = variants.length === 1;
  const body: Record<string, unknown> = { name: v.name, kind: v.kind, channel: v.channel };
  if (single) body.template_id = variants[0].template_id;
  else body.variants = variants;
  if (v.kind !== 'trigger' || v['audience.segment_ids'].length)
    body.audience = { segment_ids: v['audience.segment_ids'], ...(v['audience.exclude_segment_ids'].length ? { exclude_segment_ids: v['audience.exclude_segment_ids'] } : {}) };
  if (v.kind === 'broadcast' && v['schedule.at']) body.schedule = { at: new Date(v['schedule.at']).toISOString() };
  if (v.kind === 'regular') body.schedule = { cron: v['schedule.cron'], timezone: v['schedule.timezone'] };
  if (v.send_in_profile_timezone) body.send_in_profile_timezone = true;
  if (v.control_percent !== '') body.control_percent = num(v.control_percent);
  if (v['throttle.per_minute'] !== '') body.throttle = { per_minute: num(v['throttle.per_minute']) };
  if (!single && v['winner_selection.test_percent'] !== '')
    body.winner_selection = { test_percent: num(v['winner_selection.test_percent']), metric: v['winner_selection.metric'], window: v['winner_selection.window'] };
  if (v['goal.event'].trim()) body.goal = { event: v['goal.event'].trim(), within: v['goal.within'] };
  return body;
}

/** Where the API's error paths go: `template_id` is the first variant's template when there is only one. */
function fieldOf(path: string): string | undefined {
  const p = innerPath(path);
  if (p === 'template_id' || p.startsWith('variants')) return 'variants';
  const keys = Object.keys(initial).sort((a, b) => b.length - a.length);
  return keys.find((k) => p === k || p.startsWith(`${k}.`));
}

function SegmentChecks({ label, value, onChange, segments, testId }: { label: string; value: string[]; onChange(v: string[]): void; segments: { id: string; name: string }[]; testId: string }) {
  if (!segments.length) return <div className="muted small">No segments yet: create one under Segments.</div>;
  return (
    <div className="checks" role="group" aria-label={label} data-testid={testId}>
      {segments.map((s) => (
        <label className="check" key={s.id}>
          <input type="checkbox" checked={value.includes(s.id)} onChange={(e) => onChange(e.target.checked ? [...value, s.id] : value.filter((x) => x !== s.id))} /> {s.name}
        </label>
      ))}
    </div>
  );
}

/** Create a draft campaign: kind, channel, one template or A/B variants, audience, schedule, control group. */
export function CampaignForm({ onSaved }: { onSaved: (c: Campaign) => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const templates = useAllTemplates();
  const segments = useAllSegments();
  const form = useApiForm<Values, Campaign>({
    initial,
    fieldOf,
    validate: (v) => {
      const e: FieldError[] = [];
      if (v.kind === 'broadcast' && v['schedule.at'] && Number.isNaN(new Date(v['schedule.at']).getTime())) e.push({ path: 'schedule.at', message: 'is not a date and time' });
      return e;
    },
    submit: (v) => api.post<Campaign>('/campaigns', campaignBody(v)),
    onSuccess: (c) => {
      toast(`Campaign “${c.name}” created.`);
      void client.invalidateQueries({ queryKey: ['campaigns'] });
      onSaved(c);
    },
  });
  const v = form.values;
  const fitting = (templates.data?.items ?? []).filter((t) => t.channel === v.channel || !TEMPLATE_CHANNELS.includes(v.channel as never));
  const variants = v.variants;
  const single = variants.length === 1;
  const setVariant = (i: number, k: keyof Variant, val: string) => form.set('variants', variants.map((x, j) => (j === i ? { ...x, [k]: val } : x)));
  const variantErrors = (i: number) =>
    form
      .errorsAt(single ? 'template_id' : `variants.${i}`)
      .concat(single ? form.errorsAt('variants.0') : [])
      .map((e) => e.message);
  const listErrors = form.errorsAt('variants').filter((e) => innerPath(e.path) === 'variants');
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="name" label="Name">
          <input {...form.bind('name')} className="input" placeholder="Spring sale" />
        </Field>
        <Field name="kind" label="Kind">
          <select {...form.bind('kind')} className="input">
            {CAMPAIGN_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field name="channel" label="Channel" hint="A channel type; messages go through its configured provider (or the outbox)">
        <select {...form.bind('channel')} className="input">
          {TEMPLATE_CHANNELS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </Field>
      <div className="field" data-field="variants">
        <div className="field__label">{single ? 'Template' : 'Variants (A/B test)'}</div>
        {variants.map((x, i) => {
          const errs = variantErrors(i);
          return (
            <div className={`tier-row${errs.length ? ' field--invalid' : ''}`} key={i} data-variant={i}>
              <div className="field" data-field={single ? 'template_id' : `variants.${i}.template_id`}>
                <select className="input" aria-label={`Variant ${i + 1} template`} value={x.template_id} onChange={(e) => setVariant(i, 'template_id', e.target.value)} aria-invalid={errs.length > 0}>
                  <option value="">Choose a template…</option>
                  {fitting.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name} ({t.channel})
                    </option>
                  ))}
                </select>
                {errs.length > 0 && (
                  <div className="field__error" role="alert">
                    {errs.join('; ')}
                  </div>
                )}
              </div>
              {!single && (
                <input className="input input--num" aria-label={`Variant ${i + 1} weight`} value={x.weight} onChange={(e) => setVariant(i, 'weight', e.target.value)} inputMode="numeric" title="Relative share" />
              )}
              {!single && (
                <Button variant="ghost" aria-label={`Remove variant ${i + 1}`} onClick={() => form.set('variants', variants.filter((_, j) => j !== i))}>
                  ×
                </Button>
              )}
            </div>
          );
        })}
        {listErrors.length > 0 && (
          <div className="field__error" role="alert">
            {listErrors.map((e) => e.message).join('; ')}
          </div>
        )}
        <div>
          <Button variant="ghost" onClick={() => form.set('variants', [...variants, { template_id: '', weight: '1' }])}>
            + Add variant
          </Button>
        </div>
      </div>
      <div className="form__pair">
        <Field name="audience.segment_ids" label="Send to profiles in any of">
          <SegmentChecks label="Audience segments" testId="audience-segments" value={v['audience.segment_ids']} onChange={(x) => form.set('audience.segment_ids', x)} segments={segments.data?.items ?? []} />
        </Field>
        <Field name="audience.exclude_segment_ids" label="…and in none of">
          <SegmentChecks label="Excluded segments" testId="excluded-segments" value={v['audience.exclude_segment_ids']} onChange={(x) => form.set('audience.exclude_segment_ids', x)} segments={segments.data?.items ?? []} />
        </Field>
      </div>
      {v.kind === 'broadcast' && (
        <div className="form__pair">
          <Field name="schedule.at" label="Send at" hint="Empty: as soon as it is started">
            <input {...form.bind('schedule.at')} type="datetime-local" className="input" />
          </Field>
          <label className="check">
            <input type="checkbox" checked={v.send_in_profile_timezone} onChange={(e) => form.set('send_in_profile_timezone', e.target.checked)} /> At that local time in each profile’s time zone
          </label>
        </div>
      )}
      {v.kind === 'regular' && (
        <div className="form__pair">
          <Field name="schedule.cron" label="Cron" hint='Five fields, e.g. "0 10 * * 1" (Mondays at 10:00)'>
            <input {...form.bind('schedule.cron')} className="input input--mono" placeholder="0 10 * * 1" />
          </Field>
          <Field name="schedule.timezone" label="Time zone">
            <input {...form.bind('schedule.timezone')} className="input" placeholder="Europe/Berlin" />
          </Field>
        </div>
      )}
      <div className="form__pair">
        <Field name="control_percent" label="Control group %" hint="Held out of this campaign, to measure its effect (0–50)">
          <input {...form.bind('control_percent')} className="input" inputMode="decimal" placeholder="0" />
        </Field>
        {v.kind !== 'trigger' && (
          <Field name="throttle.per_minute" label="At most per minute">
            <input {...form.bind('throttle.per_minute')} className="input" inputMode="numeric" placeholder="no limit" />
          </Field>
        )}
      </div>
      {!single && v.kind !== 'trigger' && (
        <div className="form__pair form__pair--three">
          <Field name="winner_selection.test_percent" label="Test share %" hint="Empty: every variant to everyone, split by weight">
            <input {...form.bind('winner_selection.test_percent')} className="input" inputMode="decimal" />
          </Field>
          <Field name="winner_selection.metric" label="Winner by">
            <select {...form.bind('winner_selection.metric')} className="input">
              <option value="opens">opens</option>
              <option value="clicks">clicks</option>
              <option value="goal">goal</option>
            </select>
          </Field>
          <Field name="winner_selection.window" label="Choose after" hint="ISO 8601 duration">
            <input {...form.bind('winner_selection.window')} className="input input--mono" />
          </Field>
        </div>
      )}
      <div className="form__pair">
        <Field name="goal.event" label="Goal event" hint="Conversions are compared with the control group">
          <input {...form.bind('goal.event')} className="input" placeholder="order_finalized" />
        </Field>
        <Field name="goal.within" label="Goal within" hint="ISO 8601 duration">
          <input {...form.bind('goal.within')} className="input input--mono" />
        </Field>
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Create campaign
        </Button>
      </div>
    </ApiFormView>
  );
}
