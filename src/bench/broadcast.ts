import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { benchApp, BENCH_TOKEN, type Bench } from './harness.js';

const PROFILES = 1_000_000;
/** Profiles outside the segment, so that the snapshot has to pick. */
const OTHERS = 100_000;

/** A newsletter of ordinary size: personal greeting, a product grid from the campaign data, a footer with the unsubscribe link. */
const NEWSLETTER = `<!doctype html><html><head><meta charset="utf-8"><title>{{ data.title }}</title></head>
<body style="font-family:Arial,sans-serif;color:#333">
<table role="presentation" width="100%"><tr><td>
<h1>{% if profile.fields.first_name %}Hi {{ profile.fields.first_name | capitalize }},{% else %}Hello,{% endif %}</h1>
<p>{{ data.title }} has started{% if profile.fields.city %} in {{ profile.fields.city }}{% endif %}: up to {{ data.discount }}% off.</p>
<table>{% for p in data.products %}<tr>
  <td><img src="{{ p.image }}" width="96" alt="{{ p.name | escape }}"></td>
  <td><a href="https://shop.example.com/p/{{ p.sku }}?utm_campaign=spring">{{ p.name | escape }}</a><br>{{ p.price | times: 0.8 | round: 2 }} EUR</td>
</tr>{% endfor %}</table>
<p><a href="https://shop.example.com/sale" style="background:#e63;color:#fff;padding:12px 20px">Shop the sale</a></p>
<hr><p style="font-size:11px;color:#999">Example Shop GmbH, Main street 1, Berlin · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</td></tr></table></body></html>`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) these processes have used, from /proc (Linux; 0 elsewhere). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process is gone or this is not Linux
    }
  }
  return ticks / 100;
}

/** `retenta worker` processes on the bench database; resolves once each says it is running. */
async function startWorkers(n: number, databaseUrl: string): Promise<ChildProcess[]> {
  const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  return Promise.all(
    Array.from({ length: n }, () => {
      const child = spawn(process.execPath, [main, 'worker'], {
        env: { ...process.env, DATABASE_URL: databaseUrl, RETENTA_ROLE: 'worker', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '8' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('running') && resolve(child));
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
    }),
  );
}

/**
 * A broadcast to a 1,000,000-profile segment (× `--scale`) on an API process and `BENCH_WORKERS` (default 2)
 * worker processes: the snapshot (one INSERT … SELECT, with groups and variants decided in SQL), then
 * delivery to the outbox — recipients handed to the messaging pipeline in batches, rendered, written and
 * delivered — until every message is sent.
 */
export const broadcastBench: Bench = async (b) => {
  const scale = b.scale ?? 1;
  const profiles = Math.max(1000, Math.round(PROFILES * scale));
  const others = Math.round(OTHERS * scale);
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const log = (msg: string) => process.stderr.write(`[broadcast] ${msg}\n`);
  if (b.db !== 'postgres') throw new Error('the broadcast bench needs --db postgres: its worker processes share one database');
  const { app, url, databaseUrl, close } = await benchApp(b.db, { role: 'api' });
  const children: ChildProcess[] = [];
  const interrupted = () => {
    for (const c of children) c.kill('SIGKILL');
    void close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const db = app.ctx.db;
    const now = app.ctx.clock.now();
    const t = performance.now();
    await sql`
      INSERT INTO profiles (id, email, email_norm, fields, subscriptions, created_at, updated_at)
      SELECT md5('p' || i)::uuid, 'user' || i || '@example.com', 'user' || i || '@example.com',
        jsonb_build_object('city', CASE WHEN i <= ${profiles} THEN 'Berlin' ELSE 'Paris' END, 'first_name', CASE WHEN i % 4 = 0 THEN NULL ELSE 'name' || i END),
        '{"email": "subscribed"}'::jsonb, ${now}, ${now}
      FROM generate_series(1, ${profiles + others}) AS i`.execute(db);
    await sql`VACUUM ANALYZE profiles`.execute(db);
    b.report('generate_profiles', (performance.now() - t) / 1000, 's');
    log(`${profiles + others} profiles, ${profiles} in the segment`);

    const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
    const post = async (path: string, body?: unknown) => {
      const r = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
      const json = (await r.json()) as { id: string };
      if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    const segment = await post('/segments', { name: 'Berlin', type: 'dynamic', conditions: { field: 'fields.city', op: 'eq', value: 'Berlin' } });
    const template = await post('/templates', { name: 'spring-newsletter', channel: 'email', subject: '{{ profile.fields.first_name | default: "Hello" }}, the spring sale is on', body: NEWSLETTER });
    const products = Array.from({ length: 4 }, (_, k) => ({ sku: `SKU-${k}`, name: `Product ${k} of the season`, price: 19.99 + k * 10, image: `https://cdn.example.com/${k}.jpg` }));
    const campaign = await post('/campaigns', {
      name: 'Spring sale',
      kind: 'broadcast',
      channel: 'email',
      template_id: template.id,
      audience: { segment_ids: [segment.id] },
      data: { title: 'The spring sale', discount: 20, products },
    });

    children.push(...(await startWorkers(workers, databaseUrl!)));
    log(`${workers} workers running; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    b.report('load_average_before', loadavg()[0], '');

    // the CPU the workers and their database backends spend, whatever else runs on the machine
    const backends = async () =>
      (await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db)).rows.map((r) => r.pid);
    const used = async () => cpuSeconds([...children.map((c) => c.pid!), ...(await backends())]);
    const cpu0 = await used();
    const t0 = performance.now();
    await post(`/campaigns/${campaign.id}/start`);
    let run: { id: string; snapshot_ms: number | null; audience: number } | undefined;
    while (!run?.snapshot_ms) {
      await sleep(50);
      run = await db.selectFrom('campaign_runs').select(['id', 'snapshot_ms', 'audience']).where('campaign_id', '=', campaign.id).executeTakeFirst();
    }
    const t1 = performance.now();
    if (run.audience !== profiles) throw new Error(`snapshot took ${run.audience} profiles, expected ${profiles}`);
    const cpu1 = await used();
    b.report('snapshot_seconds', run.snapshot_ms / 1000, 's');
    if (cpu1 > 0) b.report('snapshot_cpu_seconds', cpu1 - cpu0, 's');
    b.report('start_to_snapshot_committed', (t1 - t0) / 1000, 's');
    log(`snapshot of ${run.audience} in ${run.snapshot_ms} ms`);

    // cheap probes only: the run's count of what is left, and whether any message still waits
    let handedOver: number | null = null;
    for (;;) {
      await sleep(2000);
      const left = (await db.selectFrom('campaign_runs').select('remaining').where('id', '=', run.id).executeTakeFirstOrThrow()).remaining;
      const queued = (await sql<{ q: boolean }>`SELECT EXISTS (SELECT 1 FROM messages WHERE status = 'queued') AS q`.execute(db)).rows[0].q;
      if (left === 0 && handedOver === null) handedOver = performance.now();
      log(`${profiles - left} handed over${left === 0 && queued ? ', delivering the rest' : ''}, ${((performance.now() - t1) / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(2)}`);
      if (left === 0 && !queued) break;
    }
    const t2 = performance.now();
    const cpu2 = await used();
    const sent = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE campaign_id = ${campaign.id} AND status = 'sent'`.execute(db);
    if (sent.rows[0].n !== profiles) throw new Error(`${sent.rows[0].n} of ${profiles} messages sent`);
    b.report('workers', workers, '');
    b.report('delivery_messages_per_second', (profiles * 1000) / (t2 - t1), 'msg/s');
    b.report('handover_messages_per_second', (profiles * 1000) / ((handedOver ?? t2) - t1), 'msg/s');
    if (cpu2 > 0) b.report('delivery_cpu_ms_per_message', ((cpu2 - cpu1) * 1000) / profiles, 'ms');
    b.report('load_average_after', loadavg()[0], '');
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await close();
  }
};
