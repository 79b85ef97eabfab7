import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/store/db.js';
import { requireServices } from '../helpers/databases.js';
import { CHROMIUM, haveChromium, openBrowser, type Browser } from './browser.js';
import { buildUi } from './build.js';

const ADMIN = 'ui-test-admin-token-0123456789';

const run = haveChromium || requireServices ? describe : describe.skip;
if (!haveChromium && !requireServices)
  console.warn(`skipping the admin UI tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set RETENTA_CHROMIUM)`);

run('admin UI in headless Chromium', () => {
  let app: App;
  let base: string;
  let b: Browser;
  let page: Page;
  let webDir: string | undefined;

  const call = async (method: string, path: string, body?: unknown, token = ADMIN) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as any };
  };

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it (apt-get install chromium)`);
    webDir = mkdtempSync(join(tmpdir(), 'retenta-web-dist-'));
    const buildMs = buildUi(webDir);
    console.log(`admin UI built in ${buildMs} ms`);
    process.env.RETENTA_WEB_DIR = webDir;
    const config = loadConfig({}, { role: 'all', host: '127.0.0.1', port: 0, bootstrapToken: ADMIN, logLevel: 'silent' });
    app = await createApp({ config, database: await openDatabase({ dataDir: null }), log: pino({ level: 'silent' }) });
    base = await app.listen();
    delete process.env.RETENTA_WEB_DIR;

    // What a shop would have sent: 27 profiles (two pages of 20) and a few events for one of them.
    for (let i = 1; i <= 26; i++) await call('POST', '/profiles', { email: `shopper${String(i).padStart(2, '0')}@example.com`, fields: { first_name: `Shopper ${i}` } });
    const anna = await call('POST', '/profiles', {
      email: 'anna.berg@example.com',
      phone: '+491511234567',
      external_id: 'crm-1042',
      fields: { first_name: 'Anna', last_name: 'Berg', city: 'Hamburg', vip: true },
      subscriptions: { email: 'subscribed', sms: 'unsubscribed' },
    });
    expect(anna.status).toBe(201);
    expect((await call('POST', '/events', { profile: { email: 'anna.berg@example.com' }, name: 'site_visit', properties: { url: '/shoes' } })).status).toBe(202);
    expect((await call('POST', '/events', { profile: { external_id: 'crm-1042' }, name: 'cart_updated', properties: { cart_id: 'c-77', total: 129.9 } })).status).toBe(202);

    b = await openBrowser();
    page = b.page;
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await app?.stop();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  it('loads the first screen from localhost in under a second', async () => {
    // The browser is already running (as a user's would be) and its cache is empty: one visit warms the
    // browser, then the cache is cleared and the app's first screen is timed from the address bar to a
    // usable form.
    await page.goto(`${base}/`);
    await page.getByLabel('API token').waitFor();
    await page.goto('about:blank');
    const cdp = await b.context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    const started = Date.now();
    await page.goto(`${base}/`);
    await page.getByLabel('API token').waitFor();
    const wall = Date.now() - started;
    // Evaluated in the page (strings: this file is compiled without the DOM library).
    const nav = await page.evaluate<{ domContentLoaded: number; load: number }>(
      `(() => { const n = performance.getEntriesByType('navigation')[0]; return { domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) }; })()`,
    );
    const resources = await page.evaluate<string[]>(
      `performance.getEntriesByType('resource').map((r) => r.name.split('/').pop() + ' ' + Math.round(r.responseEnd) + ' ms')`,
    );
    console.log(
      `first screen (login) load from localhost: ${wall} ms to a usable form (goal < 1000 ms) (DOMContentLoaded ${nav.domContentLoaded} ms, load ${nav.load} ms; ${resources.length} files: ${resources.join(', ')})`,
    );
    expect(page.url()).toBe(`${base}/login?next=%2F`);
    // The goal is under 1 s (printed above); the bound here only catches a gross regression, since a
    // test machine shared with other work can be several times slower than a user's.
    expect(wall).toBeLessThan(Number(process.env.RETENTA_UI_LOAD_BUDGET_MS ?? 5000));
    // Code-split: the login screen does not load the profile or token screens.
    expect(resources.some((r) => /ProfilesPage|TokensPage|ProfileDetailPage|ScenarioEditor|chart-impl|code-editor-impl|SegmentsPage|LoyaltyPage/.test(r))).toBe(false);
    // The heavy parts are chunks of their own: the canvas, the code editor and the charts.
    const chunks = readdirSync(join(webDir!, 'assets'));
    for (const name of ['ScenarioEditor', 'chart-impl', 'code-editor-impl', 'ScenariosPage', 'LoyaltyPage', 'PromoPage']) expect(chunks.some((c) => c.startsWith(`${name}-`))).toBe(true);
    await b.shot('01-login');
  });

  it('refuses a wrong token next to the field, then signs in with a good one', async () => {
    await page.getByLabel('API token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const field = page.locator('[data-field="token"]');
    await expect.poll(() => field.locator('.field__error').textContent()).toContain('this token is not valid');
    await b.shot('02-login-refused');
    await page.getByLabel('API token').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/profiles`);
    await page.getByRole('cell', { name: 'shopper01@example.com' }).waitFor();
    expect(await page.evaluate(`localStorage.getItem('retenta.token')`)).toBe(ADMIN);
  });

  it('lists profiles with cursor paging', async () => {
    const list = page.getByTestId('profile-list');
    expect(await list.locator('tbody tr').count()).toBe(20);
    await b.shot('03-profiles');
    await list.getByRole('button', { name: 'Next →' }).click();
    await list.getByText('Page 2').waitFor();
    await list.getByRole('cell', { name: 'anna.berg@example.com' }).waitFor();
    expect(await list.locator('tbody tr').count()).toBe(7);
    await list.getByRole('button', { name: '← Previous' }).click();
    await list.getByRole('cell', { name: 'shopper01@example.com' }).waitFor();
  });

  it('searches by email, phone and external id, and says when nothing matches', async () => {
    const search = page.getByTestId('profile-search');
    await search.getByLabel('Find by').selectOption('phone');
    await search.getByLabel('Value').fill('+4915100000000');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => search.locator('[data-field="q"] .field__error').textContent()).toContain('no profile has this phone');
    await search.getByLabel('Find by').selectOption('email');
    await search.getByLabel('Value').fill('not an email');
    await search.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => search.locator('[data-field="q"] .field__error').textContent()).toContain('email is not a valid address');
    await b.shot('04-profile-search-error');
    await search.getByLabel('Value').fill('ANNA.BERG@example.com');
    await search.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Anna Berg' }).waitFor();
    expect(page.url()).toMatch(/\/profiles\/[0-9a-f-]{36}$/);
  });

  it('shows the profile: contact, subscriptions, fields and the timeline', async () => {
    await page.getByTestId('profile-contact').getByText('crm-1042').waitFor();
    const subs = page.getByTestId('profile-subscriptions');
    expect(await subs.getByText('subscribed', { exact: true }).count()).toBe(1);
    expect(await subs.getByText('unsubscribed', { exact: true }).count()).toBe(1);
    expect(await page.getByTestId('profile-fields').textContent()).toContain('Hamburg');
    const timeline = page.getByTestId('timeline');
    await timeline.locator('.timeline__item').first().waitFor();
    const titles = await timeline.locator('.timeline__title').allTextContents();
    expect(titles).toEqual(['cart_updated', 'site_visit']);
    expect(await timeline.textContent()).toContain('c-77');
    await b.shot('05-profile-detail');
  });

  it('sends a test event: field errors from the API next to their fields, then the event on the timeline', async () => {
    const form = page.getByTestId('send-event');
    await form.getByLabel('Event name').fill('has space');
    await form.getByLabel('Properties').fill('{"cart_id": ');
    await form.getByRole('button', { name: 'Send event' }).click();
    // Checked before sending: the JSON does not parse.
    await expect.poll(() => form.locator('[data-field="properties"] .field__error').textContent()).toContain('not valid JSON');
    await form.getByLabel('Properties').fill('{"cart_id": "c-78", "items": 2}');
    await form.getByRole('button', { name: 'Send event' }).click();
    // Refused by the API (400, errors[{path: "name"}]): shown under the name field.
    const nameError = form.locator('[data-field="name"] .field__error');
    await expect.poll(() => nameError.textContent()).toContain('must match pattern');
    expect(await form.getByLabel('Event name').getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('[data-field="properties"] .field__error').count()).toBe(0);
    await b.shot('06-send-event-field-error');
    await form.getByLabel('Event name').fill('ui_test_checkout');
    await form.getByRole('button', { name: 'Send event' }).click();
    const timeline = page.getByTestId('timeline');
    await timeline.locator('.timeline__title', { hasText: 'ui_test_checkout' }).waitFor();
    expect(await timeline.locator('.timeline__title').first().textContent()).toBe('ui_test_checkout');
    expect(await timeline.locator('.timeline__item').first().textContent()).toContain('c-78');
    expect(await nameError.count()).toBe(0);
    expect(await form.getByLabel('Event name').inputValue()).toBe('');
    await b.shot('07-profile-event-sent');
  });

  it('creates a token shown once, and deletes it', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    const create = page.getByTestId('token-create');
    // No name and no scope: both refused by the API, each under its own field.
    await create.getByLabel(/write/).uncheck();
    await create.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => create.locator('[data-field="name"] .field__error').textContent()).toContain('must NOT have fewer than 1 characters');
    expect(await create.locator('[data-field="scopes"] .field__error').textContent()).toContain('must NOT have fewer than 1 items');
    await b.shot('08-token-field-errors');
    await create.getByLabel('Name').fill('Shop checkout');
    await create.getByLabel(/write/).check();
    await create.getByLabel(/read/).check();
    await create.getByRole('button', { name: 'Create token' }).click();
    const value = await page.getByTestId('new-token-value').textContent();
    expect(value).toMatch(/^rt_/);
    const row = page.getByTestId('token-list').locator('tr[data-token="Shop checkout"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('write');
    expect((await call('GET', '/whoami', undefined, value!)).body.name).toBe('Shop checkout');
    await b.shot('09-tokens');

    await row.getByRole('button', { name: 'Delete Shop checkout' }).click();
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    expect((await call('GET', '/whoami', undefined, value!)).status).toBe(401);
    const names = await page.getByTestId('token-list').locator('tbody tr').evaluateAll((rows: any[]) => rows.map((r) => r.getAttribute('data-token')));
    expect(names).toEqual(['bootstrap']);
  });

  it('imports a CSV as a job and lists the bad rows by number', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const panel = page.getByTestId('import');
    await panel.getByRole('button', { name: 'Start import' }).click();
    await expect.poll(() => panel.locator('[data-field="file"] .field__error').textContent()).toContain('choose a CSV file');
    const csv = 'email,fields.first_name\nimported1@example.com,Ida\nnot-an-email,Bad\nimported2@example.com,Jon\n';
    await panel.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await panel.getByRole('button', { name: 'Start import' }).click();
    await panel.locator('[data-testid="job"][data-status="done"]').waitFor();
    const stats = await panel.locator('.stat').allTextContents();
    expect(stats).toEqual(['2created', '0updated', '1failed']);
    expect(await panel.locator('.table td.num').allTextContents()).toEqual(['3']);
    await b.shot('10-profile-import');
    expect((await call('GET', '/profiles?email=imported2@example.com')).body.fields).toEqual({ first_name: 'Jon' });
  });

  it('lists every section in the navigation, each with its screen', async () => {
    const nav = page.getByRole('navigation', { name: 'Sections' });
    const labels = await nav.locator('.nav__item > span:not(.nav__soon)').allTextContents();
    for (const s of ['Profiles', 'Segments', 'Scenarios', 'Campaigns', 'Templates', 'Messages', 'Channels', 'Loyalty', 'Promo codes', 'Market', 'Hooks', 'API tokens', 'Settings'])
      expect(labels).toContain(s);
    expect(await nav.locator('.nav__soon').count()).toBe(0);
    await nav.getByRole('link', { name: /Campaigns/ }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await page.getByText('No campaigns yet').waitFor();
    await b.shot('11-campaigns-empty');
  });

  it('serves the app on client routes, keeps API 404s as problem+json, and goes back to login on a 401', async () => {
    const deep = await fetch(`${base}/profiles/00000000-0000-7000-8000-000000000001`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toContain('text/html');
    const missingApi = await fetch(`${base}/api/v1/no-such-thing`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(missingApi.status).toBe(404);
    expect(missingApi.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);

    await page.evaluate(`localStorage.setItem('retenta.token', 'revoked-token')`);
    await page.goto(`${base}/tokens`);
    await page.waitForURL(/\/login\?next=%2Ftokens$/);
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(`localStorage.getItem('retenta.token')`)).toBeNull();
    await page.getByLabel('API token').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/tokens`);
  });

  it('logged no console errors', () => {
    expect(b.errors).toEqual([]);
  });
});
