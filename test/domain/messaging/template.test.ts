import { describe, expect, it } from 'vitest';
import { smsInfo } from '../../../src/domain/messaging/sms.js';
import { checkLiquid, compileTemplate, LazyDrop, renderTemplate, type CatalogueReader, type TemplateSource } from '../../../src/domain/messaging/template.js';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../../src/domain/messaging/unsubscribe.js';

const src = (over: Partial<TemplateSource>): TemplateSource => ({ channel: 'email', format: 'html', body: '', compiled_body: over.body ?? '', ...over });

describe('templates', () => {
  it('reports Liquid syntax errors with field, line and column', () => {
    const errors = checkLiquid({ subject: 'Hi {{ profile.fields.name', body: 'line one\n{% if x %}never closed' });
    expect(errors.map((e) => e.field)).toEqual(['subject', 'body']);
    expect(errors[1].message).toMatch(/line:2, col:1/);
    expect(checkLiquid({ body: '{{ x | no_such_filter }}' })[0].message).toMatch(/undefined filter: no_such_filter/);
  });

  it('renders missing variables empty unless default gives a value, and derives the text part', async () => {
    const t = compileTemplate(
      src({
        subject: 'Hello {{ profile.fields.first_name | default: "friend" }}',
        preheader: 'Only today',
        body: '<html><body><h1>Hi {{ profile.fields.first_name }}{{ nothing.here }}</h1><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>',
      }),
    );
    if (Array.isArray(t)) throw new Error('does not compile');
    const r = await renderTemplate(t, { profile: { fields: {} }, unsubscribe_url: 'https://x.test/u/abc' });
    expect(r.subject).toBe('Hello friend');
    expect(r.body).toContain('<h1>Hi </h1>');
    expect(r.body).toContain('class="preheader"');
    expect(r.text).toContain('HI');
    expect(r.text).toContain('Unsubscribe [https://x.test/u/abc]');
    expect(r.text).not.toContain('Only today');
  });

  it('resolves lazy providers only when read, and lists catalogue products', async () => {
    const issued: string[] = [];
    const catalogue: CatalogueReader = {
      productsByIds: async (ids, limit) => ids.slice(0, limit).map((id) => ({ id, name: `P${id}` })),
      productsInCategory: async (cat, limit) => Array.from({ length: limit }, (_, i) => ({ id: `${cat}${i}`, name: `${cat} ${i}` })),
    };
    const t = compileTemplate(
      src({
        channel: 'sms',
        format: 'text',
        body: 'Code {{ promo.welcome }}.{% assign ps = data.ids | products_by_ids %}{% for p in ps %} {{ p.name }}{% endfor %}{% assign r = "shoe" | products_in_category: 99 %} {{ r | size }}',
      }),
    );
    if (Array.isArray(t)) throw new Error('does not compile');
    const promo = new LazyDrop((name) => {
      issued.push(name);
      return Promise.resolve(`CODE-${name}`);
    });
    const r = await renderTemplate(t, { promo, data: { ids: ['1', '2'] } }, catalogue);
    expect(r.body).toBe('Code CODE-welcome. P1 P2 30');
    expect(issued).toEqual(['welcome']);
    expect(r.sms).toEqual({ encoding: 'gsm7', length: r.body.length, segments: 1 });
  });

  it('counts SMS segments for GSM-7 and UCS-2', () => {
    expect(smsInfo('a'.repeat(160))).toEqual({ encoding: 'gsm7', length: 160, segments: 1 });
    expect(smsInfo('a'.repeat(161)).segments).toBe(2);
    expect(smsInfo('€'.repeat(80))).toEqual({ encoding: 'gsm7', length: 160, segments: 1 });
    expect(smsInfo('Привет'.repeat(12))).toEqual({ encoding: 'ucs2', length: 72, segments: 2 });
  });

  it('signs unsubscribe tokens that cannot be forged or moved to another message', () => {
    const key = Buffer.alloc(32, 7);
    const id = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    const token = signUnsubscribeToken(key, id);
    expect(verifyUnsubscribeToken(key, token)).toBe(id);
    expect(verifyUnsubscribeToken(Buffer.alloc(32, 8), token)).toBeNull();
    const other = signUnsubscribeToken(key, '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c');
    expect(verifyUnsubscribeToken(key, `${token.split('.')[0]}.${other.split('.')[1]}`)).toBeNull();
    expect(verifyUnsubscribeToken(key, 'garbage')).toBeNull();
  });
});
