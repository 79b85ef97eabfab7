import { fork } from 'node:child_process';
import { benchApp, BENCH_TOKEN, type Bench } from './harness.js';

const CLIENTS = 8;

function clients(job: object): Promise<{ pairs: number; failures: number; p50: number; p99: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./ledger-client.js', import.meta.url), { stdio: 'inherit' });
    child.once('message', (m) => resolve(m as never));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`ledger clients exited with ${code}`)));
    child.send(job);
  });
}

/**
 * Accrue + redeem pairs per second through the HTTP API, 8 concurrent clients (each on its own member,
 * so every pair takes the member row lock, burns nothing and consumes lots earliest-first).
 */
export const ledgerBench: Bench = async (b) => {
  const { url, close } = await benchApp(b.db);
  try {
    const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<{ id: string }>;
    };
    const program = await post('/loyalty/programs', { name: 'Bench', currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 1 });
    const members: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      await post('/profiles', { email: `bench${i}@example.com` });
      members.push((await post(`/loyalty/programs/${program.id}/members`, { profile: { email: `bench${i}@example.com` } })).id);
    }
    const job = { url, token: BENCH_TOKEN, pid: program.id, members };
    await clients({ ...job, seconds: 2 }); // warm-up
    const cpu0 = process.cpuUsage();
    const r = await clients({ ...job, seconds: 10 });
    const cpu = process.cpuUsage(cpu0);
    if (r.failures) throw new Error(`ledger: ${r.failures} failed pairs`);
    b.report('pairs_per_second', r.pairs / 10, 'pairs/s');
    // The server's own CPU per pair (the clients are another process): what a pair costs whatever the load.
    b.report('server_cpu_ms_per_pair', (cpu.user + cpu.system) / 1000 / r.pairs, 'ms');
    b.report('server_cpu_share', (cpu.user + cpu.system) / 1e6 / 10, 'cores');
    b.report('pair_latency_p50', r.p50, 'ms');
    b.report('pair_latency_p99', r.p99, 'ms');
  } finally {
    await close();
  }
};
