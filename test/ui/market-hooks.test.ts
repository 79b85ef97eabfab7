import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices } from '../helpers/databases.js';
import { CHROMIUM, fieldError, haveChromium, poll, startUi, type UiServer } from './browser.js';

const run = haveChromium || requireServices ? describe : describe.skip;
if (!haveChromium && !requireServices) console.warn(`skipping the market and hooks UI tests: no Chromium at ${CHROMIUM}`);

run('market and hooks screens', () => {
  let ui: UiServer;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    ui = await startUi();
    await ui.call('POST', '/profiles', { email: 'anna@example.com' });
    await ui.call('PUT', '/market/products/shoe-1', { name: 'Runner', price: 120, currency: 'EUR', categories: ['shoes'], available: true, skus: [{ id: 'shoe-1-42', price: 120, quantity: 3 }] });
    await ui.call('PUT', '/market/products/sock-1', { name: 'Socks', price: 10, currency: 'EUR', categories: ['socks'], available: true });
    const order = await ui.call('PUT', '/market/orders/o-1001', { profile: { email: 'anna@example.com' }, currency: 'EUR', items: [{ product_id: 'shoe-1', quantity: 1, price: 120 }, { product_id: 'sock-1', quantity: 2, price: 10 }] });
    expect(order.status).toBeLessThan(300);
    await ui.signIn('/market');
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
  });

  it('lists products by category and opens one with its SKUs', async () => {
    const { page, b } = ui;
    const list = page.getByTestId('product-list');
    await list.locator('tr[data-product="sock-1"]').waitFor();
    await list.getByLabel('Category').fill('shoes');
    await list.locator('tr[data-product="sock-1"]').waitFor({ state: 'detached' });
    await b.shot('market-01-products');
    await list.locator('tr[data-product="shoe-1"]').click();
    await page.getByRole('heading', { name: 'Runner' }).waitFor();
    expect(await page.getByText('shoe-1-42').count()).toBe(1);
  });

  it('finds the orders of a customer, opens one and changes its status', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/market?tab=orders`);
    const orders = page.getByTestId('order-list');
    await orders.getByRole('button', { name: 'Show orders' }).click();
    await poll(() => fieldError(orders, 'profile').textContent()).toContain('enter a profile id or email');
    await orders.getByLabel('Customer').fill('anna@example.com');
    await orders.getByRole('button', { name: 'Show orders' }).click();
    await orders.locator('tr[data-order="o-1001"]').click();
    await page.getByTestId('order-total').waitFor();
    expect(await page.getByTestId('order-total').textContent()).toContain('140');
    await page.getByLabel('New status').selectOption('paid');
    await page.getByRole('button', { name: 'Change status' }).click();
    await poll(async () => (await ui.call('GET', '/market/orders/o-1001')).body.status).toBe('paid');
    await b.shot('market-02-order');
  });

  it('creates a hook (a bad URL refused under its field) and deletes it', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/hooks`);
    const form = page.getByTestId('hook-form');
    await form.getByLabel('Name').fill('Warehouse');
    await form.getByLabel('URL').fill('ftp://warehouse.example.com');
    await form.getByRole('button', { name: 'Create hook' }).click();
    await poll(() => fieldError(form, 'target.url').textContent()).toContain('^https?://');
    await b.shot('hooks-01-field-error');
    await form.getByLabel('URL').fill('https://warehouse.example.com/in');
    await form.getByRole('button', { name: 'Create hook' }).click();
    const row = page.getByTestId('hook-list').locator('tr[data-hook="Warehouse"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('order_finalized');
    await b.shot('hooks-02-list');
    await row.getByRole('button', { name: 'Delete Warehouse' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await ui.call('GET', '/hooks')).body.items).toEqual([]);
  });

  it('logged no console errors', () => {
    expect(ui.b.errors).toEqual([]);
  });
});
