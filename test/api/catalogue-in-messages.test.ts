import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';

describeEachDatabase('catalogue in messages', (h) => {
  it('lists cart products by id in the given order and a category\'s available products', async () => {
    const put = (id: string, body: object) => h().request('PUT', `/api/v1/market/products/${id}`, { body });
    expect((await put('tea', { name: 'Tea', price: 4.99, categories: ['drinks'], available: true })).status).toBe(201);
    expect((await put('coffee', { name: 'Coffee', price: 7.5, categories: ['drinks'], available: true })).status).toBe(201);
    expect((await put('juice', { name: 'Juice', price: 2, categories: ['drinks'], available: false })).status).toBe(201);
    expect((await h().post('/api/v1/profiles', { email: 'cart@example.com' })).status).toBe(201);
    const tpl = await h().post('/api/v1/templates', {
      name: 'cart', channel: 'email', format: 'text', subject: 'Your cart',
      body: '{% assign items = data.cart | products_by_ids: 5 %}{% for p in items %}{{ p.name }} {{ p.price }};{% endfor %}|{% assign recs = "drinks" | products_in_category: 5 %}{% for p in recs %}{{ p.id }},{% endfor %}',
    });
    expect(tpl.status).toBe(201);
    const r = await h().post(`/api/v1/templates/${tpl.body.id}/render`, { profile: { email: 'cart@example.com' }, data: { cart: ['coffee', 'nope', 'tea'] } });
    expect(r.status).toBe(200);
    expect(r.body.body).toBe('Coffee 7.5;Tea 4.99;|coffee,tea,');
  });
});
