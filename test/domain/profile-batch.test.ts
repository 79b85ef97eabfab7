import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planBatch, type ProfileState, type RowWrite } from '../../src/domain/profiles/batch.js';

const ident = fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: undefined });
const row = fc.record({
  external_id: ident,
  email_norm: ident,
  phone: ident,
  fields: fc.option(fc.dictionary(fc.constantFrom('x', 'y', 'z'), fc.oneof(fc.integer(), fc.constant(null))), { nil: undefined }),
}) as fc.Arbitrary<RowWrite>;

describe('batch upsert planning', () => {
  it('keeps every identifier unique, puts each accepted row on its profile, and merges fields in row order', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 12 }), (rows) => {
        let n = 0;
        const plan = planBatch(rows, [], () => `p${n++}`);
        const finals = new Map<string, ProfileState>([...plan.creates, ...plan.updates].map((p) => [p.id, p]));
        for (const k of ['external_id', 'email_norm', 'phone'] as const) {
          const vals = [...finals.values()].map((p) => p[k]).filter(Boolean);
          expect(new Set(vals).size).toBe(vals.length);
        }
        // replay: the fields each profile ends with are the accepted rows' fields merged in order
        const expected = new Map<string, Record<string, unknown>>();
        plan.outcomes.forEach((o, i) => {
          if (o.kind === 'conflict') return;
          const cur = { ...(expected.get(o.id) ?? {}) };
          for (const [k, v] of Object.entries(rows[i].fields ?? {})) if (v === null) delete cur[k]; else cur[k] = v;
          expected.set(o.id, cur);
        });
        for (const [id, f] of expected) expect(finals.get(id)!.fields).toEqual(f);
        expect(plan.creates.length).toBe(new Set(plan.outcomes.filter((o) => o.kind === 'created').map((o) => (o as { id: string }).id)).size);
      }),
    );
  });

  it('matches a later row to what an earlier row of the batch created', () => {
    const plan = planBatch(
      [
        { email_norm: 'a@x.co', email: 'A@x.co', fields: { n: 1 } },
        { email_norm: 'a@x.co', external_id: 'e1', fields: { m: 2 } },
        { external_id: 'e1', phone: '+4915112345678' },
        { email_norm: 'b@x.co', external_id: 'e1' },
      ],
      [{ id: 'old', email: 'b@x.co', email_norm: 'b@x.co', phone: null, external_id: null, fields: {}, subscriptions: {} }],
      () => 'new',
    );
    expect(plan.outcomes).toEqual([
      { kind: 'created', id: 'new' },
      { kind: 'updated', id: 'new' },
      { kind: 'updated', id: 'new' },
      { kind: 'conflict', field: 'email' },
    ]);
    expect(plan.creates).toEqual([
      { id: 'new', email: 'A@x.co', email_norm: 'a@x.co', phone: '+4915112345678', external_id: 'e1', fields: { n: 1, m: 2 }, subscriptions: {} },
    ]);
    expect(plan.updates).toEqual([]);
  });
});
