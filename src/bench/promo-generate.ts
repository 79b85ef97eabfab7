import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { CodeDrawer } from '../domain/promo/draw.js';
import { parseTemplate } from '../domain/promo/template.js';
import { benchApp, BENCH_TOKEN, type Bench, type BenchContext } from './harness.js';

const COUNT = 1_000_000;
const TEMPLATE = '{symbol 10}';
const SYMBOLS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Unique codes per second in memory: ours (crypto, rejection sampling) against the voucher-code-generator package. */
function memoryRates(b: BenchContext) {
  const require = createRequire(import.meta.url);
  let voucher: { generate(o: { count: number; length: number; charset: string }): string[] };
  try {
    voucher = require('voucher-code-generator');
  } catch {
    process.stderr.write('voucher-code-generator is a dev dependency; install it to compare\n');
    return;
  }
  /** The best of three runs, each checked for uniqueness. */
  const rate = (run: () => string[]) => {
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const codes = run();
      const s = (performance.now() - t) / 1000;
      if (codes.length !== COUNT || new Set(codes).size !== COUNT) throw new Error('codes are not unique');
      best = Math.max(best, COUNT / s);
    }
    return best;
  };
  const drawer = new CodeDrawer(parseTemplate(TEMPLATE), randomFillSync);
  const ours = rate(() => drawer.drawDistinct(COUNT));
  const theirs = rate(() => voucher.generate({ count: COUNT, length: 10, charset: SYMBOLS }));
  b.report('memory_codes_per_second', ours, 'codes/s');
  b.report('voucher_code_generator_codes_per_second', theirs, 'codes/s');
  b.report('memory_speedup_vs_voucher_code_generator', ours / theirs, 'x');
}

/** Samples the process RSS while `work` runs; returns the peak in MB. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const result = await work();
    return { result, peakMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * `npm run bench -- promo-generate`: 1,000,000 `{symbol 10}` codes generated and persisted unique through
 * `POST /promo/pools/{id}/generate`; then the 1M codes exported as CSV and a 1M-row CSV imported, with the
 * process's peak RSS (server, embedded database and client are this one process); last, the in-memory rate
 * against voucher-code-generator.
 */
export const promoGenerateBench: Bench = async (b) => {
  const { app, url, close } = await benchApp(b.db);
  b.report('rss_after_start', process.memoryUsage().rss / 2 ** 20, 'MB');
  const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
  try {
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      const json = await r.json();
      if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
      return json as Record<string, unknown>;
    };
    const pool = await post('/promo/pools', { name: 'Bench', template_name: 'bench', generator: { template: TEMPLATE } });
    const t = performance.now();
    const { result, peakMb: generatePeak } = await peakRss(() => post(`/promo/pools/${pool.id}/generate`, { count: COUNT }));
    const seconds = (performance.now() - t) / 1000;
    const stored = await sql<{ n: number; d: number }>`SELECT count(*)::int AS n, count(DISTINCT code)::int AS d FROM promo_codes WHERE pool_id = ${pool.id as string}::uuid`.execute(app.ctx.db);
    if (result.generated !== COUNT || stored.rows[0].n !== COUNT || stored.rows[0].d !== COUNT)
      throw new Error(`expected ${COUNT} unique codes, got ${JSON.stringify(result)} / ${JSON.stringify(stored.rows[0])}`);
    b.report('persist_1m_codes_seconds', seconds, 's');
    b.report('persist_codes_per_second', COUNT / seconds, 'codes/s');
    b.report('generate_1m_codes_peak_rss', generatePeak, 'MB');

    const exported = await peakRss(async () => {
      const r = await fetch(`${url}/api/v1/promo/pools/${pool.id}/export?fields=email,fields.first_name`, { headers });
      let lines = 0;
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) for (const byte of chunk) if (byte === 10) lines++;
      return lines;
    });
    if (exported.result !== COUNT + 1) throw new Error(`export wrote ${exported.result} lines`);
    b.report('export_1m_codes_peak_rss', exported.peakMb, 'MB');

    const target = await post('/promo/pools', { name: 'Import', template_name: 'bench_import', generator: null });
    async function* csv() {
      yield 'code\n';
      for (let i = 0; i < COUNT; i += 10_000) {
        let chunk = '';
        for (let j = i; j < i + 10_000; j++) chunk += `IMPORT-${j}\n`;
        yield chunk;
      }
    }
    const ti = performance.now();
    const imported = await peakRss(async () => {
      const r = await fetch(`${url}/api/v1/promo/pools/${target.id}/import`, {
        method: 'POST',
        headers: { authorization: headers.authorization, 'content-type': 'text/csv' },
        body: Readable.toWeb(Readable.from(csv())) as never,
        duplex: 'half',
      } as RequestInit);
      return (await r.json()) as { added: number };
    });
    if (imported.result.added !== COUNT) throw new Error(`import added ${JSON.stringify(imported.result)}`);
    b.report('import_1m_rows_seconds', (performance.now() - ti) / 1000, 's');
    b.report('import_1m_rows_peak_rss', imported.peakMb, 'MB');
  } finally {
    await close();
  }
  // Last, so that its million-string heaps do not weigh on the memory figures above.
  memoryRates(b);
};
