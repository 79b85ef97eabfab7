import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';
import { makePool } from '../helpers/promo.js';

/** A code service on loopback whose answer to each request is decided by the test. */
type Handler = (body: { pool_id: string; count: number; fields: Record<string, unknown> }, n: number) => { status?: number; json?: unknown; delayMs?: number };
let handler: Handler = () => ({ status: 500 });
const requests: { pool_id: string; count: number; fields: Record<string, unknown> }[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      requests.push(body);
      const a = handler(body, requests.length);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.json ?? {}));
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codes`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let counter = 0;
const fresh = (n: number, prefix = 'R') => Array.from({ length: n }, () => ({ code: `${prefix}-${++counter}-${Date.now()}` }));

describeEachDatabase('promo remote generator', (h) => {
  it('asks in chunks of max_per_request and stores the codes with their fields', async () => {
    const pool = await makePool(h(), { generator: { remote: { url, max_per_request: 10 } }, custom_fields: ['campaign'] });
    requests.length = 0;
    handler = (b) => ({ json: { codes: fresh(b.count).map((c, i) => (i === 0 ? { ...c, fields: { tier: 'gold' } } : c)) } });
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 25, fields: { campaign: 'spring' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ generated: 25, total: 25, requested: 25, invalid: 0, duplicates: 0, errors: [] });
    expect(requests).toEqual([10, 10, 5].map((count) => ({ pool_id: pool.id, count, fields: { campaign: 'spring' } })));
    const codes = (await h().get(`/api/v1/promo/pools/${pool.id}/codes?limit=100`)).body.items;
    expect(codes).toHaveLength(25);
    const gold = codes.filter((c: { fields: { tier?: string } }) => c.fields.tier === 'gold');
    expect(gold).toHaveLength(3);
    for (const c of gold) expect(c.fields).toEqual({ campaign: 'spring', tier: 'gold' });
    expect(codes.filter((c: { fields: object }) => Object.keys(c.fields).length === 1)).toHaveLength(22);
  });

  it('reports invalid and duplicate codes and asks again for what is missing', async () => {
    const pool = await makePool(h(), { generator: { remote: { url, max_per_request: 5 } } });
    const existing = fresh(1, 'DUP');
    await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: `code\n${existing[0].code}\n`, headers: { 'content-type': 'text/csv' } });
    requests.length = 0;
    handler = (b, n) =>
      n === 1
        ? { json: { codes: [{ code: 'has space' }, { nope: 1 }, existing[0], { code: 'OK-ONE', fields: 'x' }, ...fresh(1)] } }
        : { json: { codes: fresh(b.count) } };
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 5 });
    expect(r.body).toMatchObject({ generated: 5, total: 6, requested: 5, invalid: 3, duplicates: 1 });
    expect(r.body.errors).toEqual([
      { chunk: 1, index: 0, message: 'the code contains a space or a control character' },
      { chunk: 1, index: 1, message: 'has no "code" string' },
      { chunk: 1, index: 3, message: '"fields" must be an object' },
      { chunk: 1, message: `duplicate code "${existing[0].code}"` },
    ]);
    expect(requests.map((q) => q.count)).toEqual([5, 4]);
  });

  it('retries failures with back-off, and keeps what landed when the service stays down or times out', async () => {
    const pool = await makePool(h(), { generator: { remote: { url, max_per_request: 4, timeout_ms: 300, retries: 2 } } });
    requests.length = 0;
    // 1: 503 then fine; 2: fine; then the service hangs for good
    handler = (b, n) => (n === 1 ? { status: 503 } : n <= 3 ? { json: { codes: fresh(b.count) } } : { delayMs: 2000, json: { codes: fresh(b.count) } });
    const started = Date.now();
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 12 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ generated: 8, total: 8, requested: 12, errors: [{ chunk: 3, message: 'no answer within 300 ms' }] });
    expect(requests).toHaveLength(6); // 2 for chunk 1, 1 for chunk 2, 3 tries for chunk 3
    expect(Date.now() - started).toBeGreaterThanOrEqual(200 + 200 + 400 + 3 * 300);
    expect((await h().get(`/api/v1/promo/pools/${pool.id}/codes?limit=100`)).body.items).toHaveLength(8);

    requests.length = 0;
    handler = () => ({ status: 400, json: { error: 'bad' } });
    const refused = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 4 });
    expect(refused.body).toMatchObject({ generated: 0, errors: [{ chunk: 1, message: 'the service answered 400' }] });
    expect(requests).toHaveLength(1); // a 4xx is not retried
    handler = () => ({ json: { nothing: true } });
    expect((await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 4 })).body.errors).toEqual([{ chunk: 1, message: 'the answer has no "codes" array' }]);
  });
});
