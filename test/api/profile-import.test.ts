import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';

const CSV = [
  'E-mail,Phone,Name,City,email_status',
  'olga@example.com,+7 912 000-00-01,Olga,Perm,subscribed',
  'not-an-email,,Bad,Nowhere,',
  'IVAN@example.com,,Ivan,Omsk,unsubscribed',
  ',,,,',
  'petr@example.com,12,Petr,Tver,',
  'anna@example.com,,Anna,"Nizhny Novgorod, Russia",maybe',
  'olga@example.com,,Olga K.,Perm,',
].join('\n');

const mapping = encodeURIComponent(JSON.stringify({ 'E-mail': 'email', Phone: 'phone', Name: 'fields.first_name', City: 'fields.city', email_status: 'subscriptions.email' }));

describeEachDatabase('profile import', (h) => {
  it('imports good rows and reports every bad row by its line', async () => {
    const r = await h().request('POST', `/api/v1/profiles/import?match=email&mapping=${mapping}`, { raw: CSV, headers: { 'content-type': 'text/csv' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 2, updated: 1, failed: 3 });
    expect(r.body.errors).toEqual([
      { row: 3, message: expect.stringContaining('email') },
      { row: 6, message: expect.stringContaining('phone') },
      { row: 7, message: expect.stringContaining('subscriptions.email') },
    ]);
    const olga = (await h().get('/api/v1/profiles?email=olga@example.com')).body;
    expect(olga).toMatchObject({ phone: '+79120000001', fields: { first_name: 'Olga K.', city: 'Perm' }, subscriptions: { email: 'subscribed' } });
    const ivan = (await h().get('/api/v1/profiles?email=ivan@example.com')).body;
    expect(ivan.subscriptions).toEqual({ email: 'unsubscribed' });
    expect((await h().get('/api/v1/profiles?email=anna@example.com')).status).toBe(404);
  });

  it('takes a multipart file, maps unknown columns to fields, and runs as a job on request', async () => {
    const boundary = '----retenta';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="people.csv"',
      'Content-Type: text/csv',
      '',
      'external_id;email;loyalty_card',
      'ext-1;ext1@example.com;A-1',
      'ext-2;;A-2',
      ';bad-email;',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    const r = await h().request('POST', '/api/v1/profiles/import?delimiter=%3B', { raw: body, headers });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 2, updated: 0, failed: 1, errors: [{ row: 4, message: expect.any(String) }] });
    expect((await h().get('/api/v1/profiles?external_id=ext-2')).body.fields).toEqual({ loyalty_card: 'A-2' });

    const job = await h().request('POST', '/api/v1/profiles/import?async=true', { raw: 'external_id,plan\next-3,pro\next-1,basic\n', headers: { 'content-type': 'text/csv' } });
    expect(job.status).toBe(202);
    let status: any;
    for (let i = 0; i < 100; i++) {
      status = (await h().get(`/api/v1/jobs/${job.body.job_id}`)).body;
      if (status.status !== 'running') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(status).toMatchObject({ kind: 'profiles.import', status: 'done', done: 2, result: { created: 1, updated: 1, failed: 0 } });
  });

  it('refuses a bad mapping before reading rows, and a request without a file', async () => {
    const bad = encodeURIComponent(JSON.stringify({ a: 'password', b: 'fields.ok' }));
    const r = await h().request('POST', `/api/v1/profiles/import?mapping=${bad}`, { raw: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'query.mapping', message: expect.stringContaining('"a"') }]);
    expect((await h().request('POST', '/api/v1/profiles/import?mapping=%7Bx', { raw: 'a\n1\n', headers: { 'content-type': 'text/csv' } })).status).toBe(400);
    expect((await h().post('/api/v1/profiles/import', { rows: [] })).status).toBe(400);
    expect((await h().request('POST', '/api/v1/profiles/import?match=name', { raw: 'a\n', headers: { 'content-type': 'text/csv' } })).status).toBe(400);
  });
});
