import { Readable } from 'node:stream';
import { request } from 'node:http';
import { benchApp, BENCH_TOKEN, type Bench } from './harness.js';

/** Profiles imported per second from a streamed CSV, and the peak memory of the process while it runs. */
export const profileImportBench: Bench = async (b) => {
  const rows = Number(process.env.ROWS ?? 1_000_000);
  const { url, close } = await benchApp(b.db);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  try {
    let i = 0;
    const csv = new Readable({
      read() {
        if (i === 0) this.push('email,phone,first_name,city,subscriptions.email\n');
        const chunk: string[] = [];
        for (let n = 0; n < 1000 && i < rows; n++, i++)
          chunk.push(`user${i}@example.com,+4915${String(10_000_000 + i).padStart(9, '0')},Name${i},City${i % 100},subscribed`);
        if (chunk.length) this.push(`${chunk.join('\n')}\n`);
        if (i >= rows) this.push(null);
      },
    });
    const t0 = performance.now();
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${url}/api/v1/profiles/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'text/csv' },
      }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      csv.pipe(req);
    });
    const seconds = (performance.now() - t0) / 1000;
    const result = JSON.parse(body) as { created: number; failed: number };
    if (result.created !== rows) throw new Error(`expected ${rows} created, got ${body.slice(0, 300)}`);
    b.report('rows', rows, 'rows');
    b.report('rows_per_second', rows / seconds, 'rows/s');
    b.report('peak_rss', peak / 1024 / 1024, 'MiB');
  } finally {
    clearInterval(sampler);
    await close();
  }
};
