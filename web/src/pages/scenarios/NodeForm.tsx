import { useState } from 'react';
import type { FieldError } from '../../api/client';
import { ConditionBuilder } from '../../components/conditions/ConditionBuilder';
import { DurationInput, eventKind, fieldKind, PROFILE_FIELDS, segmentKind, subscriptionKind } from '../../components/conditions/leaves';
import type { CondNode } from '../../components/conditions/tree';
import { Button } from '../../components/ui';
import { useAllPrograms, usePromotions } from '../loyalty/api';
import { useAllPools } from '../promo/api';
import { useAllSegments } from '../segments/api';
import { useAllTemplates } from '../templates/api';
import type { NodeType, PropSchema } from './catalogue';

interface Props {
  type: NodeType;
  config: Record<string, unknown>;
  onChange(config: Record<string, unknown>): void;
  /** Faults of this node, paths relative to its config (`template_id`, `''` for the node). */
  errors: FieldError[];
}

const errorsOf = (errors: FieldError[], key: string) => errors.filter((e) => e.path === key || e.path.startsWith(`${key}.`));

function JsonInput({ value, onChange, label, id, invalid, placeholder }: { value: unknown; onChange(v: unknown): void; label: string; id: string; invalid: boolean; placeholder?: string }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value));
  const [bad, setBad] = useState(false);
  return (
    <>
      <input
        id={id}
        className="input input--mono"
        aria-label={label}
        aria-invalid={invalid || bad}
        placeholder={placeholder}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (!e.target.value.trim()) {
            setBad(false);
            return onChange(undefined);
          }
          try {
            onChange(JSON.parse(e.target.value));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad && <div className="field__error">is not valid JSON yet</div>}
    </>
  );
}

function Variants({ value, onChange }: { value: unknown; onChange(v: unknown): void }) {
  const variants = (Array.isArray(value) ? value : []) as { label: string; weight: number }[];
  const set = (i: number, k: 'label' | 'weight', v: string) => onChange(variants.map((x, j) => (j === i ? { ...x, [k]: k === 'weight' ? Number(v) : v } : x)));
  return (
    <div className="stack stack--tight">
      {variants.map((v, i) => (
        <div className="row" key={i}>
          <input className="input" aria-label={`Variant ${i + 1} label`} value={v.label} onChange={(e) => set(i, 'label', e.target.value)} />
          <input className="input input--num" aria-label={`Variant ${i + 1} weight`} type="number" value={v.weight} onChange={(e) => set(i, 'weight', e.target.value)} />
          <Button variant="ghost" onClick={() => onChange(variants.filter((_, j) => j !== i))}>
            ×
          </Button>
        </div>
      ))}
      <Button variant="ghost" onClick={() => onChange([...variants, { label: String.fromCharCode(97 + variants.length), weight: 50 }])}>
        + Add variant
      </Button>
    </div>
  );
}

/** A picker of one of the installation's resources. */
function Picker({ format, value, onChange, id, label, invalid, programId }: { format: string; value: unknown; onChange(v: unknown): void; id: string; label: string; invalid: boolean; programId?: string }) {
  const segments = useAllSegments();
  const templates = useAllTemplates();
  const pools = useAllPools();
  const programs = useAllPrograms();
  const promotions = usePromotions(format === 'promotion' ? programId : undefined);
  const options: { id: string; name: string }[] =
    format === 'segment'
      ? (segments.data?.items ?? [])
      : format === 'template'
        ? (templates.data?.items ?? []).map((t) => ({ id: t.id, name: `${t.name} (${t.channel})` }))
        : format === 'pool'
          ? (pools.data?.items ?? [])
          : format === 'program'
            ? (programs.data?.items ?? [])
            : (promotions.data?.items ?? []).filter((p) => p.type === 'trigger');
  return (
    <select id={id} className="input" aria-label={label} aria-invalid={invalid} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || undefined)}>
      <option value="">Choose…</option>
      {options.map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ))}
    </select>
  );
}

function Control({ name, prop, value, onChange, id, invalid, config }: { name: string; prop: PropSchema; value: unknown; onChange(v: unknown): void; id: string; invalid: boolean; config: Record<string, unknown> }) {
  const label = prop.title ?? name;
  const segments = useAllSegments();
  if (prop.enum)
    return (
      <select id={id} className="input" aria-label={label} aria-invalid={invalid} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">Choose…</option>
        {prop.enum.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  switch (prop.format) {
    case 'segment':
    case 'template':
    case 'pool':
    case 'program':
    case 'promotion':
      return <Picker format={prop.format} value={value} onChange={onChange} id={id} label={label} invalid={invalid} programId={config.program_id as string | undefined} />;
    case 'duration':
      return <DurationInput label={label} value={value as string | undefined} onChange={onChange} bad={invalid} />;
    case 'date-time':
      return (
        <input
          id={id}
          className="input"
          type="datetime-local"
          aria-label={label}
          aria-invalid={invalid}
          value={typeof value === 'string' && value ? new Date(value).toISOString().slice(0, 16) : ''}
          onChange={(e) => onChange(e.target.value ? new Date(`${e.target.value}Z`).toISOString() : undefined)}
        />
      );
    case 'time':
      return <input id={id} className="input" type="time" aria-label={label} aria-invalid={invalid} value={(value as string) ?? ''} onChange={(e) => onChange(e.target.value || undefined)} />;
    case 'json':
      return <JsonInput id={id} label={label} value={value} onChange={onChange} invalid={invalid} placeholder={prop.description} />;
    case 'variants':
      return <Variants value={value} onChange={onChange} />;
    case 'conditions':
      return (
        <ConditionBuilder
          value={(value as CondNode) ?? { all: [{ field: 'data.cart.total', op: 'gte', value: 100 }] }}
          onChange={onChange}
          kinds={[fieldKind({ label: 'Field', fields: [...PROFILE_FIELDS, 'data.cart.total', 'loyalty.balance', 'loyalty.tier', 'order.total'] }), eventKind(), subscriptionKind, segmentKind(segments.data?.items ?? [])]}
          path="conditions"
          errors={[]}
        />
      );
  }
  if (prop.type === 'boolean')
    return (
      <label className="check">
        <input id={id} type="checkbox" checked={value === undefined ? prop.default === true : value === true} onChange={(e) => onChange(e.target.checked)} /> {label}
      </label>
    );
  if (prop.type === 'integer' || prop.type === 'number')
    return (
      <input
        id={id}
        className="input"
        type="number"
        aria-label={label}
        aria-invalid={invalid}
        value={value === undefined ? '' : String(value)}
        onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      />
    );
  if (prop.type === 'object' || prop.type === 'array') return <JsonInput id={id} label={label} value={value} onChange={onChange} invalid={invalid} placeholder={prop.description} />;
  return (
    <input
      id={id}
      className="input"
      aria-label={label}
      aria-invalid={invalid}
      list={prop.format === 'event' ? 'scenario-events' : undefined}
      placeholder={prop.description}
      value={(value as string) ?? ''}
      onChange={(e) => onChange(e.target.value || undefined)}
    />
  );
}

/** The config form of one node, drawn from its type's schema; the API's faults under their fields. */
export function NodeForm({ type, config, onChange, errors }: Props) {
  const props = type.schema.properties ?? {};
  const required = new Set(type.schema.required ?? []);
  const keys = Object.keys(props);
  const other = errors.filter((e) => !keys.some((k) => e.path === k || e.path.startsWith(`${k}.`)));
  return (
    <div className="form" data-testid="node-form">
      <datalist id="scenario-events">
        {['cart_updated', 'site_visit', 'order_finalized', 'order_canceled', 'points_accrued', 'tier_changed', 'unsubscribed', 'message_sent'].map((e) => (
          <option key={e} value={e} />
        ))}
      </datalist>
      {keys.length === 0 && <p className="muted small">This step has no settings.</p>}
      {keys.map((k) => {
        const prop = props[k];
        const errs = errorsOf(errors, k);
        const id = `node-field-${k}`;
        return (
          <div className={`field${errs.length ? ' field--invalid' : ''}`} key={k} data-field={k}>
            {prop.type !== 'boolean' && (
              <label className="field__label" htmlFor={id}>
                {prop.title ?? k}
                {required.has(k) && <span className="req"> *</span>}
              </label>
            )}
            <Control
              name={k}
              prop={prop}
              value={config[k]}
              config={config}
              id={id}
              invalid={errs.length > 0}
              onChange={(v) => {
                const next = { ...config };
                if (v === undefined) delete next[k];
                else next[k] = v;
                onChange(next);
              }}
            />
            {prop.description && prop.format !== 'json' && !errs.length && <div className="field__hint">{prop.description}</div>}
            {errs.length > 0 && (
              <div className="field__error" role="alert">
                {errs.map((e) => (e.path === k ? e.message : `${e.path.slice(k.length + 1)}: ${e.message}`)).join('; ')}
              </div>
            )}
          </div>
        );
      })}
      {other.length > 0 && (
        <div className="alert alert--error" role="alert">
          {other.map((e, i) => (
            <div key={i}>{e.message}</div>
          ))}
        </div>
      )}
    </div>
  );
}
