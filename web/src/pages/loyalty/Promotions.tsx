import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../../api/client';
import { toProfileRef } from '../../api/refs';
import { ConditionBuilder } from '../../components/conditions/ConditionBuilder';
import type { CondNode } from '../../components/conditions/tree';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, formatMoney, Modal, Spinner, Stats } from '../../components/ui';
import { useAllPools } from '../promo/api';
import { fromLocalInput, toLocalInput } from '../promo/PoolForm';
import { usePromotions, type Program, type Promotion } from './api';
import { ORDER_KINDS } from './orderConditions';

const BENEFITS = [
  { kind: 'percent', label: '% off', for: ['discount'] },
  { kind: 'fixed', label: 'amount off', for: ['discount'] },
  { kind: 'fixed_price', label: 'fixed price', for: ['discount'] },
  { kind: 'points_percent', label: 'points: % of the paid amount', for: ['points', 'trigger'] },
  { kind: 'points_fixed', label: 'points: a fixed number', for: ['points', 'trigger'] },
  { kind: 'points_multiplier', label: 'points: multiplier', for: ['points', 'trigger'] },
];
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const num = (s: string) => (s.trim() !== '' && !Number.isNaN(Number(s)) ? Number(s) : s);
const opt = (s: string) => (s.trim() === '' ? undefined : num(s));

function PromotionForm({ program, promotion, onDone }: { program: Program; promotion?: Promotion; onDone: () => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const pools = useAllPools();
  const p = promotion;
  const form = useApiForm({
    initial: {
      name: p?.name ?? '',
      type: p?.type ?? ('discount' as Promotion['type']),
      priority: String(p?.priority ?? 100),
      combinable: p?.combinable ?? true,
      status: p?.status ?? ('active' as Promotion['status']),
      starts_at: toLocalInput(p?.starts_at),
      ends_at: toLocalInput(p?.ends_at),
      use_conditions: Boolean(p?.conditions),
      conditions: (p?.conditions as CondNode | undefined) ?? ({ all: [{ subtotal: { gte: 100 } }] } as CondNode),
      'applies_to.product_ids': p?.applies_to?.product_ids?.join(', ') ?? '',
      'applies_to.categories': p?.applies_to?.categories?.join(', ') ?? '',
      'applies_to.skus': p?.applies_to?.skus?.join(', ') ?? '',
      promo_code_pool_id: p?.promo_code_pool_id ?? '',
      'benefit.kind': p?.benefit.kind ?? 'percent',
      'benefit.value': String(p?.benefit.value ?? 10),
      'benefit.max_discount': p?.benefit.max_discount != null ? String(p.benefit.max_discount) : '',
      'limits.per_member': p?.limits?.per_member != null ? String(p.limits.per_member) : '',
      'limits.total_uses': p?.limits?.total_uses != null ? String(p.limits.total_uses) : '',
      'limits.budget_points': p?.limits?.budget_points != null ? String(p.limits.budget_points) : '',
    },
    submit: (v) => {
      const applies = { product_ids: list(v['applies_to.product_ids']), categories: list(v['applies_to.categories']), skus: list(v['applies_to.skus']) };
      const limits = { per_member: opt(v['limits.per_member']), total_uses: opt(v['limits.total_uses']), budget_points: opt(v['limits.budget_points']) };
      const body = {
        name: v.name,
        type: v.type,
        priority: num(v.priority),
        combinable: v.combinable,
        status: v.status,
        starts_at: fromLocalInput(v.starts_at),
        ends_at: fromLocalInput(v.ends_at),
        conditions: v.use_conditions ? v.conditions : null,
        applies_to: Object.fromEntries(Object.entries(applies).filter(([, x]) => x.length)),
        promo_code_pool_id: v.promo_code_pool_id || null,
        benefit: { kind: v['benefit.kind'], value: num(v['benefit.value']), ...(v['benefit.max_discount'] ? { max_discount: num(v['benefit.max_discount']) } : {}) },
        limits: Object.fromEntries(Object.entries(limits).filter(([, x]) => x !== undefined)),
      };
      return p ? api.patch<Promotion>(`/loyalty/programs/${program.id}/promotions/${p.id}`, body) : api.post<Promotion>(`/loyalty/programs/${program.id}/promotions`, body);
    },
    onSuccess: (r) => {
      toast(`Promotion “${r.name}” saved.`);
      void client.invalidateQueries({ queryKey: ['loyalty', 'programs', program.id, 'promotions'] });
      onDone();
    },
  });
  const v = form.values;
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="name" label="Name">
          <input {...form.bind('name')} className="input" placeholder="10% off shoes" />
        </Field>
        <div className="form__pair">
          <Field name="type" label="Type">
            <select {...form.bind('type')} className="input">
              <option value="discount">discount at checkout</option>
              <option value="points">points at checkout</option>
              <option value="trigger">trigger (scenarios, accrue/redeem)</option>
            </select>
          </Field>
          <Field name="status" label="Status">
            <select {...form.bind('status')} className="input">
              <option value="active">active</option>
              <option value="paused">paused</option>
            </select>
          </Field>
        </div>
      </div>
      <div className="form__pair">
        <div className="form__pair">
          <Field name="benefit.kind" label="Benefit">
            <select {...form.bind('benefit.kind')} className="input">
              {BENEFITS.filter((b) => b.for.includes(v.type)).map((b) => (
                <option key={b.kind} value={b.kind}>
                  {b.label}
                </option>
              ))}
            </select>
          </Field>
          <Field name="benefit.value" label="Value">
            <input {...form.bind('benefit.value')} className="input" inputMode="decimal" />
          </Field>
        </div>
        <div className="form__pair">
          <Field name="benefit.max_discount" label={`At most (${program.currency})`}>
            <input {...form.bind('benefit.max_discount')} className="input" inputMode="decimal" />
          </Field>
          <Field name="priority" label="Priority" hint="Higher goes first">
            <input {...form.bind('priority')} className="input" inputMode="numeric" />
          </Field>
        </div>
      </div>
      <label className="check">
        <input type="checkbox" checked={v.combinable} onChange={(e) => form.set('combinable', e.target.checked)} /> Combinable with other promotions on the same line
      </label>
      <div className="form__pair">
        <Field name="starts_at" label="Starts">
          <input {...form.bind('starts_at')} className="input" type="datetime-local" />
        </Field>
        <Field name="ends_at" label="Ends">
          <input {...form.bind('ends_at')} className="input" type="datetime-local" />
        </Field>
      </div>
      <div className="section-title">Applies to (empty: the whole cart)</div>
      <div className="form__pair">
        <Field name="applies_to.categories" label="Categories">
          <input {...form.bind('applies_to.categories')} className="input" placeholder="shoes, bags" />
        </Field>
        <Field name="applies_to.product_ids" label="Products">
          <input {...form.bind('applies_to.product_ids')} className="input" placeholder="sku-1, sku-2" />
        </Field>
      </div>
      <div className="form__pair">
        <Field name="applies_to.skus" label="SKUs">
          <input {...form.bind('applies_to.skus')} className="input" />
        </Field>
        <Field name="promo_code_pool_id" label="Needs a promo code of">
          <select {...form.bind('promo_code_pool_id')} className="input">
            <option value="">no code needed</option>
            {(pools.data?.items ?? []).map((pl) => (
              <option key={pl.id} value={pl.id}>
                {pl.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={v.use_conditions} onChange={(e) => form.set('use_conditions', e.target.checked)} /> Only for orders that meet conditions
      </label>
      {v.use_conditions && <ConditionBuilder value={v.conditions} onChange={(c) => form.set('conditions', c)} kinds={ORDER_KINDS} errors={form.errorsAt('conditions')} />}
      <div className="section-title">Limits</div>
      <div className="form__pair">
        <div className="form__pair">
          <Field name="limits.per_member" label="Uses per member">
            <input {...form.bind('limits.per_member')} className="input" inputMode="numeric" />
          </Field>
          <Field name="limits.total_uses" label="Uses in total">
            <input {...form.bind('limits.total_uses')} className="input" inputMode="numeric" />
          </Field>
        </div>
        <Field name="limits.budget_points" label="Points budget">
          <input {...form.bind('limits.budget_points')} className="input" inputMode="numeric" />
        </Field>
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.submitting}>
          {p ? 'Save promotion' : 'Create promotion'}
        </Button>
      </div>
    </ApiFormView>
  );
}

interface Explained {
  currency: string;
  subtotal: number;
  discount_total: number;
  points_redeemed: number;
  points_redeemed_value: number;
  total: number;
  points_accrued: number;
  items: { product_id: string; sku_id: string | null; quantity: number; price: number; discount: number; total: number; points_accrued: number; promotions: string[] }[];
  applied_promotions: { id: string; name: string; type: string; discount: number; points: number }[];
  rejected: { promotion_id?: string; code?: string; reason: string }[];
  explain?: { promotion_id: string | null; line?: number | null; step: string; outcome: string; reason: string; amount_before: number; amount_after: number }[];
}

type Line = { product_id: string; quantity: string; price: string };

/** A sample cart through POST /market/preorder?explain=true: every candidate promotion and why it won or lost. */
function ExplainCart({ program, promotions }: { program: Program; promotions: Promotion[] }) {
  const nameOf = (id: string) => promotions.find((p) => p.id === id)?.name ?? id;
  const [result, setResult] = useState<Explained | null>(null);
  const form = useApiForm({
    initial: { profile: '', items: [{ product_id: '', quantity: '1', price: '' }] as Line[], promo_codes: '', redeem_points: '' },
    onSuccess: (r: Explained) => setResult(r),
    validate: (v) => (v.profile.trim() ? [] : [{ path: 'profile', message: 'enter the customer (email, phone or profile id)' }]),
    submit: (v) =>
      api.post<Explained>(
        '/market/preorder',
        {
          program_id: program.id,
          profile: toProfileRef(v.profile),
          items: v.items.map((l) => ({ product_id: l.product_id, quantity: num(l.quantity), ...(l.price ? { price: num(l.price) } : {}) })),
          ...(v.promo_codes ? { promo_codes: list(v.promo_codes) } : {}),
          ...(v.redeem_points ? { redeem_points: v.redeem_points === 'max' ? 'max' : num(v.redeem_points) } : {}),
        },
        { explain: true },
      ),
  });
  const items = form.values.items;
  const setLine = (i: number, k: keyof Line, val: string) => form.set('items', items.map((l, j) => (j === i ? { ...l, [k]: val } : l)));
  return (
    <div className="stack" data-testid="explain">
      <ApiFormView form={form}>
        <div className="form__pair">
          <Field name="profile" label="Customer">
            <input {...form.bind('profile')} className="input" placeholder="anna@example.com" />
          </Field>
          <div className="form__pair">
            <Field name="promo_codes" label="Promo codes">
              <input {...form.bind('promo_codes')} className="input" placeholder="WELCOME-AB12CD" />
            </Field>
            <Field name="redeem_points" label="Redeem points" hint="A number or max">
              <input {...form.bind('redeem_points')} className="input" />
            </Field>
          </div>
        </div>
        <div className="field">
          <div className="field__label">Cart</div>
          {items.map((l, i) => (
            <div className="tier-row" key={i} data-line={i}>
              <Field name={`items.${i}.product_id`} path={`items.${i}.product_id`} label="Product id">
                <input className="input" aria-label={`Line ${i + 1} product`} value={l.product_id} onChange={(e) => setLine(i, 'product_id', e.target.value)} />
              </Field>
              <Field name={`items.${i}.quantity`} path={`items.${i}.quantity`} label="Quantity">
                <input className="input" aria-label={`Line ${i + 1} quantity`} value={l.quantity} onChange={(e) => setLine(i, 'quantity', e.target.value)} inputMode="numeric" />
              </Field>
              <Field name={`items.${i}.price`} path={`items.${i}.price`} label="Price" hint="Catalogue price when empty">
                <input className="input" aria-label={`Line ${i + 1} price`} value={l.price} onChange={(e) => setLine(i, 'price', e.target.value)} inputMode="decimal" />
              </Field>
              <Button variant="ghost" onClick={() => form.set('items', items.filter((_, j) => j !== i))} aria-label={`Remove line ${i + 1}`}>
                ×
              </Button>
            </div>
          ))}
          <div>
            <Button variant="ghost" onClick={() => form.set('items', [...items, { product_id: '', quantity: '1', price: '' }])}>
              + Add line
            </Button>
          </div>
        </div>
        <FormProblem />
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Explain this cart
          </Button>
        </div>
      </ApiFormView>
      {result && <ExplainResult result={result} nameOf={nameOf} />}
    </div>
  );
}

const STEP_LABEL: Record<string, string> = { eligibility: 'eligibility', discount: 'discount', redeem: 'points redemption', accrual: 'accrual' };
const OUTCOME_TONE: Record<string, string> = { applied: 'green', won: 'green', candidate: 'blue', rejected: 'red', excluded: 'amber', lost: 'gray', 'no-effect': 'gray', none: 'gray' };

function ExplainResult({ result: r, nameOf }: { result: Explained; nameOf: (id: string) => string }) {
  // The trace already says why a promotion was rejected; the list below keeps what it does not name (a bad code).
  const traced = new Set((r.explain ?? []).map((e) => e.promotion_id));
  const rejectedElsewhere = r.rejected.filter((x) => !x.promotion_id || !traced.has(x.promotion_id));
  return (
    <div className="stack" data-testid="explain-result">
      <Stats
        items={[
          { label: 'subtotal', value: formatMoney(r.subtotal, r.currency) },
          { label: 'discount', value: formatMoney(r.discount_total, r.currency) },
          { label: `points redeemed (${formatMoney(r.points_redeemed_value, r.currency)})`, value: r.points_redeemed },
          { label: 'to pay', value: <span data-testid="explain-total">{formatMoney(r.total, r.currency)}</span> },
          { label: 'points accrued', value: r.points_accrued },
        ]}
      />
      <table className="table table--compact">
        <thead>
          <tr>
            <th>Product</th>
            <th className="num">Qty</th>
            <th className="num">Price</th>
            <th className="num">Discount</th>
            <th className="num">Total</th>
            <th className="num">Points</th>
            <th>Promotions</th>
          </tr>
        </thead>
        <tbody>
          {r.items.map((l, i) => (
            <tr key={i}>
              <td>{l.product_id}</td>
              <td className="num">{l.quantity}</td>
              <td className="num">{formatMoney(l.price, r.currency)}</td>
              <td className="num">{formatMoney(l.discount, r.currency)}</td>
              <td className="num">{formatMoney(l.total, r.currency)}</td>
              <td className="num">{l.points_accrued}</td>
              <td>{l.promotions.map(nameOf).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="section-title">How each promotion was considered, in order</div>
      <table className="table table--compact" data-testid="explain-steps">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Step</th>
            <th>Promotion</th>
            <th>Line</th>
            <th>Outcome</th>
            <th>Reason</th>
            <th className="num">Amount</th>
          </tr>
        </thead>
        <tbody>
          {(r.explain ?? []).map((e, i) => (
            <tr key={i} className={`explain-step explain-step--${e.outcome}`} data-step={e.step} data-outcome={e.outcome} data-promotion={e.promotion_id ? nameOf(e.promotion_id) : ''}>
              <td className="num muted">{i + 1}</td>
              <td>{STEP_LABEL[e.step] ?? e.step}</td>
              <td className="strong">{e.promotion_id ? nameOf(e.promotion_id) : <span className="muted">points</span>}</td>
              <td>{e.line !== undefined && e.line !== null ? `${e.line + 1}. ${r.items[e.line]?.product_id ?? ''}` : <span className="muted">order</span>}</td>
              <td>
                <Badge tone={OUTCOME_TONE[e.outcome] ?? 'gray'}>{e.outcome}</Badge>
              </td>
              <td className="explain-step__reason">{e.reason}</td>
              <td className="num">
                {e.amount_before !== e.amount_after ? `${formatMoney(e.amount_before, r.currency)} → ${formatMoney(e.amount_after, r.currency)}` : <span className="muted">{formatMoney(e.amount_before, r.currency)}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rejectedElsewhere.length > 0 && (
        <ul className="small" data-testid="explain-rejected">
          {rejectedElsewhere.map((x, i) => (
            <li key={i}>
              <Badge tone="red">rejected</Badge> <strong>{x.promotion_id ? nameOf(x.promotion_id) : x.code}</strong> <span className="muted">· {x.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Promotions({ program }: { program: Program }) {
  const promos = usePromotions(program.id);
  const client = useQueryClient();
  const [editing, setEditing] = useState<Promotion | 'new' | null>(null);
  const pause = useMutation({
    mutationFn: (p: Promotion) => (p.status === 'active' ? api.post(`/loyalty/programs/${program.id}/promotions/${p.id}/pause`) : api.patch(`/loyalty/programs/${program.id}/promotions/${p.id}`, { status: 'active' })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['loyalty', 'programs', program.id, 'promotions'] }),
  });
  if (promos.isPending) return <Spinner />;
  if (promos.isError)
    return promos.error instanceof ApiError && promos.error.status === 404 ? (
      <Empty title="Promotions are not available on this server yet">GET /loyalty/programs/{'{pid}'}/promotions answered 404.</Empty>
    ) : (
      <ErrorState error={promos.error} />
    );
  return (
    <div className="stack">
      <Card
        title="Promotions"
        className="card--flush"
        testId="promotion-list"
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            New promotion
          </Button>
        }
      >
        {promos.data.items.length === 0 ? (
          <Empty title="No promotions yet" />
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Benefit</th>
                <th className="num">Priority</th>
                <th>Status</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {promos.data.items.map((p) => (
                <tr key={p.id} data-promotion={p.name}>
                  <td className="strong">{p.name}</td>
                  <td>
                    <Badge tone="blue">{p.type}</Badge> {!p.combinable && <Badge tone="amber">exclusive</Badge>} {p.promo_code_pool_id && <Badge tone="violet">code</Badge>}
                  </td>
                  <td>
                    {p.benefit.kind} {p.benefit.value}
                  </td>
                  <td className="num">{p.priority}</td>
                  <td>
                    <Badge>{p.status}</Badge>
                  </td>
                  <td className="actions">
                    <Button variant="ghost" onClick={() => setEditing(p)}>
                      Edit
                    </Button>
                    <Button variant="ghost" busy={pause.isPending} onClick={() => pause.mutate(p)}>
                      {p.status === 'active' ? 'Pause' : 'Resume'}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Explain a sample cart">
        <ExplainCart program={program} promotions={promos.data.items} />
      </Card>
      {editing && (
        <Modal title={editing === 'new' ? 'New promotion' : `Edit ${editing.name}`} onClose={() => setEditing(null)} wide>
          <div data-testid="promotion-form">
            <PromotionForm program={program} promotion={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />
          </div>
        </Modal>
      )}
    </div>
  );
}
