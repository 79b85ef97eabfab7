import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';
import { expectProblem, makePool } from '../helpers/promo.js';

describeEachDatabase('promo pools', (h) => {
  it('creates a pool with every setting and reports its exact capacity', async () => {
    const r = await h().post('/api/v1/promo/pools', {
      name: 'Spring sale',
      template_name: 'spring_sale',
      generator: { template: '{string 4}-{number 4}-{upstring 4}' },
      valid_from: '2026-03-01T00:00:00Z',
      valid_to: '2026-06-01T00:00:00+02:00',
      code_ttl: 'P30D',
      max_codes: 1000,
      multi_profile: false,
      auto_link: true,
      scenario_can_create: true,
      campaign_can_create: false,
      custom_fields: ['discount', 'campaign'],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: expect.any(String),
      name: 'Spring sale',
      template_name: 'spring_sale',
      generator: { template: '{string 4}-{number 4}-{upstring 4}' },
      valid_from: '2026-03-01T00:00:00.000Z',
      valid_to: '2026-05-31T22:00:00.000Z',
      code_ttl: 'P30D',
      max_codes: 1000,
      auto_link: true,
      scenario_can_create: true,
      campaign_can_create: false,
      custom_fields: ['discount', 'campaign'],
      status: 'active',
      capacity: (52n ** 4n * 10n ** 4n * 26n ** 4n).toString(),
    });
    const got = await h().get(`/api/v1/promo/pools/${r.body.id}`);
    expect(got.body).toEqual(r.body);
    const big = await makePool(h(), { generator: { template: '{symbol 40}' } });
    expect(big.capacity).toBe((36n ** 40n).toString());
    const none = await makePool(h(), { generator: null });
    expect(none.capacity).toBeNull();
    const remote = await makePool(h(), { generator: { remote: { url: 'http://127.0.0.1:9/codes', max_per_request: 100 } } });
    expect(remote.generator).toEqual({ remote: { url: 'http://127.0.0.1:9/codes', max_per_request: 100 } });
  });

  it('describes every promo endpoint in the OpenAPI document', async () => {
    const doc = (await h().get('/api/openapi.json', null)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/promo/pools', '/api/v1/promo/pools/{id}', '/api/v1/promo/pools/{id}/generate', '/api/v1/promo/pools/{id}/import',
        '/api/v1/promo/pools/{id}/codes', '/api/v1/promo/pools/{id}/export', '/api/v1/promo/pools/{id}/codes/{code}',
        '/api/v1/promo/pools/{id}/issue', '/api/v1/promo/codes/{code}', '/api/v1/promo/codes/{code}/redeem',
        '/api/v1/promo/codes/{code}/release', '/api/v1/promo/codes/{code}/detach',
      ]),
    );
    expect(doc.paths['/api/v1/promo/pools'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
  });

  it('refuses bad settings naming every field, and a taken template name', async () => {
    const bad = await h().post('/api/v1/promo/pools', {
      name: 'Bad',
      template_name: 'has space',
      generator: { template: 'AB-{bogus 3}' },
      valid_from: '2026-05-01T00:00:00Z',
      valid_to: '2026-04-01T00:00:00Z',
      code_ttl: 'thirty days',
      custom_fields: ['ok', 'ok'],
    });
    expectProblem(bad, 400, 'invalid-request');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['template_name', 'generator.template', 'valid_to', 'code_ttl', 'custom_fields.1']);
    expect(bad.body.errors[1].message).toContain('position 4');
    const schema = await h().post('/api/v1/promo/pools', { name: 3, template_name: 'x', max_codes: 0, multi_profile: 'yes', colour: 'red' });
    expectProblem(schema, 400);
    expect(schema.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['name', 'max_codes', 'multi_profile', 'colour']));
    expectProblem(await h().post('/api/v1/promo/pools', { name: 'x', template_name: 'x', generator: { remote: { url: 'file:///etc/passwd', max_per_request: 5 } } }), 400);
    const first = await makePool(h(), { template_name: 'Taken_Name' });
    expectProblem(await h().post('/api/v1/promo/pools', { name: 'x', template_name: 'taken_name' }), 409, 'template-name-taken');
    const other = await makePool(h());
    expectProblem(await h().request('PATCH', `/api/v1/promo/pools/${other.id}`, { body: { template_name: 'TAKEN_name' } }), 409, 'template-name-taken');
    expect((await h().request('PATCH', `/api/v1/promo/pools/${first.id}`, { body: { template_name: 'taken_name' } })).status).toBe(200);
  });

  it('lists, updates, pauses and resumes pools', async () => {
    const a = await makePool(h(), { generator: { template: '{number 6}' } });
    const patched = await h().request('PATCH', `/api/v1/promo/pools/${a.id}`, { body: { name: 'Renamed', code_ttl: 'P7D', max_codes: 10, generator: { template: 'X{symbol 8}' } } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Renamed', code_ttl: 'P7D', max_codes: 10, capacity: (36n ** 8n).toString() });
    const invalid = await h().request('PATCH', `/api/v1/promo/pools/${a.id}`, { body: { valid_from: '2026-05-01T00:00:00Z', valid_to: '2026-01-01T00:00:00Z' } });
    expectProblem(invalid, 400);
    expect(invalid.body.errors[0].path).toBe('valid_to');
    expectProblem(await h().request('PATCH', `/api/v1/promo/pools/${a.id}`, { body: {} }), 400);
    expect((await h().post(`/api/v1/promo/pools/${a.id}/pause`)).body.status).toBe('paused');
    expect((await h().get(`/api/v1/promo/pools/${a.id}`)).body.status).toBe('paused');
    expect((await h().post(`/api/v1/promo/pools/${a.id}/resume`)).body.status).toBe('active');

    const page1 = await h().get('/api/v1/promo/pools?limit=2');
    expect(page1.body.items).toHaveLength(2);
    const page2 = await h().get(`/api/v1/promo/pools?limit=1000&cursor=${page1.body.next_cursor}`);
    const ids = [...page1.body.items, ...page2.body.items].map((p: { id: string }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(a.id);
    expectProblem(await h().get('/api/v1/promo/pools/00000000-0000-0000-0000-000000000000'), 404);
    expectProblem(await h().get('/api/v1/promo/pools/not-a-uuid'), 400);
    expectProblem(await h().post('/api/v1/promo/pools/00000000-0000-0000-0000-000000000000/pause'), 404);
  });

  it('generates codes that match the template, unique, and refuses past max_codes or half the free space', async () => {
    const pool = await makePool(h(), { generator: { template: 'W-{number 2}' }, max_codes: 80, custom_fields: ['discount'] });
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 30, fields: { discount: 10 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ generated: 30, total: 30 });
    // 100 possible, 30 used: at most 35 more
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 36 }), 422, 'pool-exhausted');
    expect((await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 35 })).body).toEqual({ generated: 35, total: 65 });
    const capped = await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 16 });
    expectProblem(capped, 422, 'pool-exhausted');
    expect(capped.body.detail).toContain('max_codes');
    const list = await h().get(`/api/v1/promo/pools/${pool.id}/codes?limit=1000`);
    expect(list.body.items).toHaveLength(65);
    const codes = list.body.items.map((c: { code: string }) => c.code);
    expect(new Set(codes).size).toBe(65);
    for (const c of codes) expect(c).toMatch(/^W-[0-9]{2}$/);
    expect(list.body.items[0]).toMatchObject({ status: 'available', profile_id: null, pool_id: pool.id, fields: { discount: 10 } });
    expect(list.body.items[64].fields).toEqual({});

    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 1, fields: { colour: 'red' } }), 400);
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 0 }), 400);
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 'ten' }), 400);
    const noGen = await makePool(h());
    expectProblem(await h().post(`/api/v1/promo/pools/${noGen.id}/generate`, { count: 1 }), 422, 'no-generator');
    await h().post(`/api/v1/promo/pools/${pool.id}/pause`);
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 1 }), 422, 'pool-not-valid');
  });

  it('keeps codes unique across pools: another pool on the same space tops up around them', async () => {
    const a = await makePool(h(), { generator: { template: 'Q{number 2}' } });
    const b = await makePool(h(), { generator: { template: 'Q{number 2}' } });
    expect((await h().post(`/api/v1/promo/pools/${a.id}/generate`, { count: 50 })).body.generated).toBe(50);
    const rb = await h().post(`/api/v1/promo/pools/${b.id}/generate`, { count: 40 });
    // b's view of its own space is empty, so 40 is allowed; codes a holds are drawn again
    expect(rb.body.generated).toBeGreaterThan(0);
    const all = [
      ...(await h().get(`/api/v1/promo/pools/${a.id}/codes?limit=1000`)).body.items,
      ...(await h().get(`/api/v1/promo/pools/${b.id}/codes?limit=1000`)).body.items,
    ].map((c: { code: string }) => c.code);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(50 + rb.body.generated);
    expect(rb.body.generated).toBe(40);
  });

  it('generates in the background with ?async=true and reports progress on the job', async () => {
    const pool = await makePool(h(), { generator: { template: '{symbol 8}' } });
    const r = await h().post(`/api/v1/promo/pools/${pool.id}/generate?async=true`, { count: 5000 });
    expect(r.status).toBe(202);
    let job: any;
    for (let i = 0; i < 200; i++) {
      job = (await h().get(`/api/v1/jobs/${r.body.job_id}`)).body;
      if (job.status !== 'running') break;
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(job).toMatchObject({ kind: 'promo.generate', status: 'done', done: 5000, total: 5000, result: { generated: 5000, total: 5000 } });
    const tiny = await makePool(h(), { generator: { template: '{number 1}' } });
    expectProblem(await h().post(`/api/v1/promo/pools/${tiny.id}/generate?async=true`, { count: 6 }), 422, 'pool-exhausted');
  });
});
