import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';

describeEachDatabase('profiles', (h) => {
  it('creates, then updates by the matching order external_id → email → phone', async () => {
    const created = await h().post('/api/v1/profiles', {
      email: 'Maria.Ivanova@Example.com',
      phone: '+7 (912) 345-67-89',
      fields: { first_name: 'Maria', city: 'Kazan' },
      subscriptions: { email: 'subscribed' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'Maria.Ivanova@Example.com',
      phone: '+79123456789',
      external_id: null,
      fields: { first_name: 'Maria', city: 'Kazan' },
      subscriptions: { email: 'subscribed' },
    });
    const id = created.body.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // email matches case-insensitively; fields merge, null removes a key; subscriptions merge
    const byEmail = await h().post('/api/v1/profiles', {
      email: 'maria.ivanova@example.COM',
      external_id: 'crm-1',
      fields: { city: null, tier: 'gold' },
      subscriptions: { sms: 'pending' },
    });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.id).toBe(id);
    expect(byEmail.body.fields).toEqual({ first_name: 'Maria', tier: 'gold' });
    expect(byEmail.body.subscriptions).toEqual({ email: 'subscribed', sms: 'pending' });
    expect(byEmail.body.external_id).toBe('crm-1');

    // phone in another notation matches the E.164 form
    const byPhone = await h().post('/api/v1/profiles', { phone: '8-912-345-67-89'.replace(/^8/, '+7') });
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.id).toBe(id);

    // external_id wins over email: a new email lands on the external_id's profile
    const byExt = await h().post('/api/v1/profiles', { external_id: 'crm-1', email: 'maria@new.example.com' });
    expect(byExt.body.id).toBe(id);
    expect(byExt.body.email).toBe('maria@new.example.com');

    // lookups
    expect((await h().get('/api/v1/profiles?email=MARIA@new.example.com')).body.id).toBe(id);
    expect((await h().get('/api/v1/profiles?phone=%2B79123456789')).body.id).toBe(id);
    expect((await h().get('/api/v1/profiles?external_id=crm-1')).body.id).toBe(id);
    expect((await h().get(`/api/v1/profiles/${id}`)).body.email).toBe('maria@new.example.com');
    expect((await h().get('/api/v1/profiles?email=nobody@example.com')).status).toBe(404);
    expect((await h().get('/api/v1/profiles?email=a@example.com&phone=%2B79123456789')).status).toBe(400);
  });

  it('refuses an identifier that belongs to another profile, and a profile without one', async () => {
    const a = await h().post('/api/v1/profiles', { external_id: 'conf-a', email: 'conf-a@example.com' });
    const b = await h().post('/api/v1/profiles', { external_id: 'conf-b', email: 'conf-b@example.com' });
    expect([a.status, b.status]).toEqual([201, 201]);
    const clash = await h().post('/api/v1/profiles', { external_id: 'conf-a', email: 'conf-b@example.com' });
    expect(clash.status).toBe(409);
    expect(clash.body.type).toBe('/problems/profile-identifier-taken');
    const patchClash = await h().request('PATCH', `/api/v1/profiles/${a.body.id}`, { body: { email: 'CONF-B@example.com' } });
    expect(patchClash.status).toBe(409);
    expect((await h().get(`/api/v1/profiles/${a.body.id}`)).body.email).toBe('conf-a@example.com');
    const none = await h().post('/api/v1/profiles', { fields: { a: 1 } });
    expect(none.status).toBe(400);
  });

  it('patches partially and erases personal data', async () => {
    const p = (await h().post('/api/v1/profiles', { email: 'erase@example.com', phone: '+4915112345678', fields: { a: 1, b: 2 } })).body;
    const patched = await h().request('PATCH', `/api/v1/profiles/${p.id}`, { body: { phone: null, fields: { b: 3 } } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ phone: null, email: 'erase@example.com', fields: { a: 1, b: 3 } });
    expect((await h().request('PATCH', `/api/v1/profiles/${p.id}`, { body: { nickname: 'x' } })).status).toBe(400);
    await h().post('/api/v1/events', { profile: { id: p.id }, name: 'site_visit', properties: { url: '/secret' } });

    expect((await h().request('DELETE', `/api/v1/profiles/${p.id}`)).status).toBe(204);
    expect((await h().get(`/api/v1/profiles/${p.id}`)).status).toBe(404);
    expect((await h().get('/api/v1/profiles?email=erase@example.com')).status).toBe(404);
    expect((await h().request('DELETE', `/api/v1/profiles/${p.id}`)).status).toBe(404);
    const row = await h().ctx.db.selectFrom('profiles').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: null, phone: null, fields: {}, subscriptions: {} });
    const ev = await h().ctx.db.selectFrom('events').select('properties').where('profile_id', '=', p.id).execute();
    expect(ev).toEqual([{ properties: {} }]);
    // the address is free for a new profile
    expect((await h().post('/api/v1/profiles', { email: 'erase@example.com' })).status).toBe(201);
  });

  it('lists profiles with cursor pagination', async () => {
    for (let i = 0; i < 5; i++) await h().post('/api/v1/profiles', { external_id: `page-${i}` });
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { body: { items: { id: string }[]; next_cursor: string | null } } = await h().get(`/api/v1/profiles?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      for (const p of r.body.items) {
        expect(seen.has(p.id)).toBe(false);
        seen.add(p.id);
      }
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor);
    const total = Number((await h().ctx.db.selectFrom('profiles').select((eb) => eb.fn.countAll().as('n')).where('erased_at', 'is', null).executeTakeFirstOrThrow()).n);
    expect(seen.size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 2));
  });
});
