import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
