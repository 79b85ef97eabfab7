import type { LeafEditorProps, LeafKindUI } from '../../components/conditions/ConditionBuilder';
import { BoundEditor, fieldKind } from '../../components/conditions/leaves';

/**
 * Leaves of order conditions (promotions), as API.md names them: subtotal, items_count, quantity of
 * matching items, contains product/category/sku, sales channel, member tier, member's orders_count,
 * profile fields, weekday/hour of the order, first_order.
 */
const bad = (errors: LeafEditorProps['errors'], part: string) => errors.some((e) => e.path === part || e.path.startsWith(`${part}.`));
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

function boundKind(key: string, label: string, step = '1', initial = 1): LeafKindUI {
  return {
    key,
    label,
    create: () => ({ [key]: { gte: initial } }),
    Editor: ({ value, onChange, errors }) => (
      <div className="cond__row">
        <BoundEditor label={label} step={step} value={value[key]} bad={bad(errors, key)} onChange={(b) => onChange({ ...value, [key]: b })} />
      </div>
    ),
  };
}

const textKind = (key: string, label: string, placeholder: string): LeafKindUI => ({
  key,
  label,
  create: () => ({ [key]: '' }),
  Editor: ({ value, onChange, errors }) => (
    <div className="cond__row">
      <span className="muted">is</span>
      <input className="input" aria-label={label} aria-invalid={bad(errors, key)} placeholder={placeholder} value={String(value[key] ?? '')} onChange={(e) => onChange({ [key]: e.target.value })} />
    </div>
  ),
});

const containsKind: LeafKindUI = {
  key: 'contains',
  label: 'Cart contains',
  create: () => ({ contains: { category: '' } }),
  Editor: ({ value, onChange, errors }) => {
    const c = (value.contains ?? {}) as Record<string, string>;
    const what = Object.keys(c)[0] ?? 'category';
    return (
      <div className="cond__row">
        <select className="input input--auto" aria-label="Contains what" value={what} onChange={(e) => onChange({ contains: { [e.target.value]: c[what] ?? '' } })}>
          <option value="product_id">product</option>
          <option value="category">category</option>
          <option value="sku">SKU</option>
        </select>
        <input className="input" aria-label="Contains value" aria-invalid={bad(errors, 'contains')} value={c[what] ?? ''} onChange={(e) => onChange({ contains: { [what]: e.target.value } })} />
      </div>
    );
  },
};

const quantityKind: LeafKindUI = {
  key: 'quantity',
  label: 'Quantity of matching items',
  create: () => ({ quantity: { gte: 2 }, categories: [] }),
  Editor: ({ value, onChange, errors }) => (
    <div className="cond__row">
      <BoundEditor label="Quantity" value={value.quantity} bad={bad(errors, 'quantity')} onChange={(b) => onChange({ ...value, quantity: b })} />
      <span className="muted">of categories</span>
      <input
        className="input"
        aria-label="Quantity categories"
        aria-invalid={bad(errors, 'categories')}
        placeholder="shoes, bags"
        defaultValue={((value.categories as string[]) ?? []).join(', ')}
        onChange={(e) => onChange({ ...value, categories: list(e.target.value) })}
      />
    </div>
  ),
};

const weekdayKind: LeafKindUI = {
  key: 'weekday',
  label: 'Day of the week',
  create: () => ({ weekday: [6, 7] }),
  Editor: ({ value, onChange }) => {
    const days = (value.weekday as number[]) ?? [];
    return (
      <div className="cond__row">
        {['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d, i) => (
          <label className="check small" key={d}>
            <input type="checkbox" checked={days.includes(i + 1)} onChange={(e) => onChange({ weekday: e.target.checked ? [...days, i + 1].sort() : days.filter((x) => x !== i + 1) })} /> {d}
          </label>
        ))}
      </div>
    );
  },
};

const firstOrderKind: LeafKindUI = {
  key: 'first_order',
  label: 'First order',
  create: () => ({ first_order: true }),
  Editor: ({ value, onChange }) => (
    <div className="cond__row">
      <select className="input input--auto" aria-label="First order" value={String(value.first_order !== false)} onChange={(e) => onChange({ first_order: e.target.value === 'true' })}>
        <option value="true">is the member's first order</option>
        <option value="false">is not the first order</option>
      </select>
    </div>
  ),
};

export const ORDER_KINDS: LeafKindUI[] = [
  boundKind('subtotal', 'Subtotal', '0.01', 100),
  boundKind('items_count', 'Number of items', '1', 2),
  quantityKind,
  containsKind,
  textKind('channel', 'Sales channel', 'web, app, store'),
  textKind('tier', 'Member tier', 'Gold'),
  boundKind('orders_count', "Member's orders", '1', 1),
  weekdayKind,
  boundKind('hour', 'Hour of the order', '1', 18),
  firstOrderKind,
  fieldKind({ label: 'Profile field', fields: ['fields.city', 'fields.birthday', 'fields.vip'] }),
];
