import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageOf } from '../../src/domain/cursor.js';
import { addDuration, durationMs, parseDuration } from '../../src/domain/duration.js';
import { normalizeEmail, normalizePhone } from '../../src/domain/profiles/contact.js';
import { mergeFields } from '../../src/domain/profiles/fields.js';
import { decideMatch, type Candidate } from '../../src/domain/profiles/match.js';
import { parseProfileRef } from '../../src/domain/profiles/ref.js';
import { splitStatements } from '../../src/store/sql-split.js';

describe('cursor', () => {
  it('round-trips any key and refuses what it did not make', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 3 }), (key) => {
        expect(decodeCursor(encodeCursor(key), key.length)).toEqual(key);
      }),
    );
    expect(decodeCursor('not base64 json', 1)).toBeNull();
    expect(decodeCursor(encodeCursor(['a', 'b']), 1)).toBeNull();
    expect(decodeCursor(Buffer.from('{"a":1}').toString('base64url'), 1)).toBeNull();
  });
  it('pages with one extra row', () => {
    expect(pageOf([1, 2, 3], 2, (n) => [n])).toEqual({ items: [1, 2], next_cursor: encodeCursor([2]) });
    expect(pageOf([1, 2], 2, (n) => [n])).toEqual({ items: [1, 2], next_cursor: null });
  });
});

describe('durations', () => {
  it('parses the ISO 8601 forms the API uses', () => {
    expect(durationMs('PT2S')).toBe(2000);
    expect(durationMs('PT30M')).toBe(1_800_000);
    expect(durationMs('P3D')).toBe(3 * 86_400_000);
    expect(durationMs('-P3D')).toBe(-3 * 86_400_000);
    expect(durationMs('P1DT1H')).toBe(90_000_000);
    for (const bad of ['P', 'PT', '3D', 'P1H', 'PT1D', '', 'P-1D']) expect(parseDuration(bad)).toBeNull();
  });
  it('adds calendar months in UTC and fixed days', () => {
    expect(addDuration(new Date('2026-01-31T10:00:00Z'), 'P1M').toISOString()).toBe('2026-03-03T10:00:00.000Z');
    expect(addDuration(new Date('2026-03-01T00:00:00Z'), 'P365D').toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(addDuration(new Date('2026-03-01T00:00:00Z'), '-PT1S').toISOString()).toBe('2026-02-28T23:59:59.000Z');
  });
});

describe('contacts', () => {
  it('normalises emails case-insensitively and refuses malformed ones', () => {
    expect(normalizeEmail('  Anna.K@Example.COM ')).toBe('anna.k@example.com');
    for (const bad of ['anna', 'anna@', '@example.com', 'a b@example.com', 'anna@example']) expect(normalizeEmail(bad)).toBeNull();
  });
  it('normalises phones to E.164', () => {
    expect(normalizePhone('+7 (912) 345-67-89')).toBe('+79123456789');
    expect(normalizePhone('0049 151 12345678')).toBe('+4915112345678');
    expect(normalizePhone('79123456789')).toBe('+79123456789');
    expect(normalizePhone('12')).toBeNull();
    expect(normalizePhone('call me')).toBeNull();
  });
  it('reads a profile reference by exactly one key', () => {
    expect(parseProfileRef({ email: 'A@B.co' })).toEqual({ kind: 'email', value: 'a@b.co' });
    expect(typeof parseProfileRef({ email: 'a@b.co', phone: '+79123456789' })).toBe('string');
    expect(typeof parseProfileRef({})).toBe('string');
    expect(typeof parseProfileRef({ id: "1' OR 1=1" })).toBe('string');
  });
});

describe('profile fields', () => {
  it('merges shallowly and removes keys set to null', () => {
    expect(mergeFields({ a: 1, b: { c: 1 } }, { b: { d: 2 }, a: null, e: 'x' })).toEqual({ b: { d: 2 }, e: 'x' });
  });
});

describe('upsert matching', () => {
  const ident = fc.option(fc.constantFrom('1', '2', '3'), { nil: undefined });
  const candidate = fc.record({ id: fc.uuid(), external_id: ident, email_norm: ident, phone: ident });
  it('picks external_id before email before phone, and never merges two profiles', () => {
    fc.assert(
      fc.property(fc.record({ external_id: ident, email_norm: ident, phone: ident }), fc.uniqueArray(candidate, { selector: (c) => c.id, maxLength: 4 }), (input, raw) => {
        // the database keeps each identifier unique: drop candidates that would break that
        const seen = { external_id: new Set(), email_norm: new Set(), phone: new Set() };
        const cands: Candidate[] = raw.filter((c) =>
          (['external_id', 'email_norm', 'phone'] as const).every((k) => c[k] === undefined || !seen[k].has(c[k]) ? (seen[k].add(c[k]), true) : false),
        );
        const d = decideMatch(input, cands);
        const holders = (['external_id', 'email_norm', 'phone'] as const)
          .map((k) => (input[k] ? cands.find((c) => c[k] === input[k]) : undefined))
          .filter((c): c is Candidate => !!c);
        if (!holders.length) expect(d).toEqual({ kind: 'create' });
        else if (new Set(holders.map((c) => c.id)).size > 1) expect(d.kind).toBe('conflict');
        else expect(d).toEqual({ kind: 'update', id: holders[0].id });
      }),
    );
  });
});

describe('migration splitting', () => {
  it('splits on semicolons outside quotes, comments and dollar-quoted bodies', () => {
    const text = `CREATE TABLE a (x text DEFAULT ';'); -- a comment; still comment
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
CREATE TABLE "b;c" (y int)`;
    expect(splitStatements(text)).toEqual([
      "CREATE TABLE a (x text DEFAULT ';')",
      '-- a comment; still comment\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
      'CREATE TABLE "b;c" (y int)',
    ]);
  });
});
