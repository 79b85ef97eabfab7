import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { LoadOptions } from './load.js';

/** Runs autocannon on its own thread so the load generator does not share the server's event loop. */
const o = workerData as LoadOptions;
let i = 0;
const result = await autocannon({
  url: o.url,
  connections: o.connections,
  duration: o.seconds,
  method: o.method as 'GET',
  headers: o.headers,
  requests: o.bodies
    ? [
        {
          method: o.method as 'POST',
          setupRequest: (req: autocannon.Request) => ({ ...req, body: o.bodies![i++ % o.bodies!.length] }),
        },
      ]
    : undefined,
});
parentPort!.postMessage({
  requests: result.requests.average,
  total: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  latencyP50: result.latency.p50,
  latencyP99: result.latency.p99,
});
