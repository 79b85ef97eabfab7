import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { expectProblem, makePool } from '../helpers/promo.js';

/** A code service on loopback: `mode` decides its answers; every request is kept. */
let mode: 'ok' | 'fail' | 'garbage' | 'taken' = 'ok';
let taken = '';
const requests: { pool_id: string; count: number; fields: Record<string, unknown> }[] = [];
let server: Server;
let url = '';
let n = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      requests.push(body);
      if (mode === 'fail') {
        res.writeHead(503).end('{}');
        return;
      }
      const codes =
        mode === 'garbage'
          ? [{ code: 'has space' }]
          : mode === 'taken'
            ? [{ code: taken }]
            : Array.from({ length: body.count }, () => ({ code: `RMT-${++n}-${Date.now()}`, fields: { origin: 'remote' } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ codes }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codes`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let seq = 0;
async function person(h: Harness, extra: Record<string, unknown> = {}): Promise<{ id: string; email: string }> {
  const r = await h.post('/api/v1/profiles', { email: `link${++seq}-${Date.now()}@example.com`, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const csv = (rows: string[][]) => rows.map((r) => r.join(',')).join('\n');

describeEachDatabase('promo linking and remote generate-on-issue', (h) => {
  it('generates on issue from a remote service, with its fields, and answers 502 with nothing written when it fails', async () => {
    const pool = await makePool(h(), { generator: { remote: { url, max_per_request: 10, timeout_ms: 500, retries: 0 } }, scenario_can_create: true, max_codes: 5 });
    const p = await person(h());
    mode = 'ok';
    requests.length = 0;
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id }, via: 'scenario' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.code).toMatch(/^RMT-/);
    expect(requests).toEqual([{ pool_id: pool.id, count: 1, fields: {} }]);
    expect((await h().get(`/api/v1/promo/codes/${r.body.code}`)).body).toMatchObject({ status: 'issued', profile_id: p.id, fields: { origin: 'remote' } });

    const before = (await h().get(`/api/v1/promo/pools/${pool.id}`)).body.counts;
    for (const m of ['fail', 'garbage'] as const) {
      mode = m;
      const q = await person(h());
      const failed = await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: q.id }, via: 'scenario' });
      expectProblem(failed, 502, 'remote-generator-failed');
      expect(failed.body.detail).toContain(m === 'fail' ? '503' : 'unusable code');
      expect((await h().get(`/api/v1/profiles/${q.id}/timeline`)).body.items).toEqual([]);
    }
    // a service that only answers codes that exist is a failure too
    mode = 'taken';
    taken = r.body.code;
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: (await person(h())).id }, via: 'scenario' }), 502, 'remote-generator-failed');
    expect((await h().get(`/api/v1/promo/pools/${pool.id}`)).body.counts).toEqual(before);
    // the counter gave the room back: 4 more fit, then max_codes holds
    mode = 'ok';
    for (let i = 0; i < 4; i++) expect((await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: (await person(h())).id }, via: 'scenario' })).status).toBe(200);
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: (await person(h())).id }, via: 'scenario' }), 422, 'pool-exhausted');
    // not allowed for campaigns: no request at all
    requests.length = 0;
    const closed = await makePool(h(), { generator: { remote: { url, max_per_request: 10 } }, scenario_can_create: true });
    expectProblem(await h().post(`/api/v1/promo/pools/${closed.id}/issue`, { profile: { id: p.id }, via: 'campaign' }), 422, 'pool-exhausted');
    expect(requests).toEqual([]);
  });

  it('auto_link: an import issues each code to the profile its row names; bad references are reported by row', async () => {
    const phoned = await person(h(), { phone: '+14155550123' });
    const [a, b, c] = [await person(h()), await person(h()), await person(h(), { external_id: `ext-${Date.now()}` })];
    const pool = await makePool(h(), { auto_link: true, code_ttl: 'P10D', custom_fields: ['discount'] });
    const file = csv([
      ['code', 'email', 'discount'],
      ['AL-1', a.email.toUpperCase(), '5'],
      ['AL-2', '', ''],
      ['AL-3', 'nobody@example.com', ''],
      ['AL-4', 'not-an-email', ''],
      ['AL-5', a.email, ''],
      ['AL-6', b.email, ''],
    ]);
    const r = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: file, headers: { 'content-type': 'text/csv' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      added: 3,
      duplicates: 0,
      invalid: 3,
      linked: 2,
      errors: [
        { row: 4, message: 'no profile with this email' },
        { row: 5, message: 'email: email is not a valid address' },
        { row: 6, message: 'the profile holds a live code of this pool already' },
      ],
    });
    const now = h().clock.now().getTime();
    expect((await h().get('/api/v1/promo/codes/AL-1')).body).toMatchObject({
      status: 'issued', profile_id: a.id, fields: { discount: '5' }, expires_at: new Date(now + 10 * 86_400_000).toISOString(),
    });
    expect((await h().get('/api/v1/promo/codes/AL-2')).body).toMatchObject({ status: 'available', profile_id: null });
    expect((await h().get('/api/v1/promo/codes/AL-6')).body).toMatchObject({ status: 'issued', profile_id: b.id });
    expect((await h().get(`/api/v1/profiles/${a.id}/timeline`)).body.items.map((e: { kind: string }) => e.kind)).toEqual(['promo_code_issued']);
    // the issued code is the profile's: issue returns it, redeem accepts it
    expect((await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: a.id } })).body).toMatchObject({ code: 'AL-1', existing: true });
    // a "profile" column takes an id, an email or a phone; external_id has its own column
    const mixed = csv([['code', 'profile'], ['AL-7', c.id], ['AL-8', '+1 415 555 0123']]);
    expect((await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: mixed, headers: { 'content-type': 'text/csv' } })).body).toMatchObject({ added: 2, linked: 2 });
    expect((await h().get('/api/v1/promo/codes/AL-8')).body.profile_id).toBe(phoned.id);
    // without auto_link the column is just data
    const plain = await makePool(h());
    const unlinked = await h().request('POST', `/api/v1/promo/pools/${plain.id}/import`, { raw: csv([['code', 'email'], ['AL-9', b.email]]), headers: { 'content-type': 'text/csv' } });
    expect(unlinked.body).toEqual({ added: 1, duplicates: 0, invalid: 0, errors: [] });
    expect((await h().get('/api/v1/promo/codes/AL-9')).body.status).toBe('available');
  });

  it('generates one new code for each listed profile, skipping those that hold one, and refuses bad references', async () => {
    const pool = await makePool(h(), { generator: { template: 'FOR-{symbol 8}' }, auto_link: true, max_codes: 4, custom_fields: ['campaign'] });
    const [a, b, c] = [await person(h()), await person(h()), await person(h())];
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { profiles: [{ id: a.id }, { email: b.email }, { id: a.id }], fields: { campaign: 'vip' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ generated: 2, total: 2, issued: 2, skipped: 0, errors: [] });
    const issued = (await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=issued`)).body.items;
    expect(issued.map((x: { profile_id: string }) => x.profile_id).sort()).toEqual([a.id, b.id].sort());
    for (const x of issued) expect(x).toMatchObject({ code: expect.stringMatching(/^FOR-[A-Z0-9]{8}$/), fields: { campaign: 'vip' } });
    const again = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { profiles: [{ id: a.id }, { id: c.id }] });
    expect(again.body).toEqual({ generated: 1, total: 3, issued: 1, skipped: 1, errors: [] });
    // refused as a whole when max_codes has no room for all of them
    const more = await Promise.all([person(h()), person(h())]);
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { profiles: more.map((p) => ({ id: p.id })) }), 422, 'pool-exhausted');
    expect((await h().get(`/api/v1/promo/pools/${pool.id}`)).body.counts.issued).toBe(3);

    const bad = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { profiles: [{ id: a.id }, { email: 'nope' }, { email: 'no-at-sign' }], fields: { colour: 'x' } });
    expectProblem(bad, 400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['fields.colour', 'profiles.1', 'profiles.2']);
    const two = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { profiles: [{ id: a.id }, { id: a.id, email: a.email }] });
    expectProblem(two, 400);
    expect(two.body.errors[0].path).toContain('profiles');
    const both = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 1, profiles: [{ id: a.id }] });
    expectProblem(both, 400);
    expect(both.body.errors[0].path).toBe('profiles');
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, {}), 400);
    const unknown = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { profiles: [{ email: 'ghost@example.com' }] });
    expectProblem(unknown, 404);
    expect(unknown.body.errors).toEqual([{ path: 'profiles.0', message: 'no profile with this email' }]);
  });

  it("generates one new code for each of a segment's members, from a template or a remote service", async () => {
    const tag = `seg${Date.now()}`;
    const members = [await person(h(), { fields: { tag } }), await person(h(), { fields: { tag } }), await person(h(), { fields: { tag } })];
    await person(h(), { fields: { tag: 'other' } });
    const seg = await h().post('/api/v1/segments', { name: 'Tagged', type: 'dynamic', conditions: { field: 'fields.tag', op: 'eq', value: tag } });
    expect(seg.status, JSON.stringify(seg.body)).toBe(201);
    const pool = await makePool(h(), { generator: { template: 'SEG-{symbol 8}' }, code_ttl: 'P5D' });
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { segment_id: seg.body.id });
    expect(r.body).toEqual({ generated: 3, total: 3, issued: 3, skipped: 0, errors: [] });
    const issued = (await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=issued`)).body.items;
    expect(issued.map((x: { profile_id: string }) => x.profile_id).sort()).toEqual(members.map((m) => m.id).sort());
    expect(issued[0].expires_at).not.toBeNull();
    for (const m of members) expect((await h().get(`/api/v1/profiles/${m.id}/timeline`)).body.items[0].kind).toBe('promo_code_issued');

    mode = 'ok';
    requests.length = 0;
    const remote = await makePool(h(), { generator: { remote: { url, max_per_request: 2 } } });
    const rr = await h().post(`/api/v1/promo/pools/${remote.id}/generate`, { segment_id: seg.body.id });
    expect(rr.body).toEqual({ generated: 3, total: 3, issued: 3, skipped: 0, errors: [] });
    expect(requests.map((q) => q.count)).toEqual([2, 1]);
    mode = 'fail';
    const down = await makePool(h(), { generator: { remote: { url, max_per_request: 2, retries: 0 } } });
    const failed = await h().post(`/api/v1/promo/pools/${down.id}/generate`, { segment_id: seg.body.id });
    expect(failed.body).toEqual({ generated: 0, total: 0, issued: 0, skipped: 0, errors: [{ message: 'the service answered 503' }] });
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { segment_id: '00000000-0000-0000-0000-000000000000' }), 404);
    const shared = await makePool(h(), { generator: { template: 'SH-{symbol 6}' }, multi_profile: true });
    expectProblem(await h().post(`/api/v1/promo/pools/${shared.id}/generate`, { segment_id: seg.body.id }), 422, 'pool-multi-profile');
  });
});
