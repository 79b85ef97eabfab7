import { randomFillSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodeDrawer } from '../../src/domain/promo/draw.js';
import { generationRefusal, issueRefusal, redeemRefusal, statusAt } from '../../src/domain/promo/lifecycle.js';
import { settingErrors, type PoolSettings } from '../../src/domain/promo/pool.js';
import { ALPHABETS, capacity, parseTemplate, templatePattern, TemplateError, type TokenKind } from '../../src/domain/promo/template.js';

const KINDS = Object.keys(ALPHABETS) as TokenKind[];
const literal = fc.string({ minLength: 1, maxLength: 4 }).filter((s) => ![...s].some((c) => c === '{' || c === '}' || c.charCodeAt(0) < 0x20 || c === '\u007f'));
const token = fc.record({ kind: fc.constantFrom(...KINDS), n: fc.integer({ min: 1, max: 6 }) }).map(({ kind, n }) => `{${kind} ${n}}`);
const templateText = fc.array(fc.oneof(literal, token), { minLength: 1, maxLength: 6 }).map((p) => p.join(''));

/** Every code a (small) template can make, by brute force. */
function enumerate(source: string): Set<string> {
  let codes = [''];
  for (const p of parseTemplate(source).parts) {
    const next: string[] = [];
    const options = p.kind === 'literal' ? [p.text] : product(ALPHABETS[p.kind], p.length);
    for (const c of codes) for (const o of options) next.push(c + o);
    codes = next;
  }
  return new Set(codes);
}
function product(chars: string, n: number): string[] {
  let out = [''];
  for (let i = 0; i < n; i++) out = out.flatMap((s) => [...chars].map((c) => s + c));
  return out;
}

describe('promo code templates', () => {
  it('parses tokens and literal text', () => {
    const t = parseTemplate('WELCOME-{number 6}');
    expect(t.parts).toEqual([{ kind: 'literal', text: 'WELCOME-' }, { kind: 'number', length: 6 }]);
    expect(t.length).toBe(14);
    expect(capacity(parseTemplate('{string 4}-{number 4}-{upstring 4}'))).toBe(52n ** 4n * 10n ** 4n * 26n ** 4n);
    expect(capacity(parseTemplate('{symbol 10}'))).toBe(36n ** 10n);
    expect(capacity(parseTemplate('FIXED'))).toBe(1n);
    expect(capacity(parseTemplate('{lowstring 100}'))).toBe(26n ** 100n); // exact beyond 2^53
  });

  it.each([
    ['AB{foo 3}', 3, 'unknown token'],
    ['{number}', 1, 'not a token'],
    ['X{number 4', 2, 'never closed'],
    ['AB}', 3, 'without its'],
    ['{number 0}', 1, 'at least 1'],
    ['', 1, 'empty'],
    ['{symbol 101}', 1, 'at most 100'],
    ['A\tB', 2, 'control'],
  ])('refuses %j naming position %i', (source, position, reason) => {
    try {
      parseTemplate(source);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect((e as TemplateError).position).toBe(position);
      expect((e as TemplateError).message).toContain(reason);
      expect((e as TemplateError).message).toContain(`position ${position}`);
    }
  });

  it('draws codes that always match their template (property)', () => {
    fc.assert(
      fc.property(templateText, (source) => {
        const t = parseTemplate(source);
        const drawer = new CodeDrawer(t, randomFillSync);
        const re = templatePattern(t);
        for (let i = 0; i < 20; i++) {
          const code = drawer.draw();
          expect(code).toMatch(re);
          expect(code.length).toBe(t.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('computes the capacity the brute force finds, and the pattern accepts exactly those codes (property)', () => {
    const small = fc
      .array(fc.oneof(literal, fc.record({ kind: fc.constantFrom(...KINDS), n: fc.integer({ min: 1, max: 2 }) }).map(({ kind, n }) => `{${kind} ${n}}`)), {
        minLength: 1,
        maxLength: 3,
      })
      .map((p) => p.join(''))
      .filter((s) => capacity(parseTemplate(s)) <= 5_000n);
    fc.assert(
      fc.property(small, (source) => {
        const t = parseTemplate(source);
        const all = enumerate(source);
        expect(BigInt(all.size)).toBe(capacity(t));
        const re = templatePattern(t);
        for (const c of all) expect(c).toMatch(re);
      }),
      { numRuns: 80 },
    );
  });

  it('draws every character with the same odds (no modulo bias)', () => {
    // A source that cycles through every byte value once: rejection must leave each of the 36 symbols 7 times.
    let next = 0;
    const cycle = (buf: Uint8Array) => {
      for (let i = 0; i < buf.length; i++) buf[i] = next++ % 256;
    };
    const drawer = new CodeDrawer(parseTemplate('{symbol 84}'), cycle);
    const counts = new Map<string, number>();
    for (const ch of drawer.draw() + drawer.draw() + drawer.draw()) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(36);
    expect([...counts.values()].every((n) => n === 7)).toBe(true);
    // and crypto-drawn digits are roughly uniform over many draws
    const digits = new CodeDrawer(parseTemplate('{number 1}'), randomFillSync);
    const tally = Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) tally[Number(digits.draw())]++;
    for (const n of tally) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });

  it('draws many distinct codes at once that match their template (property)', () => {
    fc.assert(
      fc.property(templateText, fc.integer({ min: 1, max: 300 }), (source, wanted) => {
        const t = parseTemplate(source);
        const count = Number(capacity(t) < BigInt(wanted) ? capacity(t) : BigInt(wanted));
        const codes = new CodeDrawer(t, randomFillSync).drawDistinct(count);
        expect(codes).toHaveLength(count);
        expect(new Set(codes).size).toBe(count);
        const re = templatePattern(t);
        for (const c of codes) expect(c).toMatch(re);
      }),
      { numRuns: 200 },
    );
  });

  it('draws distinct codes up to the whole space', () => {
    const d = new CodeDrawer(parseTemplate('{number 2}'), randomFillSync);
    expect(new Set(d.drawDistinct(100)).size).toBe(100);
  });
});

describe('promo pool rules', () => {
  const base: PoolSettings = {
    name: 'x', template_name: 'spring_10', generator: { template: '{symbol 8}' }, valid_from: null, valid_to: null, code_ttl: null,
    max_codes: null, multi_profile: false, auto_link: false, scenario_can_create: false, campaign_can_create: false, custom_fields: [],
  };

  it('lists every bad setting by field', () => {
    expect(settingErrors(base)).toEqual([]);
    const errors = settingErrors({
      ...base,
      template_name: 'spring sale',
      generator: { template: '{bogus 2}' },
      valid_from: new Date('2026-02-01'),
      valid_to: new Date('2026-01-01'),
      code_ttl: 'P',
      custom_fields: ['ok', 'ok', '1bad'],
    });
    expect(errors.map((e) => e.path)).toEqual(['template_name', 'generator.template', 'valid_to', 'code_ttl', 'custom_fields.1', 'custom_fields.2']);
    expect(settingErrors({ ...base, generator: { remote: { url: 'ftp://x', max_per_request: 10 } } }).map((e) => e.path)).toEqual(['generator.remote.url']);
  });

  it('refuses generation past max_codes or half the free space', () => {
    expect(generationRefusal(10, 0, 100n, null)).toBeNull();
    expect(generationRefusal(50, 0, 100n, null)).toBeNull();
    expect(generationRefusal(51, 0, 100n, null)?.slug).toBe('pool-exhausted');
    expect(generationRefusal(25, 50, 100n, null)).toBeNull();
    expect(generationRefusal(26, 50, 100n, null)?.slug).toBe('pool-exhausted');
    expect(generationRefusal(1, 100, 100n, null)?.slug).toBe('pool-exhausted');
    expect(generationRefusal(5, 96, null, 100)?.slug).toBe('pool-exhausted');
    expect(generationRefusal(4, 96, null, 100)).toBeNull();
  });

  it('bounds issuing by the pool period and explains refused redemptions', () => {
    const pool = { status: 'active' as const, valid_from: new Date('2026-03-01'), valid_to: new Date('2026-04-01'), code_ttl: 'P7D', max_codes: null };
    expect(issueRefusal(pool, new Date('2026-02-28'))?.slug).toBe('pool-not-valid');
    expect(issueRefusal(pool, new Date('2026-03-15'))).toBeNull();
    expect(issueRefusal(pool, new Date('2026-04-01'))?.slug).toBe('pool-not-valid');
    expect(issueRefusal({ ...pool, status: 'paused' }, new Date('2026-03-15'))?.slug).toBe('pool-not-valid');
    const now = new Date('2026-03-10');
    const issued = { status: 'issued', profile_id: 'p1', expires_at: new Date('2026-03-09') };
    expect(statusAt(issued, now)).toBe('expired');
    expect(redeemRefusal(issued, pool, 'p1', now).slug).toBe('code-expired');
    expect(redeemRefusal({ ...issued, expires_at: null }, pool, 'p2', now).slug).toBe('code-not-issued-to-profile');
    expect(redeemRefusal({ ...issued, status: 'available', profile_id: null }, pool, 'p1', now).slug).toBe('code-not-issued-to-profile');
    expect(redeemRefusal({ ...issued, status: 'redeemed' }, pool, 'p1', now).slug).toBe('code-redeemed');
    expect(redeemRefusal({ ...issued, expires_at: null }, { status: 'paused' }, 'p1', now).slug).toBe('pool-not-valid');
  });
});
