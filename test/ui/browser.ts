import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser); RETENTA_CHROMIUM points elsewhere if needed. */
export const CHROMIUM = process.env.RETENTA_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
  /** Failed API answers the browser logged (4xx the test provoked on purpose), kept apart from real errors. */
  apiRefusals: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A fresh Chromium profile (its own --user-data-dir), one page, console errors collected. */
export async function openBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'retenta-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  // The test machine is offline: what rendered emails link from the internet (MJML's web fonts, images)
  // is answered empty instead of failing, so a console error means the app's own fault.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(url.hostname) || !url.protocol.startsWith('http')) return route.fallback();
    return route.fulfill({ status: 200, body: '', contentType: route.request().resourceType() === 'stylesheet' ? 'text/css' : 'application/octet-stream' });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  context.setDefaultTimeout(10_000);
  const errors: string[] = [];
  const apiRefusals: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // Chromium logs every 4xx answer to fetch; the UI shows those to the user, the test asserts on them itself.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text) && m.location().url.includes('/api/v1/')) apiRefusals.push(text);
    else errors.push(`${text} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    page,
    errors,
    apiRefusals,
    shot: async (name) => {
      // From the top, as a user first sees the screen (the sidebar is sticky to the viewport).
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export const ADMIN_TOKEN = 'ui-test-admin-token-0123456789';

export interface UiServer {
  base: string;
  b: Browser;
  page: Page;
  /** A call to the public API with the admin token (seeding, and checking what the UI did). */
  call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** Signs the browser in with the admin token and opens `path`. */
  signIn(path?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One server on a free loopback port with the production UI bundle, on a fresh embedded database, and
 * one Chromium page: what each UI test file starts in its beforeAll.
 */
export async function startUi(): Promise<UiServer> {
  const [{ createApp }, { loadConfig }, { openDatabase }, { buildUi }, pino] = await Promise.all([
    import('../../src/app.js'),
    import('../../src/config.js'),
    import('../../src/store/db.js'),
    import('./build.js'),
    import('pino'),
  ]);
  const webDir = mkdtempSync(join(tmpdir(), 'retenta-web-dist-'));
  buildUi(webDir);
  process.env.RETENTA_WEB_DIR = webDir;
  const config = loadConfig({}, { role: 'all', host: '127.0.0.1', port: 0, bootstrapToken: ADMIN_TOKEN, logLevel: 'silent' });
  const app = await createApp({ config, database: await openDatabase({ dataDir: null }), log: pino.default({ level: 'silent' }) });
  const base = await app.listen();
  delete process.env.RETENTA_WEB_DIR;
  const b = await openBrowser();
  const call = async (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* a CSV or other text answer */
    }
    return { status: res.status, body: parsed as any };
  };
  return {
    base,
    b,
    page: b.page,
    call,
    signIn: async (path = '/') => {
      await b.page.goto(`${base}/login`);
      await b.page.evaluate(`localStorage.setItem('retenta.token', ${JSON.stringify(ADMIN_TOKEN)})`);
      await b.page.goto(`${base}${path}`);
    },
    stop: async () => {
      await b.close();
      await app.stop();
      rmSync(webDir, { recursive: true, force: true });
    },
  };
}

/** The text of the error shown under the field `name` inside `scope` (a form, a card). */
export const fieldError = (scope: import('playwright-core').Locator | Page, name: string) => scope.locator(`[data-field="${name}"] .field__error`);

/** `expect.poll` with the patience a browser round trip on a busy machine needs (10 s, not 1 s). */
export const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 100 });
