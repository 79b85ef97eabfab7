import { expect } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { drainMessages } from '../messaging/helpers.js';

export const api = '/api/v1';

let n = 0;
export async function profile(h: Harness, fields: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await h.post(`${api}/profiles`, { email: `p${++n}-${Date.now()}@example.com`, fields, subscriptions: { email: 'subscribed' }, ...extra });
  expect([200, 201], r.text).toContain(r.status);
  return r.body.id;
}

export async function template(h: Harness, body: Record<string, unknown> = {}): Promise<string> {
  const r = await h.post(`${api}/templates`, { name: `scenario-template-${++n}-${Date.now()}`, channel: 'email', subject: 'Hi {{ profile.fields.first_name | default: "friend" }}', body: '<p>Code {{ data.promo_code }}</p>', ...body });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

export async function pool(h: Harness, body: Record<string, unknown> = {}): Promise<string> {
  const r = await h.post(`${api}/promo/pools`, {
    name: `pool-${++n}`,
    template_name: `pool_${n}_${Date.now()}`,
    generator: { template: '{upstring 6}-{number 4}' },
    valid_from: '2020-01-01T00:00:00Z',
    valid_to: '2030-01-01T00:00:00Z',
    scenario_can_create: true,
    ...body,
  });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

export async function program(h: Harness): Promise<string> {
  const r = await h.post(`${api}/loyalty/programs`, { name: `program-${++n}`, currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 1 });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

export async function scenario(h: Harness, body: Record<string, unknown>): Promise<any> {
  const r = await h.post(`${api}/scenarios`, { name: `scenario-${++n}`, ...body });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

export async function act(h: Harness, id: string, action: 'activate' | 'pause' | 'resume' | 'stop', status = 200): Promise<any> {
  const r = await h.post(`${api}/scenarios/${id}/${action}`);
  expect(r.status, r.text).toBe(status);
  return r.body;
}

export async function active(h: Harness, body: Record<string, unknown>): Promise<any> {
  const s = await scenario(h, body);
  await act(h, s.id, 'activate');
  return s;
}

export async function launch(h: Harness, id: string, profileId: string, data?: Record<string, unknown>): Promise<any> {
  const r = await h.post(`${api}/scenarios/${id}/launch`, { profile: { id: profileId }, ...(data ? { data } : {}) });
  expect(r.status, r.text).toBe(200);
  return r.body;
}

export async function event(h: Harness, profileId: string, name: string, properties: Record<string, unknown> = {}) {
  const r = await h.post(`${api}/events`, { profile: { id: profileId }, name, properties });
  expect(r.status, r.text).toBe(202);
}

export async function stats(h: Harness, id: string, version?: number): Promise<any> {
  const r = await h.get(`${api}/scenarios/${id}/stats${version ? `?version=${version}` : ''}`);
  expect(r.status, r.text).toBe(200);
  return r.body;
}

export async function instances(h: Harness, id: string, profileId?: string): Promise<any[]> {
  const r = await h.get(`${api}/scenarios/${id}/instances?limit=1000${profileId ? `&profile=${profileId}` : ''}`);
  expect(r.status, r.text).toBe(200);
  return r.body.items;
}

export async function messagesOf(h: Harness, scenarioId: string): Promise<any[]> {
  const r = await h.get(`${api}/messages?scenario_id=${scenarioId}&limit=1000`);
  expect(r.status, r.text).toBe(200);
  return r.body.items;
}

/** Runs every scenario task and message delivery at the harness clock until nothing is left to do. */
export async function runScenarios(h: Harness): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const done =
      (await h.ctx.work.drain('scenario-events')) +
      (await h.ctx.work.drain('scenario-step')) +
      (await h.ctx.work.drain('scenario-webhook'));
    await drainMessages(h);
    if (!done) return;
  }
  throw new Error('scenario work did not settle');
}

/** Moves the virtual clock and runs the due work. */
export async function advance(h: Harness, ms: number): Promise<void> {
  (h.clock as unknown as { advance(ms: number): Date }).advance(ms);
  await runScenarios(h);
}
