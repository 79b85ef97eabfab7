import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices } from '../helpers/databases.js';
import { CHROMIUM, fieldError, haveChromium, poll, startUi, type UiServer } from './browser.js';

const run = haveChromium || requireServices ? describe : describe.skip;
if (!haveChromium && !requireServices) console.warn(`skipping the segments UI tests: no Chromium at ${CHROMIUM}`);

run('segments screen', () => {
  let ui: UiServer;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    ui = await startUi();
    for (const [email, city] of [['ber1@example.com', 'Berlin'], ['ber2@example.com', 'Berlin'], ['ham1@example.com', 'Hamburg']])
      await ui.call('POST', '/profiles', { email, fields: { city }, subscriptions: { email: 'subscribed' } });
    await ui.call('POST', '/events', { profile: { email: 'ber1@example.com' }, name: 'site_visit' });
    // ber1 has bought, ber2 is in the loyalty program.
    const order = await ui.call('PUT', '/market/orders/o-1', { profile: { email: 'ber1@example.com' }, status: 'paid', items: [{ product_id: 'p-1', quantity: 1, price: 150 }] });
    expect(order.status).toBeLessThan(300);
    const program = await ui.call('POST', '/loyalty/programs', { name: 'Club', currency: 'EUR', point_value: 1, points_rounding: 'floor', redeem_max_share: 0.5, tiers: [{ name: 'Basic', min_spend: 0 }, { name: 'Gold', min_spend: 1000 }] });
    expect(program.status).toBe(201);
    await ui.call('POST', `/loyalty/programs/${program.body.id}/members`, { profile: { email: 'ber2@example.com' } });
    await ui.signIn('/segments');
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
  });

  it('builds a dynamic segment with the condition builder; a bad condition is shown on its own row', async () => {
    const { page, b } = ui;
    await page.getByRole('button', { name: 'New segment' }).click();
    const form = page.getByTestId('segment-form');
    await form.getByLabel('Name').fill('Berlin visitors');
    // The first condition: fields.city is Berlin.
    const first = form.locator('[data-cond-path="conditions.all.0"]');
    await first.getByLabel('Value', { exact: true }).fill('Berlin');
    // A second one: an event with an empty name, refused by the API on that row only.
    await form.getByRole('button', { name: '+ Add condition' }).first().click();
    await form.getByRole('menuitem', { name: 'Did an event' }).click();
    const second = form.locator('[data-cond-path="conditions.all.1"]');
    await second.getByLabel('Event name').fill('');
    await form.getByRole('button', { name: 'Create segment' }).click();
    await poll(() => second.locator('.field__error').textContent()).toContain('must be an event name');
    expect(await first.locator('.field__error').count()).toBe(0);
    await b.shot('segments-01-condition-error');
    await second.getByLabel('Event name').fill('site_visit');
    await form.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { name: 'Berlin visitors' }).waitFor();
    // Live count from GET /segments/{id}/count: only ber1 lives in Berlin and visited.
    await poll(() => page.getByTestId('segment-count').locator('.live-count__value').textContent()).toBe('1');
    await page.getByTestId('segment-profiles').getByRole('cell', { name: 'ber1@example.com' }).first().waitFor();
    await b.shot('segments-02-detail');
  });

  it('edits the conditions: the count follows (any of …)', async () => {
    const { page } = ui;
    const form = page.getByTestId('segment-form');
    await form.getByLabel('Match').first().selectOption('any');
    await form.getByRole('button', { name: 'Save segment' }).click();
    await poll(() => page.getByTestId('segment-count').locator('.live-count__value').textContent()).toBe('2');
    const seg = (await ui.call('GET', '/segments')).body.items.find((s: any) => s.name === 'Berlin visitors');
    expect(Object.keys(seg.conditions)).toEqual(['any']);
  });

  it('keeps a static segment: members by email and by CSV, with the bad lines reported', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/segments/new`);
    const form = page.getByTestId('segment-form');
    await form.getByLabel('Name').fill('VIP list');
    await form.getByLabel('Type', { exact: true }).selectOption('static');
    await form.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { name: 'VIP list' }).waitFor();
    const members = page.getByTestId('segment-members-edit');
    await members.getByRole('button', { name: 'Apply' }).click();
    await poll(() => fieldError(members, 'people').textContent()).toContain('enter at least one');
    await members.getByLabel('People').fill('ham1@example.com\nnobody@example.com');
    await members.getByRole('button', { name: 'Apply' }).click();
    await poll(() => members.getByTestId('members-result').textContent()).toContain('1 added');
    expect(await members.getByTestId('members-result').textContent()).toContain('line 2: no profile with this email');
    await members.getByLabel('Or upload a CSV').setInputFiles({ name: 'vip.csv', mimeType: 'text/csv', buffer: Buffer.from('email\nber2@example.com\n') });
    await members.getByRole('button', { name: 'Upload CSV' }).click();
    await poll(() => members.getByTestId('members-result').textContent()).toContain('1 added');
    await poll(() => page.getByTestId('segment-count').locator('.live-count__value').textContent()).toBe('2');
    await b.shot('segments-03-static');
    await page.goto(`${ui.base}/segments`);
    await page.getByTestId('segment-list').locator('tr[data-segment="VIP list"]').waitFor();
    await b.shot('segments-04-list');
  });

  it('builds a segment on orders and loyalty membership; a bad amount is refused on its row; the count follows', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/segments/new`);
    const form = page.getByTestId('segment-form');
    await form.getByLabel('Name').fill('Buyers and members');
    await form.locator('[data-cond-path="conditions.all.0"]').locator('..').getByRole('button', { name: 'Remove condition' }).click();
    await form.getByRole('button', { name: '+ Add condition' }).first().click();
    await form.getByRole('menuitem', { name: 'Placed orders' }).click();
    const orders = form.locator('[data-cond-path="conditions.all.0"]');
    await orders.getByLabel('Money spent').check();
    await orders.getByLabel('Spent', { exact: true }).fill('10.555');
    await form.getByRole('button', { name: '+ Add condition' }).first().click();
    await form.getByRole('menuitem', { name: 'Loyalty' }).click();
    const loyalty = form.locator('[data-cond-path="conditions.all.1"]');
    await loyalty.getByLabel('Program').selectOption({ label: 'Club' });
    await form.getByLabel('Match').first().selectOption('any');
    await form.getByRole('button', { name: 'Create segment' }).click();
    const bad = form.locator('[data-cond-path="conditions.any.0"]');
    await poll(() => bad.locator('.field__error').textContent()).toContain('at most two decimals');
    expect(await form.locator('[data-cond-path="conditions.any.1"] .field__error').count()).toBe(0);
    await poll(() => form.getByTestId('segment-preview-count').textContent()).toBe('—');
    await b.shot('segments-05-orders-error');
    await bad.getByLabel('Spent', { exact: true }).fill('100');
    // Counted before it is saved: ber1 bought for 150, ber2 is a member.
    await poll(() => form.getByTestId('segment-preview-count').textContent()).toBe('2');
    await form.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { name: 'Buyers and members' }).waitFor();
    await poll(() => page.getByTestId('segment-count').locator('.live-count__value').textContent()).toBe('2');
    const seg = (await ui.call('GET', '/segments')).body.items.find((s: any) => s.name === 'Buyers and members');
    expect(seg.conditions.any[0]).toEqual({ orders: { count: { gte: 1 }, total_spent: { gte: 100 }, within: 'P90D' } });
    expect(seg.conditions.any[1].loyalty).toMatchObject({ member: true });
    // Only Gold members: nobody yet.
    const edit = page.getByTestId('segment-form');
    const tier = edit.locator('[data-cond-path="conditions.any.1"]');
    await tier.getByLabel('Loyalty condition').selectOption('tier');
    await tier.getByLabel('Basic').uncheck();
    await tier.getByLabel('Gold').check();
    await edit.getByRole('button', { name: 'Save segment' }).click();
    await poll(() => page.getByTestId('segment-count').locator('.live-count__value').textContent()).toBe('1');
    await b.shot('segments-06-orders-loyalty');
  });

  it('builds a segment on RFM scores once they are computed', async () => {
    const { page } = ui;
    const job = await ui.call('POST', '/segments/rfm/refresh');
    expect(job.status).toBe(202);
    await poll(async () => (await ui.call('GET', `/jobs/${job.body.job_id}`)).body.status).toBe('done');
    await page.goto(`${ui.base}/segments/new`);
    const form = page.getByTestId('segment-form');
    await form.getByLabel('Name').fill('Scored buyers');
    await form.locator('[data-cond-path="conditions.all.0"]').locator('..').getByRole('button', { name: 'Remove condition' }).click();
    await form.getByRole('button', { name: '+ Add condition' }).first().click();
    await form.getByRole('menuitem', { name: 'RFM score' }).click();
    const rfm = form.locator('[data-cond-path="conditions.all.0"]');
    // A new RFM condition asks for recency 4 or 5; widen it to every score.
    for (const s of [1, 2, 3]) await rfm.getByLabel(`Recency ${s}`).check();
    await form.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { name: 'Scored buyers' }).waitFor();
    const seg = (await ui.call('GET', '/segments')).body.items.find((s: any) => s.name === 'Scored buyers');
    expect(seg.conditions).toEqual({ all: [{ rfm: { r: [1, 2, 3, 4, 5] } }] });
    // ber1, the one buyer, has a recency score; nobody else has one.
    await poll(() => page.getByTestId('segment-count').locator('.live-count__value').textContent()).toBe('1');
  });

  it('logged no console errors', () => {
    expect(ui.b.errors).toEqual([]);
  });
});
