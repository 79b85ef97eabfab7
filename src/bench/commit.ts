import { fork } from 'node:child_process';
import { seedShop, type BenchShop } from './checkout-data.js';
import { benchApp, BENCH_TOKEN, type Bench } from './harness.js';

const CLIENTS = 16;
const MEMBERS = 2000;
const LINES = Number(process.env.LINES ?? 5);

type Figures = { done: number; failures: number; firstFailure: string; p50: number; p95: number; p99: number; cpuMs: number };

function clients(job: { url: string; token: string; shop: BenchShop; lines: number; clients: number; seconds: number; run: string }): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./commit-client.js', import.meta.url), { stdio: 'inherit' });
    child.once('message', (m) => resolve(m as Figures));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`commit clients exited with ${code}`)));
    child.send(job);
  });
}

/**
 * `preorder_commit` per second over HTTP, 16 concurrent clients, carts of 5 lines (LINES=…) against the
 * same 100 promotions as the preorder bench, 2000 members (a third of the carts pay with points; every
 * commit accrues). Each commit: the member lock, the facts, the ledger's redemption and accrual, one
 * statement for the order, its lines, the record and the counters, one for the events.
 */
export const commitBench: Bench = async (b) => {
  const { app, url, close } = await benchApp(b.db);
  try {
    const shop = await seedShop(app, { members: MEMBERS, points: 1_000_000 });
    const job = { url, token: BENCH_TOKEN, shop, lines: LINES, clients: CLIENTS };
    await clients({ ...job, seconds: 3, run: 'warm' });
    const seconds = 10;
    const c0 = process.cpuUsage();
    const r = await clients({ ...job, seconds, run: 'bench' });
    const c1 = process.cpuUsage(c0);
    if (r.failures) throw new Error(`commit: ${r.failures} failed commits, first: ${r.firstFailure}`);
    b.report(`commits_per_second_${LINES}_lines`, r.done / seconds, 'commits/s');
    b.report('commit_latency_p50', r.p50, 'ms');
    b.report('commit_latency_p95', r.p95, 'ms');
    b.report('commit_latency_p99', r.p99, 'ms');
    // CPU time per commit of the server process and of the process driving the clients (both on this machine).
    b.report('server_cpu_per_commit', (c1.user + c1.system) / 1000 / r.done, 'ms');
    b.report('client_cpu_per_commit', r.cpuMs / r.done, 'ms');
  } finally {
    await close();
  }
};
