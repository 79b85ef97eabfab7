import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRenderTask, type RenderTask } from '../../src/domain/messaging/render-task.js';
import { signOpenToken } from '../../src/domain/messaging/tracking.js';
import { signUnsubscribeToken } from '../../src/domain/messaging/unsubscribe.js';
import { messaging, sendBatch } from '../../src/engine/messaging.js';
import { POOL_CHUNK, POOL_FIRST_CHUNK, RenderPool } from '../../src/engine/render-pool.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { makeProfile, makeTemplate, message } from './helpers.js';

const worker = fileURLToPath(new URL('../../src/engine/render-worker.ts', import.meta.url));
const loader = new URL('../helpers/ts-loader.mjs', import.meta.url).href;

describe('render threads', () => {
  const pool = new RenderPool({ threads: 2, filename: worker, execArgv: ['--import', loader] });
  afterAll(() => pool.close());

  it('render exactly what the calling thread renders, tracking included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ name: fc.string(), n: fc.integer({ min: -5, max: 5 }), url: fc.webUrl() }), { minLength: 1, maxLength: 20 }), async (people) => {
        const task: RenderTask = {
          key: Buffer.from('0123456789abcdef0123456789abcdef'),
          templates: {
            't:1': {
              channel: 'email',
              format: 'html',
              subject: 'Hi {{ data.name | upcase }}',
              body: '<html><body><p>{% if data.n > 0 %}{{ data.n | times: 2 }}{% else %}none{% endif %}</p><a href="{{ data.url }}">go</a><a href="{{ unsubscribe_url }}">stop</a></body></html>',
              compiled_body: '<html><body><p>{% if data.n > 0 %}{{ data.n | times: 2 }}{% else %}none{% endif %}</p><a href="{{ data.url }}">go</a><a href="{{ unsubscribe_url }}">stop</a></body></html>',
            },
          },
          jobs: people.map((data, i) => {
            const messageId = `0193a1b2-c3d4-7e5f-8a9b-${String(i).padStart(12, '0')}`;
            return {
              template: 't:1',
              scope: { data, unsubscribe_url: 'https://mail.example.com/u/x', message: { id: messageId } },
              track: { base: 'https://mail.example.com', messageId, opens: true, clicks: true, untracked: ['https://mail.example.com/u/'] },
            };
          }),
        };
        const [threaded, here] = await Promise.all([pool.run(task), runRenderTask(task, new Map())]);
        expect(threaded).toEqual(here);
        expect(here.every((o) => o.ok && o.rendered.body.includes('/t/o/'))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});

describe('render threads that cannot start', () => {
  it('are reported unusable, so sends render on the calling thread', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'retenta-worker-'));
    const broken = join(dir, 'broken.mjs');
    await writeFile(broken, 'throw new Error("cannot load");\n');
    const pool = new RenderPool({ threads: 1, filename: broken });
    try {
      expect(await pool.usable(5_000)).toBe(false);
    } finally {
      await pool.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeEachDatabase('sendBatch on render threads', (h) => {
  let pool: RenderPool;
  beforeAll(async () => {
    pool = new RenderPool({ threads: 2, filename: worker, execArgv: ['--import', loader] });
    // threads that load the TypeScript sources start slowly on a busy machine: wait for them here
    expect(await pool.usable(120_000)).toBe(true);
    messaging(h().ctx).useRenderPool(pool);
  });
  afterAll(() => messaging(h().ctx).useRenderPool(null));

  it('writes the same messages as rendering here, a chunk at a time, in request order', async () => {
    const t = await makeTemplate(h(), {
      name: 'threads',
      channel: 'email',
      subject: 'Hi {{ profile.fields.first_name | default: "there" }}',
      body: '<html><body><p>{{ data.n }} · {{ loyalty.balance | default: 0 }}</p><a href="https://shop.example.com/p/{{ data.n }}?a=1&amp;b=2">item</a><a href="{{ unsubscribe_url }}">unsubscribe</a></body></html>',
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await makeProfile(h(), { email: `thread-${i}@example.com`, fields: { first_name: `P${i}` }, subscriptions: { email: 'subscribed' } }));
    const ctx = h().ctx;
    const reqs = Array.from({ length: 120 }, (_, n) => ({ profile: ids[n % 3], template: t, data: { n }, origin: { campaign_id: 'threads' } }));
    const before = pool.completed;
    const results = await ctx.db.transaction().execute((tx) => sendBatch(ctx, tx, reqs));
    expect(pool.completed - before).toBeGreaterThanOrEqual(Math.ceil((120 - POOL_FIRST_CHUNK) / POOL_CHUNK) + 1);
    expect(results.map((r) => r.status)).toEqual(reqs.map(() => 'queued'));
    messaging(ctx).useRenderPool(null);
    const here = await ctx.db.transaction().execute((tx) => sendBatch(ctx, tx, reqs.slice(0, 3)));
    messaging(ctx).useRenderPool(pool);
    const key = await messaging(ctx).key();
    // the same but for the message's own id in its links
    const strip = (m: { id: string; body: string }) =>
      m.body
        .replaceAll(signOpenToken(key, m.id), 'OPEN')
        .replaceAll(signUnsubscribeToken(key, m.id), 'UNSUBSCRIBE')
        .replace(/\/t\/c\/[0-9a-f]{32}\.([\w-]+)\.[\w-]{22}/g, '/t/c/$1');
    for (let n = 0; n < 120; n++) {
      const m = await message(h(), results[n].message_id);
      expect(m.subject).toBe(`Hi P${n % 3}`);
      expect(m.body).toContain(`<p>${n} · 0</p>`);
      if (n < 3) expect(strip(m)).toBe(strip(await message(h(), here[n].message_id)));
    }
  });
});
