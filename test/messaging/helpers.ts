import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { VirtualClock } from '../../src/domain/clock.js';
import type { Database } from '../../src/store/db.js';
import { requireServices, targets, type DbTarget } from '../helpers/databases.js';
import { ADMIN_TOKEN, type Harness } from '../helpers/harness.js';

/**
 * A suite per database target for tests that run several processes on one database: skipped when the
 * server is unreachable, failing under RETENTA_TEST_REQUIRE_SERVICES=1.
 */
export function describeEachTarget(title: string, body: (target: DbTarget) => void) {
  for (const target of targets) {
    if (!target.available && requireServices) {
      describe(`${title} [${target.name}]`, () => {
        it('needs its database server', () => {
          throw new Error(`${target.reason}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
        });
      });
      continue;
    }
    (target.available ? describe : describe.skip)(`${title} [${target.name}]`, () => body(target));
  }
}

/** One Retenta process on a shared database; `role: 'api'` runs no work loop (deliveries only when drained). */
export async function processOn(database: Database, clock: VirtualClock, role: 'all' | 'api'): Promise<App> {
  const config = loadConfig({}, { role, bootstrapToken: ADMIN_TOKEN, logLevel: 'silent', port: 0 });
  return createApp({ config, clock, database, log: pino({ level: 'silent' }) });
}

/** An API call to one of several processes. */
export async function call(app: App, method: string, url: string, body?: unknown) {
  const res = await app.server!.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, payload: body ? JSON.stringify(body) : undefined });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

export async function makeProfile(h: Harness, body: Record<string, unknown>): Promise<string> {
  const r = await h.post('/api/v1/profiles', body);
  expect([200, 201]).toContain(r.status);
  return r.body.id as string;
}

export async function makeTemplate(h: Harness, body: Record<string, unknown>): Promise<string> {
  const r = await h.post('/api/v1/templates', body);
  expect(r.status, r.text).toBe(201);
  return r.body.id as string;
}

export async function sendVia(h: Harness, body: Record<string, unknown>) {
  const r = await h.post('/api/v1/messages', body);
  expect(r.status, r.text).toBe(202);
  return r.body;
}

/**
 * Runs delivery until no message is due at the harness clock's time. The background loop may hold some
 * rows in flight (SKIP LOCKED), so this waits for them too.
 */
export async function drainMessages(h: Harness) {
  for (let i = 0; i < 400; i++) {
    await h.ctx.work.drain('message-delivery');
    const due = await h.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('status', '=', 'queued')
      .where('due_at', '<=', h.clock.now())
      .limit(1)
      .execute();
    if (!due.length) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('messages stayed due');
}

export async function message(h: Harness, id: string) {
  const r = await h.get(`/api/v1/messages/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
}

/** A local HTTP server that records requests and answers with `respond` (default 200 `{ok: true}`). */
export async function recordingServer(
  respond: (req: Received, n: number) => { status: number; body: unknown } = () => ({ status: 200, body: { ok: true } }),
): Promise<{ url: string; received: Received[]; server: Server; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = undefined;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json };
      received.push(rec);
      const out = respond(rec, received.length);
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
