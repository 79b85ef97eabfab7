import { expect, it } from 'vitest';
import type { StoredEvent } from '../../src/store/events.js';
import { describeEachDatabase } from '../helpers/harness.js';

describeEachDatabase('events', (h) => {
  it('records an event, creates the profile it names, and accepts an event_id once', async () => {
    const heard: StoredEvent[] = [];
    const off = h().ctx.bus.on('events', (evs) => void heard.push(...evs));
    const first = await h().post('/api/v1/events', {
      profile: { email: 'Buyer@Example.com' },
      name: 'cart_updated',
      properties: { cart_id: 'c1', total: 120.5 },
      occurred_at: '2026-02-28T10:00:00+03:00',
      event_id: 'shop-evt-1',
    });
    expect(first.status).toBe(202);
    expect(first.body.id).toEqual(expect.any(String));
    const again = await h().post('/api/v1/events', { profile: { email: 'buyer@example.com' }, name: 'cart_updated', event_id: 'shop-evt-1' });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ id: first.body.id, duplicate: true });
    off();
    expect(heard.map((e) => e.id)).toEqual([first.body.id]);
    expect(heard[0].occurred_at.toISOString()).toBe('2026-02-28T07:00:00.000Z');

    const profile = (await h().get('/api/v1/profiles?email=buyer@example.com')).body;
    const tl = await h().get(`/api/v1/profiles/${profile.id}/timeline`);
    expect(tl.status).toBe(200);
    expect(tl.body.items).toEqual([
      expect.objectContaining({ id: first.body.id, kind: 'event', title: 'cart_updated', at: '2026-02-28T07:00:00.000Z', data: { cart_id: 'c1', total: 120.5 } }),
    ]);

    expect((await h().post('/api/v1/events', { profile: { id: '00000000-0000-7000-8000-000000000001' }, name: 'x' })).status).toBe(404);
    const bad = await h().post('/api/v1/events', { profile: { email: 'a@b.co', phone: '+491511234567' }, name: 'has space', occurred_at: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['profile', 'name', 'occurred_at']));
  });

  it('takes a batch, rejecting bad items one by one by index', async () => {
    const events = [
      { profile: { external_id: 'batch-1' }, name: 'site_visit', event_id: 'b-1' },
      { profile: { external_id: 'batch-1' }, name: 'site_visit', event_id: 'b-1' },
      { profile: { external_id: 'batch-2' }, name: 'site_visit', properties: { n: 2 } },
      { profile: { email: 'not an email' }, name: 'site_visit' },
      { profile: { id: '00000000-0000-7000-8000-000000000002' }, name: 'site_visit' },
      { name: 'no_profile' },
      { profile: { phone: '+14155550123' }, name: 'site_visit', extra: true },
      { profile: { phone: '+1 415 555 0124' }, name: 'site_visit' },
    ];
    const r = await h().post('/api/v1/events/batch', { events });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(3);
    expect(r.body.duplicates).toBe(1);
    expect(r.body.rejected.map((x: { index: number }) => x.index)).toEqual([3, 4, 5, 6]);
    expect(r.body.rejected[2].errors[0].path).toBe('profile');
    expect(r.body.rejected[3].errors[0].path).toBe('extra');
    const again = await h().post('/api/v1/events/batch', { events: events.slice(0, 1) });
    expect(again.body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect((await h().get('/api/v1/profiles?phone=%2B14155550124')).status).toBe(200);
    expect((await h().post('/api/v1/events/batch', { events: [] })).status).toBe(400);
    expect((await h().post('/api/v1/events/batch', { events: 'x' })).status).toBe(400);
  });

  it('pages the timeline newest first without repeats', async () => {
    const ref = { external_id: 'timeline-1' };
    const events = Array.from({ length: 7 }, (_, i) => ({ profile: ref, name: `step_${i}`, occurred_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));
    events.push({ profile: ref, name: 'same_time', occurred_at: events[3].occurred_at });
    expect((await h().post('/api/v1/events/batch', { events })).body.accepted).toBe(8);
    const id = (await h().get('/api/v1/profiles?external_id=timeline-1')).body.id;
    const titles: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { items: { title: string }[]; next_cursor: string | null } } = await h().get(`/api/v1/profiles/${id}/timeline?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      titles.push(...r.body.items.map((e) => e.title));
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(titles).toHaveLength(8);
    expect(titles.slice(0, 3)).toEqual(['step_6', 'step_5', 'step_4']);
    expect(new Set(titles).size).toBe(8);
    expect((await h().get(`/api/v1/profiles/${id}/timeline?cursor=abc`)).status).toBe(400);
  });
});
