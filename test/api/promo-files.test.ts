import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';
import { expectProblem, makePool } from '../helpers/promo.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('codes');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describeEachDatabase('promo code files', (h) => {
  it('imports a CSV: added, duplicates (in the file and across pools), invalid rows by line, custom fields kept', async () => {
    const other = await makePool(h());
    const pool = await makePool(h(), { custom_fields: ['discount'] });
    const seed = await h().request('POST', `/api/v1/promo/pools/${other.id}/import`, { raw: 'code\nTAKEN-1\n', headers: { 'content-type': 'text/csv' } });
    expect(seed.body).toEqual({ added: 1, duplicates: 0, invalid: 0, errors: [] });
    const csv = ['sku,promo,discount', 'a,SPRING-1,10', 'b,SPRING-2,', 'c,,5', 'd,SPRING-1,10', 'e,TAKEN-1,1', 'f,has space,1', `g,${'X'.repeat(101)},1`, 'h,"SPRING-3",15'].join('\n');
    const r = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import?column=promo`, { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      added: 3,
      duplicates: 2,
      invalid: 3,
      errors: [
        { row: 4, message: 'the code is empty' },
        { row: 7, message: 'the code contains a space or a control character' },
        { row: 8, message: 'the code is longer than 100 characters' },
      ],
    });
    const codes = (await h().get(`/api/v1/promo/pools/${pool.id}/codes`)).body.items;
    expect(codes.map((c: { code: string }) => c.code).sort()).toEqual(['SPRING-1', 'SPRING-2', 'SPRING-3']);
    expect(codes.find((c: { code: string }) => c.code === 'SPRING-3').fields).toEqual({ discount: '15' });
    expect(codes.find((c: { code: string }) => c.code === 'SPRING-2').fields).toEqual({});

    const missing = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import?column=nope`, { raw: csv, headers: { 'content-type': 'text/csv' } });
    expectProblem(missing, 400);
    expect(missing.body.errors[0]).toMatchObject({ path: 'query.column', message: expect.stringContaining('"promo"') });
    expectProblem(await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: '', headers: { 'content-type': 'text/csv' } }), 400);
    expectProblem(await h().request('POST', '/api/v1/promo/pools/00000000-0000-0000-0000-000000000000/import', { raw: csv, headers: { 'content-type': 'text/csv' } }), 404);
    // without ?column the "code" column, else the first one, is read
    const plain = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: 'whatever\nFIRST-COL-1\n', headers: { 'content-type': 'text/csv' } });
    expect(plain.body.added).toBe(1);
  });

  it('imports an XLSX sheet by column, streamed, and in the background with ?async=true', async () => {
    const pool = await makePool(h());
    const file = await xlsx([['name', 'Code'], ['x', 'XL-1'], ['y', 'XL-2'], ['z', 12345], ['w', null], ['v', 'XL-1']]);
    const r = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import?column=code`, { raw: file, headers: { 'content-type': XLSX } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ added: 3, duplicates: 1, invalid: 1, errors: [{ row: 5, message: 'the code is empty' }] });
    expect((await h().get('/api/v1/promo/codes/12345')).body.pool_id).toBe(pool.id);
    // a multipart upload that does not name the type is recognised by its first bytes
    const boundary = 'xlsxboundary';
    const form = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="codes.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      await xlsx([['code'], ['FORM-1'], ['FORM-2']]),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const multipart = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: form, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(multipart.body).toEqual({ added: 2, duplicates: 0, invalid: 0, errors: [] });

    const big = ['code', ...Array.from({ length: 3000 }, (_, i) => `BULK-${i}`)].join('\n');
    const job = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import?async=true`, { raw: big, headers: { 'content-type': 'text/csv' } });
    expect(job.status).toBe(202);
    let j: any;
    for (let i = 0; i < 200; i++) {
      j = (await h().get(`/api/v1/jobs/${job.body.job_id}`)).body;
      if (j.status !== 'running') break;
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(j).toMatchObject({ status: 'done', done: 3000, result: { added: 3000, duplicates: 0, invalid: 0 } });
    const broken = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import?column=code`, { raw: Buffer.from('not a zip'), headers: { 'content-type': XLSX } });
    expectProblem(broken, 400);
    expect(broken.body.errors[0]).toMatchObject({ path: 'file', message: expect.stringContaining('XLSX') });
  });

  it('exports the codes as CSV with the chosen profile fields', async () => {
    const pool = await makePool(h(), { generator: { template: 'E{number 5}' } });
    await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 5 });
    const p = (await h().post('/api/v1/profiles', { email: 'ann@example.com', phone: '+14155550100', fields: { first_name: 'Ann, "the" buyer' } })).body;
    const issued = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })).body;
    const r = await h().get(`/api/v1/promo/pools/${pool.id}/export?fields=email,phone,fields.first_name,fields.missing`);
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toContain('text/csv');
    const rows = parse(r.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(5);
    expect(Object.keys(rows[0])).toEqual(['code', 'status', 'profile_id', 'issued_at', 'expires_at', 'redeemed_at', 'order_id', 'email', 'phone', 'fields.first_name', 'fields.missing']);
    const mine = rows.find((x) => x.code === issued.code)!;
    expect(mine).toMatchObject({ status: 'issued', profile_id: p.id, email: 'ann@example.com', phone: '+14155550100', 'fields.first_name': 'Ann, "the" buyer', 'fields.missing': '' });
    expect(rows.filter((x) => x.status === 'available')).toHaveLength(4);
    const bare = await h().get(`/api/v1/promo/pools/${pool.id}/export`);
    expect(bare.text.split('\n')[0]).toBe('code,status,profile_id,issued_at,expires_at,redeemed_at,order_id');
    const bad = await h().get(`/api/v1/promo/pools/${pool.id}/export?fields=email,password`);
    expectProblem(bad, 400);
    expect(bad.body.errors[0].message).toContain('"password"');
    expectProblem(await h().get('/api/v1/promo/pools/00000000-0000-0000-0000-000000000000/export'), 404);
  });
});
