import { calculate } from '../domain/checkout/calculate.js';
import { preorder, preorderInput } from '../engine/checkout.js';
import { carts, seedShop } from './checkout-data.js';
import { benchApp, BENCH_TOKEN, percentile, type Bench } from './harness.js';
import { load } from './load.js';

const LINES = 20;
const RUNS = 3000;

function figures(b: Parameters<Bench>[0], name: string, ms: number[]) {
  ms.sort((x, y) => x - y);
  b.report(`${name}_p50`, percentile(ms, 50), 'ms');
  b.report(`${name}_p95`, percentile(ms, 95), 'ms');
  b.report(`${name}_p99`, percentile(ms, 99), 'ms');
}

/**
 * Preorder of 20-line carts against 100 active promotions: in-process latency of the whole preorder (its one
 * facts statement and the calculation) and of the calculation alone; then requests per second over HTTP as
 * a share of the `http-noop` ceiling measured on the same server in the same run.
 */
export const preorderBench: Bench = async (b) => {
  const { app, url, close } = await benchApp(b.db);
  try {
    const ctx = app.ctx;
    const shop = await seedShop(app, { members: 1000, points: 5000 });
    const bodies = carts(shop, 500, LINES);
    for (const body of bodies.slice(0, 200)) await preorder(ctx, body); // warm-up: caches, JIT

    const whole: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await preorder(ctx, bodies[i % bodies.length]);
      whole.push(performance.now() - t0);
    }
    figures(b, 'in_process', whole);

    // The calculation alone, on the inputs the preorder would build (captured once per cart).
    const inputs = [];
    for (const body of bodies.slice(0, 100)) inputs.push(await preorderInput(ctx, body));
    const calc: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      calculate(inputs[i % inputs.length]);
      calc.push(performance.now() - t0);
    }
    figures(b, 'calculation', calc);

    const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
    const opts = { url: `${url}/api/v1/market/preorder`, method: 'POST', connections: 32, headers, bodies: bodies.map((x) => JSON.stringify(x)) };
    await load({ ...opts, seconds: 2 });
    const r = await load({ ...opts, seconds: 8 });
    if (r.non2xx || r.errors) throw new Error(`preorder: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    const noopOpts = { url: `${url}/api/v1/whoami`, method: 'GET', connections: 32, headers: { authorization: `Bearer ${BENCH_TOKEN}` } };
    await load({ ...noopOpts, seconds: 2 });
    const noop = await load({ ...noopOpts, seconds: 8 });
    b.report('http_requests_per_second', r.requests, 'req/s');
    b.report('http_latency_p99', r.latencyP99, 'ms');
    b.report('http_noop_requests_per_second', noop.requests, 'req/s');
    b.report('http_share_of_noop', (100 * r.requests) / noop.requests, '%');
  } finally {
    await close();
  }
};
