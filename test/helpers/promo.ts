import { expect } from 'vitest';
import type { Harness } from './harness.js';

export function expectProblem(r: { status: number; headers: Record<string, unknown>; body: any }, status: number, slug?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  if (slug) expect(r.body.type).toBe(`/problems/${slug}`);
}

let n = 0;
export async function makePool(h: Harness, body: Record<string, unknown> = {}) {
  const r = await h.post('/api/v1/promo/pools', { name: 'Pool', template_name: `pool_${++n}_${Date.now()}`, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; template_name: string; capacity: string | null } & Record<string, unknown>;
}
