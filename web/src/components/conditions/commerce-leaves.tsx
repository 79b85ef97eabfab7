import type { LeafEditorProps, LeafKindUI } from './ConditionBuilder';
import { BoundEditor, DurationInput, invalid } from './leaves';
import type { Leaf } from './tree';

/** Segment leaves on what profiles bought and hold: orders, loyalty membership, RFM scores. */

const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

/** `{orders: {count?: {gte: 2}, total_spent?: {gte: 100}, within?: "P90D"}}`: canceled and refunded orders do not count. */
export const ordersKind: LeafKindUI = {
  key: 'orders',
  label: 'Placed orders',
  create: () => ({ orders: { count: { gte: 1 }, within: 'P90D' } }),
  Editor({ value, onChange, errors }: LeafEditorProps) {
    const o = (value.orders ?? {}) as Record<string, unknown>;
    const set = (next: Record<string, unknown>) => onChange({ orders: next });
    return (
      <div className="cond__row cond__row--wrap">
        <label className="check small">
          <input type="checkbox" aria-label="Count orders" checked={o.count !== undefined} onChange={(e) => set(e.target.checked ? { ...o, count: { gte: 1 } } : without(o, 'count'))} /> orders
        </label>
        {o.count !== undefined && <BoundEditor label="Orders" value={o.count} bad={invalid(errors, 'orders.count')} onChange={(c) => set({ ...o, count: c })} />}
        <label className="check small">
          <input type="checkbox" aria-label="Money spent" checked={o.total_spent !== undefined} onChange={(e) => set(e.target.checked ? { ...o, total_spent: { gte: 100 } } : without(o, 'total_spent'))} /> spent
        </label>
        {o.total_spent !== undefined && (
          <BoundEditor label="Spent" step="0.01" value={o.total_spent} bad={invalid(errors, 'orders.total_spent')} onChange={(c) => set({ ...o, total_spent: c })} />
        )}
        <span className="muted">in the last</span>
        <DurationInput label="Orders within" value={o.within as string | undefined} bad={invalid(errors, 'orders.within')} onChange={(d) => set(d ? { ...o, within: d } : without(o, 'within'))} />
      </div>
    );
  },
};

export interface ProgramOption {
  id: string;
  name: string;
  tiers: { name: string }[];
}

type LoyaltyMode = 'member' | 'not_member' | 'balance' | 'tier';
const modeOf = (l: Record<string, unknown>): LoyaltyMode => (l.member === false ? 'not_member' : l.balance !== undefined ? 'balance' : l.tier !== undefined ? 'tier' : 'member');

/** `{loyalty: {program_id, member: true|false}}`, `{…, balance: {gte: 500}}`, `{…, tier: ["Gold"]}`. */
export function loyaltyKind(programs: ProgramOption[]): LeafKindUI {
  return {
    key: 'loyalty',
    label: 'Loyalty',
    create: () => ({ loyalty: { program_id: programs[0]?.id ?? '', member: true } }),
    Editor({ value, onChange, errors }: LeafEditorProps) {
      const l = (value.loyalty ?? {}) as Record<string, unknown>;
      const pid = (l.program_id as string) ?? '';
      const mode = modeOf(l);
      const program = programs.find((p) => p.id === pid);
      const tiers = Array.isArray(l.tier) ? (l.tier as string[]) : typeof l.tier === 'string' ? [l.tier] : [];
      const setMode = (m: LoyaltyMode) => {
        const base: Leaf = { program_id: pid };
        if (m === 'member') base.member = true;
        if (m === 'not_member') base.member = false;
        if (m === 'balance') base.balance = { gte: 100 };
        if (m === 'tier') base.tier = program?.tiers[0] ? [program.tiers[0].name] : [];
        onChange({ loyalty: base });
      };
      return (
        <div className="cond__row cond__row--wrap">
          <select className="input input--auto" aria-label="Program" aria-invalid={invalid(errors, 'loyalty.program_id')} value={pid} onChange={(e) => onChange({ loyalty: { ...l, program_id: e.target.value } })}>
            <option value="">Choose a program…</option>
            {programs.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <select className="input input--auto" aria-label="Loyalty condition" value={mode} onChange={(e) => setMode(e.target.value as LoyaltyMode)}>
            <option value="member">is a member</option>
            <option value="not_member">is not a member</option>
            <option value="balance">has a balance of</option>
            <option value="tier">is in tier</option>
          </select>
          {mode === 'balance' && <BoundEditor label="Points" value={l.balance} bad={invalid(errors, 'loyalty.balance')} onChange={(b) => onChange({ loyalty: { ...l, balance: b } })} />}
          {mode === 'tier' &&
            (program?.tiers.length ? (
              program.tiers.map((t) => (
                <label className="check small" key={t.name}>
                  <input
                    type="checkbox"
                    checked={tiers.includes(t.name)}
                    onChange={(e) => onChange({ loyalty: { ...l, tier: e.target.checked ? [...tiers, t.name] : tiers.filter((x) => x !== t.name) } })}
                  />{' '}
                  {t.name}
                </label>
              ))
            ) : (
              <span className="muted small">This program has no tiers.</span>
            ))}
        </div>
      );
    },
  };
}

const DIMENSIONS = [
  { d: 'r', label: 'Recency', hint: '5 = ordered most recently' },
  { d: 'f', label: 'Frequency', hint: '5 = orders most often' },
  { d: 'm', label: 'Monetary', hint: '5 = spends most' },
] as const;

/** `{rfm: {r?: [4, 5], f?: [..], m?: [..]}}`: quintiles over the last 365 days; an empty dimension is any score. */
export const rfmKind: LeafKindUI = {
  key: 'rfm',
  label: 'RFM score',
  create: () => ({ rfm: { r: [4, 5] } }),
  Editor({ value, onChange, errors }: LeafEditorProps) {
    const v = (value.rfm ?? {}) as Record<string, number[] | undefined>;
    const toggle = (d: string, score: number, on: boolean) => {
      const cur = v[d] ?? [];
      const next = on ? [...new Set([...cur, score])].sort() : cur.filter((s) => s !== score);
      const rest = without(v, d);
      onChange({ rfm: next.length ? { ...rest, [d]: next } : rest });
    };
    return (
      <div className="cond__rfm">
        {DIMENSIONS.map(({ d, label, hint }) => (
          <div className={`cond__row${invalid(errors, `rfm.${d}`) ? ' cond__row--invalid' : ''}`} key={d} role="group" aria-label={label} title={hint}>
            <span className="cond__rfm-label">{label}</span>
            {[1, 2, 3, 4, 5].map((s) => (
              <label className="check small" key={s}>
                <input type="checkbox" aria-label={`${label} ${s}`} checked={(v[d] ?? []).includes(s)} onChange={(e) => toggle(d, s, e.target.checked)} /> {s}
              </label>
            ))}
            {!(v[d] ?? []).length && <span className="muted small">any</span>}
          </div>
        ))}
      </div>
    );
  },
};
