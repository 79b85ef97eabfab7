import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { useCursorPages } from '../../api/hooks';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, formatMoney, KeyValues, PageHeader, Pager, Spinner, Tabs, Time } from '../../components/ui';

interface Product {
  id: string;
  name: string;
  price: number;
  old_price: number | null;
  currency: string | null;
  categories: string[];
  url: string | null;
  picture: string | null;
  vendor: string | null;
  params: Record<string, unknown>;
  available: boolean;
  skus: { id: string; price: number; quantity: number | null; params: Record<string, unknown> }[];
  updated_at: string;
}

interface Order {
  id: string;
  profile_id: string;
  status: string;
  channel: string | null;
  currency: string | null;
  items: { product_id: string; sku_id: string | null; quantity: number; price: number; discount: number; total: number; points_accrued: number; points_redeemed: number; refunded_quantity: number }[];
  subtotal: number;
  discount_total: number;
  points_redeemed: number;
  total: number;
  points_accrued: number;
  applied_promotions: unknown[];
  created_at: string;
}

function Products() {
  const navigate = useNavigate();
  const [category, setCategory] = useState('');
  const { list, page, hasNext, next, prev, reset } = useCursorPages<Product>(['market', 'products'], '/market/products', { category: category || undefined }, 25);
  return (
    <Card
      className="card--flush"
      testId="product-list"
      title="Products"
      actions={<input className="input input--auto" aria-label="Category" placeholder="category" value={category} onChange={(e) => { setCategory(e.target.value); reset(); }} />}
    >
      {list.isPending ? (
        <Spinner />
      ) : list.isError ? (
        <ErrorState error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty icon={<Icon name="bag" size={28} />} title="No products">The shop sends its catalogue with PUT /market/products/{'{id}'} or a YML/CSV feed.</Empty>
      ) : (
        <>
          <table className="table table--hover">
            <thead>
              <tr>
                <th>Product</th>
                <th>Categories</th>
                <th className="num">Price</th>
                <th>Available</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id} className="clickable" data-product={p.id} onClick={() => navigate(`/market/products/${encodeURIComponent(p.id)}`)}>
                  <td>
                    <span className="strong">{p.name}</span> <code className="small">{p.id}</code>
                  </td>
                  <td className="muted">{p.categories.join(', ')}</td>
                  <td className="num">{formatMoney(p.price, p.currency)}</td>
                  <td>{p.available ? <Badge tone="green">yes</Badge> : <Badge>no</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
        </>
      )}
    </Card>
  );
}

function ProductDetail() {
  const { id = '' } = useParams();
  const p = useQuery({ queryKey: ['market', 'product', id], queryFn: ({ signal }) => api.get<Product>(`/market/products/${encodeURIComponent(id)}`, undefined, signal) });
  if (p.isPending) return <Spinner />;
  if (p.isError) return <ErrorState error={p.error} />;
  const x = p.data;
  return (
    <>
      <PageHeader back={<Link to="/market">← Market</Link>} title={x.name} subtitle={<code>{x.id}</code>} />
      <div className="grid grid--aside">
        <Card title="Product" testId="product-detail">
          <KeyValues
            rows={[
              ['Price', formatMoney(x.price, x.currency)],
              ['Old price', x.old_price !== null ? formatMoney(x.old_price, x.currency) : null],
              ['Categories', x.categories.join(', ')],
              ['Vendor', x.vendor],
              ['URL', x.url && <a href={x.url}>{x.url}</a>],
              ['Available', x.available ? 'yes' : 'no'],
              ['Parameters', Object.keys(x.params).length ? <code>{JSON.stringify(x.params)}</code> : null],
              ['Updated', <Time iso={x.updated_at} />],
            ]}
          />
        </Card>
        <Card title="SKUs" className="card--flush">
          {x.skus.length ? (
            <table className="table table--compact">
              <thead>
                <tr>
                  <th>SKU</th>
                  <th className="num">Price</th>
                  <th className="num">Stock</th>
                </tr>
              </thead>
              <tbody>
                {x.skus.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <code>{s.id}</code>
                    </td>
                    <td className="num">{formatMoney(s.price, x.currency)}</td>
                    <td className="num">{s.quantity ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted card__pad">No SKUs.</p>
          )}
        </Card>
      </div>
    </>
  );
}

function Orders() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const profile = params.get('profile') ?? '';
  const form = useApiForm({
    initial: { profile },
    fieldOf: (p) => (/^(query\.)?profile/.test(p) ? 'profile' : undefined),
    validate: (v) => (v.profile.trim() ? [] : [{ path: 'profile', message: 'enter a profile id or email' }]),
    submit: (v) => api.get<{ items: Order[] }>('/market/orders', { profile: v.profile.trim(), limit: 100 }),
    onSuccess: (_r, v) => setParams({ tab: 'orders', profile: v.profile.trim() }, { replace: true }),
  });
  const orders = useQuery({ queryKey: ['market', 'orders', profile], queryFn: ({ signal }) => api.get<{ items: Order[] }>('/market/orders', { profile, limit: 100 }, signal), enabled: Boolean(profile) });
  return (
    <Card title="Orders of a customer" className="card--flush" testId="order-list">
      <div className="card__pad">
        <ApiFormView form={form} className="form form--row">
          <Field name="profile" label="Customer" hint="Profile id or email">
            <input {...form.bind('profile')} className="input" placeholder="anna@example.com" />
          </Field>
          <div className="form__actions">
            <Button type="submit" busy={form.submitting}>
              Show orders
            </Button>
          </div>
          <FormProblem />
        </ApiFormView>
      </div>
      {profile && orders.isPending && <Spinner />}
      {orders.data && orders.data.items.length === 0 && <Empty title="No orders for this customer." />}
      {orders.data && orders.data.items.length > 0 && (
        <table className="table table--hover">
          <thead>
            <tr>
              <th>Order</th>
              <th>Status</th>
              <th className="num">Total</th>
              <th className="num">Points</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {orders.data.items.map((o) => (
              <tr key={o.id} className="clickable" data-order={o.id} onClick={() => navigate(`/market/orders/${encodeURIComponent(o.id)}`)}>
                <td>
                  <code>{o.id}</code>
                </td>
                <td>
                  <Badge>{o.status}</Badge>
                </td>
                <td className="num">{formatMoney(o.total, o.currency)}</td>
                <td className="num">{o.points_accrued}</td>
                <td>
                  <Time iso={o.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function OrderDetail() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const toast = useToast();
  const o = useQuery({ queryKey: ['market', 'order', id], queryFn: ({ signal }) => api.get<Order>(`/market/orders/${encodeURIComponent(id)}`, undefined, signal) });
  const [status, setStatus] = useState('');
  const change = useMutation({
    mutationFn: (s: string) => api.post<Order>(`/market/orders/${encodeURIComponent(id)}/status`, { status: s }),
    onSuccess: (r) => {
      toast(`Order is now ${r.status}.`);
      void client.invalidateQueries({ queryKey: ['market'] });
    },
    onError: (e) => toast(e.message, 'error'),
  });
  if (o.isPending) return <Spinner />;
  if (o.isError) return <ErrorState error={o.error} />;
  const x = o.data;
  return (
    <>
      <PageHeader
        back={<Link to={`/market?tab=orders&profile=${x.profile_id}`}>← Orders</Link>}
        title={`Order ${x.id}`}
        subtitle={
          <>
            <Badge>{x.status}</Badge> · <Link to={`/profiles/${x.profile_id}`}>customer</Link> · <Time iso={x.created_at} />
          </>
        }
        actions={
          <span className="row" data-testid="order-status">
            <select className="input input--auto" aria-label="New status" value={status || x.status} onChange={(e) => setStatus(e.target.value)}>
              {['new', 'paid', 'delivered', 'canceled'].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <Button variant="primary" busy={change.isPending} disabled={!status || status === x.status} onClick={() => change.mutate(status)}>
              Change status
            </Button>
          </span>
        }
      />
      <Card title="Lines" className="card--flush" testId="order-detail">
        <table className="table table--compact">
          <thead>
            <tr>
              <th>Product</th>
              <th className="num">Qty</th>
              <th className="num">Price</th>
              <th className="num">Discount</th>
              <th className="num">Total</th>
              <th className="num">Points</th>
            </tr>
          </thead>
          <tbody>
            {x.items.map((l, i) => (
              <tr key={i}>
                <td>
                  <Link to={`/market/products/${encodeURIComponent(l.product_id)}`}>{l.product_id}</Link> {l.sku_id && <code className="small">{l.sku_id}</code>}
                </td>
                <td className="num">{l.quantity}</td>
                <td className="num">{formatMoney(l.price, x.currency)}</td>
                <td className="num">{formatMoney(l.discount, x.currency)}</td>
                <td className="num">{formatMoney(l.total, x.currency)}</td>
                <td className="num">{l.points_accrued}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="card__pad">
          <KeyValues
            rows={[
              ['Subtotal', formatMoney(x.subtotal, x.currency)],
              ['Discounts', formatMoney(x.discount_total, x.currency)],
              ['Points redeemed', x.points_redeemed],
              ['Total', <strong data-testid="order-total">{formatMoney(x.total, x.currency)}</strong>],
              ['Points accrued', x.points_accrued],
            ]}
          />
        </div>
      </Card>
    </>
  );
}

function Market() {
  const [params, setParams] = useSearchParams();
  const tab = (params.get('tab') as 'products' | 'orders') ?? 'products';
  return (
    <>
      <PageHeader title="Market" subtitle="The shop's catalogue and orders, as the shop sent them." />
      <Tabs label="Market" active={tab} onChange={(t) => setParams({ tab: t })} tabs={[{ id: 'products', label: 'Products' }, { id: 'orders', label: 'Orders' }]} />
      {tab === 'products' ? <Products /> : <Orders />}
    </>
  );
}

export default function MarketPage() {
  return (
    <Routes>
      <Route index element={<Market />} />
      <Route path="products/:id" element={<ProductDetail />} />
      <Route path="orders/:id" element={<OrderDetail />} />
    </Routes>
  );
}
