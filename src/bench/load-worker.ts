import autocannon from 'autocannon';
import type { LoadOptions } from './load.js';

/**
 * Runs autocannon in its own process (it must be a main thread) so the load generator does not share
 * the server's event loop. Receives its options over IPC and answers with the figures.
 */
process.once('message', async (o: LoadOptions) => {
  let i = 0;
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.seconds,
    method: o.method as 'GET',
    headers: o.headers,
    ...(o.bodies
      ? {
          requests: [
            {
              method: o.method as 'POST',
              setupRequest: (req: autocannon.Request) => ({ ...req, body: o.bodies![i++ % o.bodies!.length] }),
            },
          ],
        }
      : {}),
  });
  process.send!(
    {
      requests: result.requests.average,
      total: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      latencyP50: result.latency.p50,
      latencyP99: result.latency.p99,
    },
    undefined,
    {},
    () => process.exit(0),
  );
});
