import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices } from '../helpers/databases.js';
import { CHROMIUM, fieldError, haveChromium, poll, startUi, type UiServer } from './browser.js';

const run = haveChromium || requireServices ? describe : describe.skip;
if (!haveChromium && !requireServices) console.warn(`skipping the promo UI tests: no Chromium at ${CHROMIUM}`);

run('promo code pools screen', () => {
  let ui: UiServer;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    ui = await startUi();
    await ui.call('POST', '/profiles', { email: 'anna@example.com', fields: { first_name: 'Anna' } });
    await ui.signIn('/promo');
  }, 180_000);

  afterAll(async () => {
    await ui?.stop();
  });

  it('creates a pool: an unknown template token is refused under the template field', async () => {
    const { page, b } = ui;
    await page.getByRole('button', { name: 'New pool' }).click();
    const form = page.getByTestId('pool-form');
    await form.getByLabel('Name', { exact: true }).fill('Welcome');
    await form.getByLabel('Name in templates').fill('welcome_code');
    await form.getByLabel('Code template').fill('WELCOME-{digits 6}');
    await form.getByRole('button', { name: 'Create pool' }).click();
    await poll(() => fieldError(form, 'generator.template').textContent()).toContain('unknown token "digits"');
    await b.shot('promo-01-template-error');
    await form.getByLabel('Code template').fill('WELCOME-{symbol 6}');
    await form.getByLabel('Code lifetime after issue').fill('P30D');
    await form.getByRole('button', { name: 'Create pool' }).click();
    await page.getByRole('heading', { name: 'Welcome' }).waitFor();
  });

  it('generates codes with a progress bar, then shows them by status and in the chart', async () => {
    const { page, b } = ui;
    const gen = page.getByTestId('pool-generate');
    await gen.getByLabel('How many codes').fill('0');
    await gen.getByRole('button', { name: 'Generate' }).click();
    await poll(() => fieldError(gen, 'count').textContent()).toContain('must be >= 1');
    await gen.getByLabel('How many codes').fill('5000');
    await gen.getByRole('button', { name: 'Generate' }).click();
    await gen.locator('[data-testid="job"]').waitFor();
    await gen.locator('[data-testid="job"][data-status="done"]').waitFor({ timeout: 60_000 });
    expect(await gen.locator('.job__count').textContent()).toContain('5,000');
    const pool = (await ui.call('GET', '/promo/pools')).body.items[0];
    expect((await ui.call('POST', `/promo/pools/${pool.id}/issue`, { profile: { email: 'anna@example.com' } })).status).toBe(200);
    await page.reload();
    const chart = page.getByTestId('pool-status-chart').getByTestId('chart-pie');
    await poll(() => chart.getAttribute('data-values')).toBe('available=4999,issued=1');
    await chart.locator('.recharts-pie-sector').first().waitFor();
    const codes = page.getByTestId('pool-codes');
    await codes.getByRole('tab', { name: 'issued' }).click();
    await poll(() => codes.locator('tbody tr').count()).toBe(1);
    expect(await codes.locator('tbody tr').first().textContent()).toMatch(/WELCOME-[A-Z0-9]{6}issued/);
    await b.shot('promo-02-pool');
  });

  it('exports the codes as a CSV download with the chosen profile fields', async () => {
    const { page } = ui;
    const exp = page.getByTestId('pool-export');
    await exp.getByLabel('Profile fields per code').fill('email,fields.first_name');
    const [file] = await Promise.all([page.waitForEvent('download'), exp.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(file.suggestedFilename()).toBe('welcome_code-codes.csv');
    const csv = readFileSync(await file.path(), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('code,status,profile_id,issued_at,expires_at,redeemed_at,order_id,email,fields.first_name');
    expect(csv.length).toBe(5_001);
    expect(csv.filter((l) => l.includes('anna@example.com,Anna'))).toHaveLength(1);
    await exp.getByLabel('Profile fields per code').fill('password');
    await exp.getByRole('button', { name: 'Export CSV' }).click();
    await poll(() => fieldError(exp, 'fields').textContent()).toBeTruthy();
  });

  it('imports codes from a CSV into a pool without a generator; bad rows are listed', async () => {
    const { page, b } = ui;
    await page.goto(`${ui.base}/promo`);
    await page.getByRole('button', { name: 'New pool' }).click();
    const form = page.getByTestId('pool-form');
    await form.getByLabel('Name', { exact: true }).fill('Partner codes');
    await form.getByLabel('Name in templates').fill('partner_code');
    await form.getByLabel('Where codes come from').selectOption('none');
    await form.getByRole('button', { name: 'Create pool' }).click();
    await page.getByRole('heading', { name: 'Partner codes' }).waitFor();
    const imp = page.getByTestId('pool-import');
    await imp.getByRole('button', { name: 'Import codes' }).click();
    await poll(() => fieldError(imp, 'file').textContent()).toContain('choose a CSV or XLSX file');
    await imp.getByLabel('CSV or XLSX file').setInputFiles({ name: 'codes.csv', mimeType: 'text/csv', buffer: Buffer.from('code\nPARTNER-1\nPARTNER-2\n\nPARTNER-1\n') });
    await imp.getByRole('button', { name: 'Import codes' }).click();
    await poll(() => imp.getByTestId('import-result').textContent()).toContain('2 added');
    await poll(() => page.getByTestId('pool-codes').locator('tbody tr').count()).toBe(2);
    await b.shot('promo-03-import');
    await page.goto(`${ui.base}/promo`);
    await page.getByTestId('pool-list').locator('tr[data-pool="Partner codes"]').waitFor();
    await b.shot('promo-04-list');
  });

  it('logged no console errors', () => {
    expect(ui.b.errors).toEqual([]);
  });
});
