import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices } from '../helpers/databases.js';
import { CHROMIUM, fieldError, haveChromium, poll, startUi, type UiServer } from './browser.js';

const run = haveChromium || requireServices ? describe : describe.skip;
if (!haveChromium && !requireServices) console.warn(`skipping the messaging UI tests: no Chromium at ${CHROMIUM}`);

run('templates, channels and messaging settings screens', () => {
  let ui: UiServer;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    ui = await startUi();
    await ui.call('POST', '/profiles', { email: 'anna@example.com', fields: { first_name: 'Anna' } });
    await ui.signIn('/templates');
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
  });

  it('creates an MJML email template in the code editor; a Liquid error is shown under the body', async () => {
    const { page, b } = ui;
    await page.getByRole('button', { name: 'New template' }).click();
    const form = page.getByTestId('template-form');
    await form.getByLabel('Name').fill('welcome');
    await form.locator('.cm-content').waitFor();
    // A broken Liquid tag in the subject and in the body: each refused under its own field.
    await form.getByLabel('Subject').fill('Hi {{ profile.fields.first_name');
    const body = await form.locator('.cm-content').innerText();
    await form.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(`${body}\n{% if %}`);
    await form.getByRole('button', { name: 'Create template' }).click();
    await poll(() => fieldError(form, 'subject').textContent()).toContain('Liquid syntax error');
    expect(await fieldError(form, 'body').textContent()).toContain('Liquid syntax error');
    await b.shot('templates-01-liquid-error');
    await form.getByLabel('Subject').fill('Hi {{ profile.fields.first_name }}');
    await form.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(body);
    await form.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('heading', { name: 'welcome' }).waitFor();
    const saved = (await ui.call('GET', '/templates')).body.items[0];
    expect(saved).toMatchObject({ name: 'welcome', channel: 'email', format: 'mjml', subject: 'Hi {{ profile.fields.first_name }}' });
    expect(saved.body).toContain('<mj-button');
  });

  it('previews the template for a chosen profile, and names an unknown one', async () => {
    const { page, b } = ui;
    const preview = page.getByTestId('template-preview');
    await preview.getByLabel('Preview for').fill('nobody@example.com');
    await preview.getByRole('button', { name: 'Render preview' }).click();
    await poll(() => fieldError(preview, 'profile').textContent()).toContain('Profile not found');
    await preview.getByLabel('Preview for').fill('anna@example.com');
    await preview.getByRole('button', { name: 'Render preview' }).click();
    await poll(() => preview.getByTestId('preview-result').locator('.preview-subject').textContent()).toBe('Hi Anna');
    const frame = page.frameLocator('iframe[title="Email preview"]');
    await frame.getByText('Hi Anna,').waitFor();
    await b.shot('templates-02-editor-preview');
  });

  it('creates an SMS template with its own fields and lists templates by channel', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/templates/new`);
    const form = page.getByTestId('template-form');
    await form.getByLabel('Channel').selectOption('sms');
    expect(await form.getByLabel('Subject').count()).toBe(0);
    await form.getByLabel('Name').fill('sms_code');
    await form.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('heading', { name: 'sms_code' }).waitFor();
    await page.goto(`${ui.base}/templates`);
    await page.getByLabel('Channel filter').selectOption('sms');
    await page.getByTestId('template-list').locator('tr[data-template="sms_code"]').waitFor();
    await page.getByTestId('template-list').locator('tr[data-template="welcome"]').waitFor({ state: 'detached' });
    await b.shot('templates-03-list');
  });

  it('creates an SMTP channel: bad fields refused next to them, the password shown masked', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/channels`);
    await page.getByRole('button', { name: 'New channel' }).click();
    const form = page.getByTestId('channel-form');
    await form.getByLabel('Port', { exact: true }).fill('0');
    await form.getByRole('button', { name: 'Create channel' }).click();
    await poll(() => fieldError(form, 'config.host').textContent()).toContain('must NOT have fewer than 1 characters');
    expect(await fieldError(form, 'config.port').textContent()).toContain('must be >= 1');
    await b.shot('channels-01-field-errors');
    await form.getByLabel('SMTP host').fill('smtp.example.com');
    await form.getByLabel('Port', { exact: true }).fill('587');
    await form.getByLabel('User').fill('mailer');
    await form.getByLabel('Password').fill('s3cret-password');
    await form.getByLabel('From address').fill('Shop <news@example.com>');
    await form.getByRole('button', { name: 'Create channel' }).click();
    const row = page.getByTestId('channel-list').locator('tr[data-channel="email via smtp"]');
    await row.waitFor();
    const pass = await row.locator('[data-config="pass"]').textContent();
    expect(pass).not.toContain('s3cret-password');
    expect(pass).toContain('*');
    await b.shot('channels-02-list');
  });

  it('creates HTTP and Telegram channels', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'New channel' }).click();
    let form = page.getByTestId('channel-form');
    await form.getByLabel('Channel', { exact: true }).selectOption('sms');
    await form.getByLabel('Provider URL').fill('https://sms.example.com/send');
    await form.getByLabel('Headers (JSON)').fill('{"Authorization": "Bearer abc123"}');
    await form.getByRole('button', { name: 'Create channel' }).click();
    await page.getByTestId('channel-list').locator('tr[data-channel="sms via http"]').waitFor();
    await page.getByRole('button', { name: 'New channel' }).click();
    form = page.getByTestId('channel-form');
    await form.getByLabel('Channel', { exact: true }).selectOption('telegram');
    await form.getByLabel('Bot token').fill('123456:ABCDEF-secret');
    await form.getByRole('button', { name: 'Create channel' }).click();
    const tg = page.getByTestId('channel-list').locator('tr[data-channel="telegram via telegram_bot"]');
    await tg.waitFor();
    expect(await tg.textContent()).not.toContain('ABCDEF-secret');
    const list = (await ui.call('GET', '/channels')).body.items.map((c: any) => c.provider).sort();
    expect(list).toEqual(['http', 'smtp', 'telegram_bot']);
  });

  it('saves the frequency cap, quiet hours and landing page; a bad duration is refused under its field', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/settings`);
    const form = page.getByTestId('messaging-settings');
    await form.getByLabel('Limit how many messages').check();
    await form.getByLabel('Per (ISO duration)').fill('1 day');
    await form.getByLabel('Hold messages at night').check();
    await form.getByLabel('Time zone').fill('Europe/Berlin');
    await form.getByLabel('Landing page after opting out').fill('https://shop.example.com/bye');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await poll(() => fieldError(form, 'frequency_cap.per').textContent()).toContain('must match pattern');
    await b.shot('settings-01-field-error');
    await form.getByLabel('Per (ISO duration)').fill('P1D');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await poll(async () => (await ui.call('GET', '/settings/messaging')).body.frequency_cap).toEqual({ max: 3, per: 'P1D' });
    expect((await ui.call('GET', '/settings/messaging')).body).toMatchObject({
      quiet_hours: { from: '22:00', to: '09:00', timezone: 'Europe/Berlin' },
      unsubscribe_landing_url: 'https://shop.example.com/bye',
    });
    await b.shot('settings-02-saved');
  });

  it('logged no console errors', () => {
    expect(ui.b.errors).toEqual([]);
  });
});
