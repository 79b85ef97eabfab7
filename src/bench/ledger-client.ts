/** Child process of the ledger bench: N clients, each looping accrue + redeem on its own member. */
import { percentile } from './harness.js';

interface Job {
  url: string;
  token: string;
  pid: string;
  members: string[];
  seconds: number;
}

async function run(job: Job) {
  const headers = { authorization: `Bearer ${job.token}`, 'content-type': 'application/json' };
  const end = Date.now() + job.seconds * 1000;
  const latencies: number[] = [];
  let pairs = 0;
  let failures = 0;
  await Promise.all(
    job.members.map(async (member) => {
      while (Date.now() < end) {
        const t0 = performance.now();
        const a = await fetch(`${job.url}/api/v1/loyalty/programs/${job.pid}/accrue`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ member_id: member, points: 10, reason: 'bench' }),
        });
        await a.arrayBuffer();
        const r = await fetch(`${job.url}/api/v1/loyalty/programs/${job.pid}/redeem`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ member_id: member, points: 7, reason: 'bench' }),
        });
        await r.arrayBuffer();
        if (a.status !== 201 || r.status !== 201) failures++;
        else pairs++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((x, y) => x - y);
  return { pairs, failures, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
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
