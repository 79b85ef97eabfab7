import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CodeDrawer } from '../../src/domain/promo/draw.js';
import { parseTemplate } from '../../src/domain/promo/template.js';

describe('drawing many distinct codes at once', () => {
  it('gives every character of every position the same odds, and the codes come out sorted', () => {
    const codes = new CodeDrawer(parseTemplate('{symbol 3}-{number 3}{symbol 2}'), randomFillSync).drawDistinct(360_000);
    expect(new Set(codes).size).toBe(360_000);
    for (let i = 1; i < codes.length; i++) expect(codes[i - 1] < codes[i]).toBe(true);
    for (const at of [0, 2, 4, 6, 8]) {
      const tally = new Map<string, number>();
      for (const c of codes) tally.set(c[at], (tally.get(c[at]) ?? 0) + 1);
      const expected = 360_000 / (at === 4 || at === 6 ? 10 : 36);
      expect(tally.size).toBe(at === 4 || at === 6 ? 10 : 36);
      // within 6 standard deviations of a uniform draw
      for (const n of tally.values()) expect(Math.abs(n - expected)).toBeLessThan(6 * Math.sqrt(expected));
    }
  });

  it('rejects the top of each 32-bit word instead of folding it (no modulo bias)', () => {
    // A source whose words are all at or above the last multiple of 36^5 below 2^32, then ordinary ones:
    // a folding draw would map the first ones onto the low codes; rejection skips them.
    let calls = 0;
    const fill = (buf: Uint8Array) => {
      const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      if (calls++ === 0) words.fill(0xffffffff);
      else randomFillSync(buf);
    };
    const codes = new CodeDrawer(parseTemplate('{symbol 5}'), fill).drawDistinct(1000);
    expect(calls).toBeGreaterThanOrEqual(2);
    // the code a folding draw would make of 0xffffffff: its index in base 36 over the sorted alphabet
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'].sort().join('');
    let v = 0xffffffff % 36 ** 5;
    let folded = '';
    for (let i = 0; i < 5; i++, v = Math.floor(v / 36)) folded = alphabet[v % 36] + folded;
    expect(codes).not.toContain(folded);
    expect(new Set(codes).size).toBe(1000);
  });
});
