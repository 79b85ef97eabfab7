import { useState } from 'react';
import type { FieldError } from '../../api/client';
import type { LeafEditorProps, LeafKindUI } from './ConditionBuilder';
import { DURATION_UNITS, parseSimpleDuration, simpleDuration, type Leaf } from './tree';

/** Leaf editors shared by segments, promotions and scenario conditions. */

export const OPS = [
  { op: 'eq', label: 'is' },
  { op: 'neq', label: 'is not' },
  { op: 'contains', label: 'contains' },
  { op: 'in', label: 'is one of' },
  { op: 'gt', label: '>' },
  { op: 'gte', label: '≥' },
  { op: 'lt', label: '<' },
  { op: 'lte', label: '≤' },
  { op: 'between', label: 'between' },
  { op: 'exists', label: 'exists' },
] as const;

type ValueType = 'text' | 'number' | 'boolean' | 'date' | 'ago' | 'in';
const VALUE_TYPES: { t: ValueType; label: string }[] = [
  { t: 'text', label: 'text' },
  { t: 'number', label: 'number' },
  { t: 'boolean', label: 'yes/no' },
  { t: 'date', label: 'date' },
  { t: 'ago', label: 'days ago' },
  { t: 'in', label: 'days from now' },
];

function typeOf(v: unknown): ValueType {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return 'date';
  if (v && typeof v === 'object' && 'ago' in v) return 'ago';
  if (v && typeof v === 'object' && 'in' in v) return 'in';
  return 'text';
}

function daysOf(v: unknown): string {
  const d = v && typeof v === 'object' ? parseSimpleDuration(Object.values(v)[0]) : null;
  return d ? String(d.unit === 'W' ? d.n * 7 : d.n) : '';
}

function convert(text: string, t: ValueType): unknown {
  switch (t) {
    case 'number':
      return text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text);
    case 'boolean':
      return text === 'true';
    case 'ago':
      return { ago: `P${text || 0}D` };
    case 'in':
      return { in: `P${text || 0}D` };
    default:
      return text;
  }
}

function display(v: unknown): string {
  const t = typeOf(v);
  if (t === 'ago' || t === 'in') return daysOf(v);
  return v === undefined || v === null ? '' : String(v);
}

export const invalid = (errors: FieldError[], part: string) => errors.some((e) => e.path === part || e.path.startsWith(`${part}.`));

/** One scalar value with its type (text, number, yes/no, date, relative date). */
function ValueInput({ value, onChange, label, bad }: { value: unknown; onChange(v: unknown): void; label: string; bad: boolean }) {
  const [t, setT] = useState<ValueType>(typeOf(value));
  return (
    <span className="cond__value">
      <select className="input input--auto" aria-label={`${label} type`} value={t} onChange={(e) => {
        const nt = e.target.value as ValueType;
        setT(nt);
        onChange(convert(nt === 'boolean' ? 'true' : display(value), nt));
      }}>
        {VALUE_TYPES.map((v) => (
          <option key={v.t} value={v.t}>
            {v.label}
          </option>
        ))}
      </select>
      {t === 'boolean' ? (
        <select className="input input--auto" aria-label={label} value={String(value === true)} onChange={(e) => onChange(e.target.value === 'true')}>
          <option value="true">yes</option>
          <option value="false">no</option>
        </select>
      ) : (
        <input
          className="input"
          aria-label={label}
          aria-invalid={bad}
          type={t === 'date' ? 'date' : t === 'text' ? 'text' : 'number'}
          value={display(value)}
          onChange={(e) => onChange(convert(e.target.value, t))}
        />
      )}
    </span>
  );
}

/** `op` + `value` (+ `ignore_year` for dates), as `{field, op, value}` leaves and `where` filters write them. */
export function ComparisonEditor({ leaf, onChange, errors }: { leaf: Leaf; onChange(v: Leaf): void; errors: FieldError[] }) {
  const op = (leaf.op as string) ?? 'eq';
  const setOp = (next: string) => {
    const { value: _v, ...rest } = leaf;
    if (next === 'exists') onChange({ ...rest, op: next, value: true });
    else if (next === 'in') onChange({ ...rest, op: next, value: Array.isArray(leaf.value) ? leaf.value : leaf.value === undefined || leaf.value === '' ? [] : [leaf.value] });
    else if (next === 'between') onChange({ ...rest, op: next, value: Array.isArray(leaf.value) && leaf.value.length === 2 ? leaf.value : [0, 0] });
    else onChange({ ...rest, op: next, value: Array.isArray(leaf.value) ? (leaf.value[0] ?? '') : typeof leaf.value === 'boolean' && op === 'exists' ? '' : leaf.value });
  };
  const isDate = ['date', 'ago', 'in'].includes(typeOf(Array.isArray(leaf.value) ? leaf.value[0] : leaf.value));
  return (
    <>
      <select className="input input--auto" aria-label="Operator" aria-invalid={invalid(errors, 'op')} value={op} onChange={(e) => setOp(e.target.value)}>
        {OPS.map((o) => (
          <option key={o.op} value={o.op}>
            {o.label}
          </option>
        ))}
      </select>
      {op === 'exists' ? (
        <select className="input input--auto" aria-label="Value" value={String(leaf.value !== false)} onChange={(e) => onChange({ ...leaf, value: e.target.value === 'true' })}>
          <option value="true">yes</option>
          <option value="false">no</option>
        </select>
      ) : op === 'in' ? (
        <input
          className="input"
          aria-label="Values"
          aria-invalid={invalid(errors, 'value')}
          placeholder="comma-separated: Berlin, Hamburg"
          defaultValue={Array.isArray(leaf.value) ? leaf.value.join(', ') : ''}
          onChange={(e) => onChange({ ...leaf, value: e.target.value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s)) })}
        />
      ) : op === 'between' ? (
        <>
          <ValueInput label="From" value={(leaf.value as unknown[])?.[0]} bad={invalid(errors, 'value')} onChange={(v) => onChange({ ...leaf, value: [v, (leaf.value as unknown[])?.[1] ?? v] })} />
          <span className="muted">and</span>
          <ValueInput label="To" value={(leaf.value as unknown[])?.[1]} bad={invalid(errors, 'value')} onChange={(v) => onChange({ ...leaf, value: [(leaf.value as unknown[])?.[0] ?? v, v] })} />
        </>
      ) : (
        <ValueInput label="Value" value={leaf.value} bad={invalid(errors, 'value')} onChange={(v) => onChange({ ...leaf, value: v })} />
      )}
      {isDate && op !== 'exists' && op !== 'in' && (
        <label className="check small">
          <input
            type="checkbox"
            checked={leaf.ignore_year === true}
            onChange={(e) => {
              const { ignore_year: _i, ...rest } = leaf;
              onChange(e.target.checked ? { ...rest, ignore_year: true } : rest);
            }}
          />
          ignore the year
        </label>
      )}
    </>
  );
}

/** `{field: "fields.city", op, value}`: the field names come from the caller (profile fields, `data.*`, …). */
export function fieldKind(opts: { label?: string; fields: string[]; placeholder?: string; defaultField?: string } = { fields: [] }): LeafKindUI {
  const listId = `cond-fields-${Math.random().toString(36).slice(2, 8)}`;
  function Editor({ value, onChange, errors }: LeafEditorProps) {
    return (
      <div className="cond__row">
        <input
          className="input input--field"
          aria-label="Field"
          list={listId}
          aria-invalid={invalid(errors, 'field')}
          placeholder={opts.placeholder ?? 'fields.city'}
          value={(value.field as string) ?? ''}
          onChange={(e) => onChange({ ...value, field: e.target.value })}
        />
        <datalist id={listId}>
          {opts.fields.map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <ComparisonEditor leaf={value} onChange={onChange} errors={errors} />
      </div>
    );
  }
  return { key: 'field', label: opts.label ?? 'Profile field', create: () => ({ field: opts.defaultField ?? 'fields.', op: 'eq', value: '' }), Editor };
}

export const PROFILE_FIELDS = ['email', 'phone', 'external_id', 'created_at', 'updated_at', 'fields.first_name', 'fields.last_name', 'fields.city', 'fields.birthday'];

const COUNT_OPS = [
  { op: 'gte', label: 'at least' },
  { op: 'lte', label: 'at most' },
  { op: 'eq', label: 'exactly' },
  { op: 'gt', label: 'more than' },
  { op: 'lt', label: 'fewer than' },
];

/** `{gte: 3}`: an operator and a number. */
export function BoundEditor({ value, onChange, label, bad, step }: { value: unknown; onChange(v: Record<string, number | string>): void; label: string; bad: boolean; step?: string }) {
  const entry = value && typeof value === 'object' ? Object.entries(value)[0] : undefined;
  const op = entry?.[0] ?? 'gte';
  const n = entry?.[1];
  return (
    <span className="cond__value">
      <select className="input input--auto" aria-label={`${label} comparison`} value={op} onChange={(e) => onChange({ [e.target.value]: (n as number) ?? 1 })}>
        {COUNT_OPS.map((o) => (
          <option key={o.op} value={o.op}>
            {o.label}
          </option>
        ))}
      </select>
      <input
        className="input input--num"
        aria-label={label}
        aria-invalid={bad}
        type="number"
        step={step ?? '1'}
        value={n === undefined ? '' : String(n)}
        onChange={(e) => onChange({ [op]: e.target.value === '' || Number.isNaN(Number(e.target.value)) ? e.target.value : Number(e.target.value) })}
      />
    </span>
  );
}

/** A duration as a number and a unit; free text when it does not fit that shape. */
export function DurationInput({ value, onChange, label, bad, allowEmpty = true }: { value: string | undefined; onChange(v: string | undefined): void; label: string; bad?: boolean; allowEmpty?: boolean }) {
  const parsed = parseSimpleDuration(value);
  const [unit, setUnit] = useState<'M' | 'H' | 'D' | 'W'>(parsed?.unit ?? 'D');
  if (value !== undefined && value !== '' && !parsed)
    return <input className="input input--num" aria-label={label} aria-invalid={bad} value={value} onChange={(e) => onChange(e.target.value || undefined)} />;
  return (
    <span className="cond__value">
      <input
        className="input input--num"
        type="number"
        min={0}
        aria-label={label}
        aria-invalid={bad}
        value={parsed ? String(parsed.n) : ''}
        placeholder={allowEmpty ? 'any time' : ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : simpleDuration(Math.max(0, Math.floor(Number(e.target.value))), unit))}
      />
      <select
        className="input input--auto"
        aria-label={`${label} unit`}
        value={unit}
        onChange={(e) => {
          const u = e.target.value as typeof unit;
          setUnit(u);
          if (parsed) onChange(simpleDuration(parsed.n, u));
        }}
      >
        {DURATION_UNITS.map((d) => (
          <option key={d.unit} value={d.unit}>
            {d.label}
          </option>
        ))}
      </select>
    </span>
  );
}

/** `where` as `property = value` rows (JSON values: `100`, `"shoes"`, `{"gte": 100}`). */
export function WhereEditor({ value, onChange, bad }: { value: unknown; onChange(v: Record<string, unknown> | undefined): void; bad: boolean }) {
  const [text, setText] = useState(() => (value && typeof value === 'object' ? JSON.stringify(value) : ''));
  const [parseError, setParseError] = useState(false);
  return (
    <input
      className="input input--mono"
      aria-label="Properties filter"
      aria-invalid={bad || parseError}
      placeholder={'{"category": "shoes", "amount": {"gte": 100}}'}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        if (!e.target.value.trim()) {
          setParseError(false);
          onChange(undefined);
          return;
        }
        try {
          const v: unknown = JSON.parse(e.target.value);
          if (v && typeof v === 'object' && !Array.isArray(v)) {
            setParseError(false);
            onChange(v as Record<string, unknown>);
          } else setParseError(true);
        } catch {
          setParseError(true);
        }
      }}
    />
  );
}

const without = (leaf: Leaf, key: string): Leaf => Object.fromEntries(Object.entries(leaf).filter(([k]) => k !== key));

/** `{event, count?, within?, where?}`. */
export function eventKind(events: string[] = ['site_visit', 'cart_updated', 'order_finalized', 'points_accrued', 'message_sent', 'unsubscribed']): LeafKindUI {
  function Editor({ value, onChange, errors }: LeafEditorProps) {
    return (
      <div className="cond__row cond__row--wrap">
        <input
          className="input input--field"
          aria-label="Event name"
          list="cond-event-names"
          aria-invalid={invalid(errors, 'event')}
          value={(value.event as string) ?? ''}
          onChange={(e) => onChange({ ...value, event: e.target.value })}
        />
        <datalist id="cond-event-names">
          {events.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <BoundEditor label="Times" value={value.count ?? { gte: 1 }} bad={invalid(errors, 'count')} onChange={(c) => onChange({ ...value, count: c })} />
        <span className="muted">times in the last</span>
        <DurationInput label="Within" value={value.within as string | undefined} bad={invalid(errors, 'within')} onChange={(d) => onChange(d ? { ...value, within: d } : without(value, 'within'))} />
        <WhereEditor value={value.where} bad={invalid(errors, 'where')} onChange={(w) => onChange(w ? { ...value, where: w } : without(value, 'where'))} />
      </div>
    );
  }
  return { key: 'event', label: 'Did an event', create: () => ({ event: 'site_visit', count: { gte: 1 }, within: 'P30D' }), Editor };
}

export const CHANNELS = ['email', 'sms', 'push', 'telegram'];
export const SUBSCRIPTION_STATUSES = ['subscribed', 'unsubscribed', 'pending', 'suppressed'];

export const subscriptionKind: LeafKindUI = {
  key: 'subscription',
  label: 'Subscription',
  create: () => ({ subscription: { channel: 'email', status: 'subscribed' } }),
  Editor({ value, onChange, errors }) {
    const s = (value.subscription ?? {}) as { channel?: string; status?: string };
    return (
      <div className="cond__row">
        <select className="input input--auto" aria-label="Channel" aria-invalid={invalid(errors, 'subscription.channel')} value={s.channel} onChange={(e) => onChange({ subscription: { ...s, channel: e.target.value } })}>
          {CHANNELS.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
        <span className="muted">is</span>
        <select className="input input--auto" aria-label="Status" aria-invalid={invalid(errors, 'subscription.status')} value={s.status} onChange={(e) => onChange({ subscription: { ...s, status: e.target.value } })}>
          {SUBSCRIPTION_STATUSES.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </div>
    );
  },
};

/** `{segment: id}`: membership of another segment. */
export function segmentKind(segments: { id: string; name: string }[]): LeafKindUI {
  return {
    key: 'segment',
    label: 'In segment',
    create: () => ({ segment: segments[0]?.id ?? '' }),
    Editor({ value, onChange, errors }) {
      return (
        <div className="cond__row">
          <select className="input" aria-label="Segment" aria-invalid={invalid(errors, 'segment')} value={(value.segment as string) ?? ''} onChange={(e) => onChange({ segment: e.target.value })}>
            <option value="">Choose a segment…</option>
            {segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      );
    },
  };
}
