import pino from 'pino';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { scenarioStepTask } from '../engine/scenarios/runtime.js';

/**
 * A worker process that says how much of the scenario work it did: the ordinary worker (every task of the
 * work loop, on `DATABASE_URL`) whose due-step task also counts the instance steps it claimed and committed.
 * It writes JSON lines on stdout: `{"ready":true,"pid":…}` once its loop runs, `{"stepped":n}` every
 * 100 ms while the count moves, and `{"stepped":n,"final":true}` after a SIGTERM drain. The scenario
 * benchmark and the multi-worker tests read them to see that every worker took a share.
 */
async function main() {
  // Built as role `api` so that createApp leaves the loop to us: the counting step task goes in first.
  // No server is started (listen is never called); the process is a worker.
  const config = loadConfig(process.env, { role: 'api', bootstrapToken: undefined });
  const log = pino({ level: config.logLevel });
  const app = await createApp({ config, log });
  const task = scenarioStepTask(app.ctx);
  let stepped = 0;
  app.ctx.work.add({
    ...task,
    run: async (limit, now) => {
      const n = await task.run(limit, now);
      stepped += n;
      return n;
    },
  });
  await app.ctx.work.start();
  const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
  say({ ready: true, pid: process.pid });
  let said = 0;
  const timer = setInterval(() => {
    if (stepped !== said) say({ stepped: (said = stepped) });
  }, 100);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    app.stop().then(
      () => {
        say({ stepped, final: true });
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
