import { benchApp, BENCH_TOKEN, type Bench } from './harness.js';
import { load } from './load.js';

/** The ceiling: requests per second of a trivial authenticated route (`GET /api/v1/whoami`). */
export const httpNoopBench: Bench = async (b) => {
  const { url, close } = await benchApp(b.db);
  try {
    const opts = { url: `${url}/api/v1/whoami`, method: 'GET', connections: 32, headers: { authorization: `Bearer ${BENCH_TOKEN}` } };
    await load({ ...opts, seconds: 2 }); // warm-up
    const r = await load({ ...opts, seconds: 8 });
    if (r.non2xx || r.errors) throw new Error(`http-noop: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    b.report('requests_per_second', r.requests, 'req/s');
    b.report('latency_p99', r.latencyP99, 'ms');
  } finally {
    await close();
  }
};
