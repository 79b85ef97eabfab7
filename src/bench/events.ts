import { benchApp, BENCH_TOKEN, type Bench } from './harness.js';
import { load } from './load.js';

const BATCH = 1000;
const PROFILES = 20_000;

/** Events per second through `POST /api/v1/events/batch`, 1000 events a request, over 20k profiles. */
export const eventsBench: Bench = async (b) => {
  const { url, close } = await benchApp(b.db);
  try {
    const bodies = Array.from({ length: 40 }, (_, n) =>
      JSON.stringify({
        events: Array.from({ length: BATCH }, (_, i) => ({
          profile: { external_id: `customer-${(n * BATCH + i * 7919) % PROFILES}` },
          name: i % 3 ? 'site_visit' : 'cart_updated',
          properties: { url: `/product/${i}`, cart_id: `c-${n}-${i}`, amount: (i * 37) % 10_000 },
        })),
      }),
    );
    const opts = {
      url: `${url}/api/v1/events/batch`,
      method: 'POST',
      connections: b.db === 'postgres' ? 8 : 2,
      headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
      bodies,
    };
    await load({ ...opts, seconds: 3 }); // warm-up: creates the profiles
    const r = await load({ ...opts, seconds: 10 });
    if (r.non2xx || r.errors) throw new Error(`events: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    b.report('events_per_second', r.requests * BATCH, 'events/s');
    b.report('batch_latency_p99', r.latencyP99, 'ms');
  } finally {
    await close();
  }
};
