import { expect, it } from 'vitest';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';

function expectProblem(r: { status: number; headers: Record<string, unknown>; body: any }, status: number) {
  expect(r.status).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), title: expect.any(String), detail: expect.any(String) });
}

async function stillReady(h: Harness) {
  expect((await h.get('/readyz', null)).status).toBe(200);
}

describeEachDatabase('platform core', (h) => {
  it('is healthy and ready, and serves the OpenAPI document and docs', async () => {
    expect((await h().get('/healthz', null)).status).toBe(200);
    const r = await h().get('/readyz', null);
    expect(r.status).toBe(200);
    const doc = await h().get('/api/openapi.json', null);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/profiles', '/api/v1/events/batch', '/api/v1/tokens']));
    // the documented body schema is the one that validates
    expect(doc.body.paths['/api/v1/profiles'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    const ui = await h().get('/api/docs', null);
    expect([200, 302]).toContain(ui.status);
  });

  it('refuses a missing, wrong or insufficient token', async () => {
    expectProblem(await h().get('/api/v1/profiles', null), 401);
    expectProblem(await h().get('/api/v1/profiles', 'nope'), 401);
    expectProblem(await h().request('GET', '/api/v1/profiles', { headers: { authorization: 'Basic abc' }, token: null }), 401);
    const created = await h().post('/api/v1/tokens', { name: 'reader', scopes: ['read'] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^rt_/);
    const reader = created.body.token as string;
    expect((await h().get('/api/v1/whoami', reader)).body).toMatchObject({ name: 'reader', scopes: ['read'] });
    expectProblem(await h().request('POST', '/api/v1/profiles', { token: reader, body: { email: 'a@example.com' } }), 403);
    expectProblem(await h().request('POST', '/api/v1/tokens', { token: reader, body: { name: 'x', scopes: ['admin'] } }), 403);
    const writer = (await h().post('/api/v1/tokens', { name: 'writer', scopes: ['write'] })).body.token;
    expectProblem(await h().request('GET', '/api/v1/tokens', { token: writer }), 403);
    expect((await h().request('GET', '/api/v1/profiles', { token: writer })).status).toBe(200);

    const list = await h().get('/api/v1/tokens?limit=1');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].token).toBeUndefined();
    expect(list.body.next_cursor).toEqual(expect.any(String));
    const rest = await h().get(`/api/v1/tokens?limit=1000&cursor=${list.body.next_cursor}`);
    expect(rest.body.items.length).toBe(2);
    expect(rest.body.items.map((t: { id: string }) => t.id)).not.toContain(list.body.items[0].id);

    expect((await h().request('DELETE', `/api/v1/tokens/${created.body.id}`)).status).toBe(204);
    expectProblem(await h().get('/api/v1/whoami', reader), 401);
    expectProblem(await h().request('DELETE', `/api/v1/tokens/${created.body.id}`), 404);
  });

  it('answers bad input with a problem listing every bad field, and stays ready', async () => {
    const malformed = await h().request('POST', '/api/v1/profiles', { raw: '{"email": ', headers: { 'content-type': 'application/json' } });
    expectProblem(malformed, 400);

    const wrong = await h().post('/api/v1/profiles', { email: 42, phone: true, fields: 'x', subscriptions: { email: 'maybe' }, color: 'red' });
    expectProblem(wrong, 400);
    const paths = wrong.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['email', 'phone', 'fields', 'subscriptions.email', 'color']));

    const badContacts = await h().post('/api/v1/profiles', { email: 'not-an-email', phone: '+12 34' });
    expectProblem(badContacts, 400);
    expect(badContacts.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['email', 'phone']);

    const huge = 'x'.repeat(20 * 1024 * 1024);
    expectProblem(await h().request('POST', '/api/v1/profiles', { raw: `{"email":"a@b.co","fields":{"x":"${huge}"}}`, headers: { 'content-type': 'application/json' } }), 413);

    expectProblem(await h().get("/api/v1/profiles/1' OR '1'='1"), 400);
    expectProblem(await h().get('/api/v1/profiles/00000000-0000-0000-0000-000000000000'), 404);
    expectProblem(await h().get('/api/v1/profiles?email=%27%3B%20DROP%20TABLE%20profiles%3B--'), 400);
    expectProblem(await h().get('/api/v1/no/such/route'), 404);
    expectProblem(await h().get('/api/v1/profiles?limit=5000'), 400);
    expectProblem(await h().get('/api/v1/profiles?cursor=garbage'), 400);
    expectProblem(await h().request('POST', '/api/v1/profiles', { raw: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    const nul = await h().post('/api/v1/profiles', { email: 'nul@example.com', fields: { a: 'x\u0000y' } });
    expect(nul.status).toBeLessThan(500);

    const events = Array.from({ length: 1001 }, () => ({ profile: { email: 'a@example.com' }, name: 'x' }));
    const tooMany = await h().post('/api/v1/events/batch', { events });
    expectProblem(tooMany, 400);
    expect(tooMany.body.errors[0].path).toBe('events');
    expect((await h().get('/api/v1/profiles?email=a@example.com')).status).toBe(404);
    await stillReady(h());
  });

  it('replays an idempotent request and refuses the key with another body', async () => {
    const headers = { 'idempotency-key': 'create-ann-1' };
    const first = await h().post('/api/v1/profiles', { email: 'ann@example.com', fields: { n: 1 } }, headers);
    expect(first.status).toBe(201);
    const again = await h().post('/api/v1/profiles', { email: 'ann@example.com', fields: { n: 1 } }, headers);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replay']).toBe('true');
    const other = await h().post('/api/v1/profiles', { email: 'ann@example.com', fields: { n: 2 } }, headers);
    expectProblem(other, 409);
    expect(other.body.type).toBe('/problems/idempotency-key-reused');
    // the profile was written once: fields still n=1
    expect((await h().get(`/api/v1/profiles/${first.body.id}`)).body.fields).toEqual({ n: 1 });
    // a failed request's answer is replayed too, and a too-long key is refused
    const bad1 = await h().post('/api/v1/profiles', { email: 'nope' }, { 'idempotency-key': 'bad-1' });
    const bad2 = await h().post('/api/v1/profiles', { email: 'nope' }, { 'idempotency-key': 'bad-1' });
    expect([bad1.status, bad2.status]).toEqual([400, 400]);
    expectProblem(await h().post('/api/v1/profiles', { email: 'k@example.com' }, { 'idempotency-key': 'k'.repeat(201) }), 400);
  });

  it('expires idempotency records through the work loop', async () => {
    const clock = h().clock as import('../../src/domain/clock.js').VirtualClock;
    await h().post('/api/v1/profiles', { email: 'exp@example.com' }, { 'idempotency-key': 'exp-1' });
    const count = async () =>
      Number((await h().ctx.db.selectFrom('idempotency_keys').select((eb) => eb.fn.countAll().as('n')).where('key', '=', 'exp-1').executeTakeFirstOrThrow()).n);
    expect(await count()).toBe(1);
    expect(await h().app.ctx.work.drain('idempotency-expiry')).toBe(0);
    clock.advance(25 * 3600 * 1000);
    expect(await h().app.ctx.work.drain('idempotency-expiry')).toBeGreaterThanOrEqual(1);
    expect(await count()).toBe(0);
    // the key is free again after expiry
    const again = await h().post('/api/v1/profiles', { email: 'exp@example.com', fields: { b: 1 } }, { 'idempotency-key': 'exp-1' });
    expect(again.status).toBe(200);
  });

  it('reports a job that does not exist as 404', async () => {
    expectProblem(await h().get('/api/v1/jobs/00000000-0000-7000-8000-000000000000'), 404);
  });
});
