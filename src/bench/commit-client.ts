/** Child process of the commit bench: N clients, each posting commits with fresh order ids. */
import { carts, type BenchShop } from './checkout-data.js';
import { percentile } from './harness.js';
import { httpClient } from './http-client.js';

interface Job {
  url: string;
  token: string;
  shop: BenchShop;
  lines: number;
  clients: number;
  seconds: number;
  run: string;
}

async function run(job: Job) {
  const headers = { authorization: `Bearer ${job.token}`, 'content-type': 'application/json' };
  const bodies = carts(job.shop, 2000, job.lines, 11);
  const end = Date.now() + job.seconds * 1000;
  const http = httpClient(job.clients);
  const c0 = process.cpuUsage();
  const latencies: number[] = [];
  let done = 0;
  let failures = 0;
  let firstFailure = '';
  await Promise.all(
    Array.from({ length: job.clients }, async (_, c) => {
      for (let i = 0; Date.now() < end; i++) {
        const body = { ...bodies[(c * 7919 + i) % bodies.length], order_id: `${job.run}-${c}-${i}` };
        const t0 = performance.now();
        const r = await http.send('POST', `${job.url}/api/v1/market/preorder_commit`, headers, JSON.stringify(body));
        const text = r.text;
        latencies.push(performance.now() - t0);
        if (r.status === 201) done++;
        else {
          failures++;
          firstFailure ||= `${r.status} ${text.slice(0, 300)}`;
        }
      }
    }),
  );
  const cpu = process.cpuUsage(c0);
  http.close();
  latencies.sort((x, y) => x - y);
  return { cpuMs: (cpu.user + cpu.system) / 1000, done, failures, firstFailure, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
}

process.once('message', (job: Job) => {
  run(job).then(
    (r) => process.send!(r, undefined, undefined, () => process.exit(0)),
    (e) => {
      process.stderr.write(String(e));
      process.exit(1);
    },
  );
});
