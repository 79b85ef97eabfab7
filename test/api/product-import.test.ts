import { expect, it } from 'vitest';
import { csvFeed, ymlFeed } from '../../src/imports/feed-generator.js';
import { describeEachDatabase } from '../helpers/harness.js';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const c of stream) s += c.toString();
  return s;
}

describeEachDatabase('product import', (h) => {
  it('imports a YML feed with categories and params; a bad offer is reported by line, the rest land', async () => {
    const feed = await text(ymlFeed(300, { bad: (i) => i === 42, categories: 10 }));
    const r = await h().request('POST', '/api/v1/market/products/import', { raw: feed, headers: { 'content-type': 'application/xml' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 299, updated: 0, failed: 1 });
    const lineOf42 = feed.split('\n').findIndex((l) => l.startsWith('<offer id="o42"')) + 1;
    expect(r.body.errors).toEqual([{ line: lineOf42, id: 'o42', message: expect.stringContaining('price') }]);
    const p = await h().get('/api/v1/market/products/o7');
    expect(p.body).toMatchObject({
      name: 'Product & thing 7',
      price: 7.99,
      old_price: 17,
      currency: 'RUB',
      categories: ['8'],
      available: false,
      vendor: 'Vendor 7',
      params: { Color: 'c7', Size: '2' },
      picture: 'https://shop.example/i/7.jpg',
    });
    // Category 3 has children 7 (parent (7%5)+1 = 3) — listing a parent includes its subcategories.
    const cat = await h().get('/api/v1/market/products?category=3&limit=1000');
    const cats = new Set(cat.body.items.map((x: { categories: string[] }) => x.categories[0]));
    expect(cats).toEqual(new Set(['3', '7']));

    const again = await h().request('POST', '/api/v1/market/products/import?mode=add', { raw: await text(ymlFeed(310, { categories: 10 })), headers: { 'content-type': 'application/xml' } });
    expect(again.body).toMatchObject({ created: 11, updated: 0, failed: 0, skipped: 299 });
    const upd = await h().request('POST', '/api/v1/market/products/import?mode=update', { raw: await text(ymlFeed(320, { categories: 10 })), headers: { 'content-type': 'application/xml' } });
    expect(upd.body).toMatchObject({ created: 0, updated: 310, failed: 0, skipped: 10 });
  });

  it('reports broken XML inside an offer and keeps the offers around it', async () => {
    const feed = `<?xml version="1.0"?>
<yml_catalog><shop><offers>
<offer id="a1"><name>One</name><price>1</price></offer>
<offer id="a2"><name>Two</name><price>2</price><vendor>x</vendr></offer>
<offer id="a3"><name>Three</name><price>3</price></offer>
</offers></shop></yml_catalog>`;
    const r = await h().request('POST', '/api/v1/market/products/import', { raw: feed, headers: { 'content-type': 'text/xml' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 2, failed: 1 });
    expect(r.body.errors[0]).toMatchObject({ line: 4, id: 'a2' });
    expect((await h().get('/api/v1/market/products/a1')).status).toBe(200);
    expect((await h().get('/api/v1/market/products/a3')).status).toBe(200);
  });

  it('imports CSV with per-row errors by line number, and runs as a job with ?async=true', async () => {
    const csv = await text(csvFeed(120, { bad: (i) => i === 5 || i === 99 }));
    const r = await h().request('POST', '/api/v1/market/products/import', { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 118, failed: 2 });
    expect(r.body.errors.map((e: { line: number }) => e.line)).toEqual([6, 100]);
    const p = await h().get('/api/v1/market/products/c10');
    expect(p.body).toMatchObject({ name: 'Item, no. 10', price: 10.5, categories: ['11', 'all'], currency: 'EUR', available: true, params: { color: 'c1' } });
    const job = await h().request('POST', '/api/v1/market/products/import?async=true&mode=update', { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(job.status).toBe(202);
    let j = await h().get(`/api/v1/jobs/${job.body.job_id}`);
    for (let i = 0; i < 100 && j.body.status === 'running'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      j = await h().get(`/api/v1/jobs/${job.body.job_id}`);
    }
    expect(j.body.status).toBe('done');
    expect(j.body.result).toMatchObject({ created: 0, updated: 118, failed: 2 });
  });
});
