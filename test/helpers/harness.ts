import { afterAll, beforeAll, describe, it } from 'vitest';
import pino from 'pino';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import { VirtualClock, type Clock } from '../../src/domain/clock.js';
import { requireServices, targets, type DbTarget } from './databases.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  text: string;
}

export interface Harness {
  app: App;
  ctx: AppContext;
  clock: Clock;
  target: DbTarget;
  url?: string;
  request(
    method: string,
    path: string,
    opts?: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; token?: string | null },
  ): Promise<Response>;
  get(path: string, token?: string | null): Promise<Response>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

export async function startHarness(target: DbTarget, opts: { clock?: Clock; role?: 'all' | 'api' } = {}) {
  const made = await target.create();
  const clock = opts.clock ?? new VirtualClock('2026-03-01T09:00:00Z');
  const config = loadConfig({}, { role: opts.role ?? 'all', bootstrapToken: ADMIN_TOKEN, logLevel: 'silent', port: 0 });
  const app = await createApp({ config, clock, database: made.database, log: pino({ level: 'silent' }) });
  const server = app.server!;
  const h: Harness = {
    app,
    ctx: app.ctx,
    clock,
    target,
    url: made.url,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const token = o.token === undefined ? ADMIN_TOKEN : o.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let payload: string | Buffer | undefined;
      if (o.raw !== undefined) payload = o.raw;
      else if (o.body !== undefined) {
        payload = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await server.inject({ method: method as 'GET', url: path, headers, payload });
      let body: unknown = undefined;
      try {
        body = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        body = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body, text: res.body };
    },
    get: (path, token) => h.request('GET', path, { token }),
    post: (path, body, headers) => h.request('POST', path, { body, headers }),
  };
  return { harness: h, close: async () => (await app.stop(), await made.drop()) };
}

/**
 * Defines the suite once per database target. A target whose server is unreachable is skipped with the
 * reason, or fails when RETENTA_TEST_REQUIRE_SERVICES=1 (CI, where the services must be there).
 */
export function describeEachDatabase(
  title: string,
  body: (h: () => Harness) => void,
  opts: { clock?: () => Clock } = {},
) {
  for (const target of targets) {
    const name = `${title} [${target.name}]`;
    if (!target.available) {
      if (requireServices) {
        describe(name, () => {
          it('needs its database server', () => {
            throw new Error(`${target.reason}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
          });
        });
      } else {
        console.warn(`skipping "${name}": ${target.reason}`);
        describe.skip(`${name} — skipped: ${target.reason}`, () => body(() => undefined as never));
      }
      continue;
    }
    describe(name, () => {
      let h: Harness;
      let close: () => Promise<void>;
      beforeAll(async () => {
        const started = await startHarness(target, { clock: opts.clock?.() });
        h = started.harness;
        close = started.close;
      });
      afterAll(async () => close?.());
      body(() => h);
    });
  }
}
