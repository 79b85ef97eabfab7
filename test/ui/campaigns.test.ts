import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices } from '../helpers/databases.js';
import { CHROMIUM, fieldError, haveChromium, poll, startUi, type UiServer } from './browser.js';

const run = haveChromium || requireServices ? describe : describe.skip;
if (!haveChromium && !requireServices) console.warn(`skipping the campaigns UI tests: no Chromium at ${CHROMIUM}`);

run('campaigns and messages screens', () => {
  let ui: UiServer;
  let campaignId: string;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    ui = await startUi();
    for (const [email, status] of [['anna@example.com', 'subscribed'], ['bob@example.com', 'subscribed'], ['carl@example.com', 'unsubscribed']])
      await ui.call('POST', '/profiles', { email, fields: { first_name: email.split('@')[0] }, subscriptions: { email: status } });
    const seg = await ui.call('POST', '/segments', { name: 'Everyone with an email', type: 'dynamic', conditions: { field: 'email', op: 'exists', value: true } });
    expect(seg.status).toBe(201);
    for (const name of ['spring_a', 'spring_b'])
      await ui.call('POST', '/templates', { name, channel: 'email', subject: `Spring ${name}`, body: '<p>Hello {{ profile.fields.first_name }}, see <a href="https://shop.example.com/sale">the sale</a>.</p>' });
    await ui.signIn('/campaigns');
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
  });

  it('refuses a campaign without name, template or audience next to each field, then creates the draft', async () => {
    const { page, b } = ui;
    await page.getByRole('button', { name: 'New campaign' }).click();
    const form = page.getByTestId('campaign-form');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await poll(() => fieldError(form, 'name').textContent()).toBeTruthy();
    await poll(() => fieldError(form, 'template_id').textContent()).toBeTruthy();
    await poll(() => fieldError(form, 'audience.segment_ids').textContent()).toBeTruthy();
    await b.shot('campaigns-01-field-errors');
    await form.getByLabel('Name', { exact: true }).fill('Spring sale');
    await form.getByLabel('Variant 1 template').selectOption({ label: 'spring_a (email)' });
    await form.getByTestId('audience-segments').getByLabel('Everyone with an email').check();
    // A regular campaign needs a cron and a real time zone: each is refused under its own field.
    await form.getByLabel('Kind').selectOption('regular');
    await form.getByLabel('Cron').fill('every monday');
    await form.getByLabel('Time zone').fill('Mars/Olympus');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await poll(() => fieldError(form, 'schedule.cron').textContent()).toContain('five fields');
    await poll(() => fieldError(form, 'schedule.timezone').textContent()).toContain('time zone');
    expect(await fieldError(form, 'template_id').count()).toBe(0);
    await form.getByLabel('Kind').selectOption('broadcast');
    await form.getByLabel('Control group %').fill('80');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await poll(() => fieldError(form, 'control_percent').textContent()).toBeTruthy();
    expect(await fieldError(form, 'name').count()).toBe(0);
    await form.getByLabel('Control group %').fill('');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
    campaignId = page.url().split('/').pop()!;
    await page.getByTestId('campaign-bar').getByText('draft', { exact: true }).waitFor();
    expect(await page.getByTestId('campaign-definition').textContent()).toContain('Everyone with an email');
  });

  it('starts the broadcast; the stats show sent and skipped, then the opens and clicks tracking records', async () => {
    const { page, b } = ui;
    await page.getByTestId('campaign-bar').getByRole('button', { name: 'Start' }).click();
    await poll(() => page.getByTestId('stat-sent').textContent()).toBe('2');
    expect(await page.getByTestId('stat-audience').textContent()).toBe('3');
    expect(await page.getByTestId('stat-skipped').textContent()).toBe('1');
    expect(await page.getByTestId('stat-opened').textContent()).toBe('0');
    // Anna opens the email and follows its link, as her mail client would.
    const anna = (await ui.call('GET', `/messages?campaign_id=${campaignId}&profile=anna@example.com`)).body.items[0];
    const open = /\/t\/o\/[A-Za-z0-9._~-]+/.exec(anna.body)?.[0];
    const click = /\/t\/c\/[A-Za-z0-9._~-]+/.exec(anna.body)?.[0];
    expect(open && click).toBeTruthy();
    expect((await fetch(`${ui.base}${open}`)).status).toBe(200);
    expect((await fetch(`${ui.base}${click}`, { redirect: 'manual' })).status).toBe(302);
    await poll(() => page.getByTestId('stat-opened').textContent()).toBe('1');
    await poll(() => page.getByTestId('stat-clicked').textContent()).toBe('1');
    const row = page.getByTestId('campaign-messages').locator('tr[data-to="anna@example.com"]');
    await poll(() => row.getByTestId('message-clicks').textContent()).toBe('1');
    await poll(() => page.getByTestId('campaign-recipients').locator('tbody tr').count()).toBe(3);
    await b.shot('campaigns-02-stats');
  });

  it('creates an A/B trigger campaign, starts it, sends to a profile and pauses it', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/campaigns/new`);
    const form = page.getByTestId('campaign-form');
    await form.getByLabel('Name', { exact: true }).fill('Welcome A/B');
    await form.getByLabel('Kind').selectOption('trigger');
    await form.getByLabel('Variant 1 template').selectOption({ label: 'spring_a (email)' });
    await form.getByRole('button', { name: '+ Add variant' }).click();
    await form.getByLabel('Variant 2 template').selectOption({ label: 'spring_b (email)' });
    await form.getByLabel('Variant 2 weight').fill('0');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await poll(() => fieldError(form, 'variants.1.template_id').textContent()).toBeTruthy();
    await form.getByLabel('Variant 2 weight').fill('3');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    await page.getByTestId('campaign-bar').getByRole('button', { name: 'Start' }).click();
    await page.getByTestId('campaign-bar').getByText('running', { exact: true }).waitFor();
    const send = page.getByTestId('trigger-send');
    await send.getByLabel('Profile').fill('nobody@example.com');
    await send.getByRole('button', { name: 'Send now' }).click();
    await poll(() => fieldError(send, 'profile').textContent()).toBe('no profile matches this');
    await send.getByLabel('Profile').fill('bob@example.com');
    await send.getByRole('button', { name: 'Send now' }).click();
    await poll(() => send.getByTestId('send-result').textContent()).toBe('Queued.');
    await poll(() => page.getByTestId('stat-sent').textContent()).toBe('1');
    await page.getByTestId('campaign-variants').waitFor();
    await b.shot('campaigns-03-ab-trigger');
    await page.getByTestId('campaign-bar').getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('campaign-bar').getByText('paused', { exact: true }).waitFor();
    expect((await ui.call('GET', `/campaigns/${id}`)).body).toMatchObject({ status: 'paused', variants: [{ weight: 1 }, { weight: 3 }] });
    await page.goto(`${ui.base}/campaigns`);
    await page.getByTestId('campaign-list').locator('tr[data-campaign="Welcome A/B"]').waitFor();
    await b.shot('campaigns-04-list');
  });

  it('lists messages with opened, clicked and clicks, filtered by profile', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/messages`);
    await page.getByTestId('message-list').waitFor();
    // Two sent and one skipped (carl unsubscribed) by the broadcast, one sent by the trigger campaign.
    await poll(() => page.getByTestId('message-list').locator('tbody tr').count()).toBe(4);
    expect(await page.getByTestId('message-list').locator('tbody tr[data-to="carl@example.com"]').textContent()).toContain('skipped');
    await page.getByLabel('Profile filter').fill('anna@example.com');
    await poll(() => page.getByTestId('message-list').locator('tbody tr').count()).toBe(1);
    const row = page.getByTestId('message-list').locator('tbody tr').first();
    expect(await row.getByTestId('message-opened').locator('time').count()).toBe(1);
    expect(await row.getByTestId('message-clicked').locator('time').count()).toBe(1);
    expect(await row.getByTestId('message-clicks').textContent()).toBe('1');
    await b.shot('messages-01-list');
  });

  it('logged no console errors', () => {
    expect(ui.b.errors).toEqual([]);
  });
});
