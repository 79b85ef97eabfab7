import { createHmac } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { secretKey } from '../../channels/secrets.js';
import { durationMs, parseDuration } from '../../domain/duration.js';
import type { Answer, Request } from '../../domain/scenarios/model.js';
import { claimDueCalls, leaseCalls, lockInstance, retryCallLater, takeInstanceEvents } from '../../store/scenario-instances.js';
import type { InstanceRow } from '../../store/scenarios.js';
import type { WorkTask } from '../work-loop.js';
import { scenarioRegistry } from './registry.js';
import { afterCommit, SCENARIO_WEBHOOK_TASK, stepInstance, writeOutcomes, type BatchAfter } from './runtime.js';

export const WEBHOOK_MAX_ATTEMPTS = 5;
export const WEBHOOK_BASE_BACKOFF_MS = 1_000;
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long a claimed call is this worker's: past it (the worker died), another worker calls again. */
const LEASE_MS = 60_000;
const CONCURRENCY = 50;
const MAX_BODY = 1_000_000;

/** The key webhook requests are signed with: RETENTA_SCENARIO_WEBHOOK_SECRET, else one derived from the installation key. */
export async function webhookSecret(ctx: AppContext): Promise<string> {
  if (process.env.RETENTA_SCENARIO_WEBHOOK_SECRET) return process.env.RETENTA_SCENARIO_WEBHOOK_SECRET;
  const key = await secretKey(ctx.db, ctx.clock.now());
  return createHmac('sha256', key).update('scenario-webhooks').digest('hex');
}

/** `X-Retenta-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

type CallResult = { ok: true; status: number; body: unknown } | { ok: false; retry: boolean; reason: string };

async function call(secret: string, row: InstanceRow, req: Extract<Request, { type: 'webhook' }>, timeoutMs: number, nowMs: number): Promise<CallResult> {
  const method = (req.method || 'POST').toUpperCase();
  const payload = JSON.stringify({ instance_id: row.id, scenario_id: row.scenario_id, version: row.version, node_id: row.node_id, profile_id: row.profile_id, data: row.data, body: req.body ?? null });
  const ts = Math.floor(nowMs / 1000);
  const hasBody = method !== 'GET' && method !== 'HEAD';
  try {
    const res = await fetch(req.url, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-retenta-signature': signature(secret, ts, hasBody ? payload : ''),
        'x-retenta-instance': row.id,
        'idempotency-key': `${row.id}:${row.steps}`,
      },
      body: hasBody ? payload : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = (await res.text()).slice(0, MAX_BODY);
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: kept as text */
    }
    if (res.ok) return { ok: true, status: res.status, body };
    const retry = res.status >= 500 || res.status === 429 || res.status === 408;
    return { ok: false, retry, reason: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, retry: true, reason: (err as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err as Error).message };
  }
}

/**
 * Webhook nodes. The step that reaches one commits the instance as `calling` (due now); this task claims
 * such instances, leases them (so no row lock is held across HTTP), calls with a signed JSON body and a
 * timeout, and then advances each instance with the answer in its own transaction (the JSON answer lands in
 * `data.webhook`). A network error, timeout, 408, 429 or 5xx is retried with exponential back-off up to
 * WEBHOOK_MAX_ATTEMPTS; then, or on another 4xx, the node fails (or takes its `failed` branch).
 */
export async function runDueCalls(ctx: AppContext, limit: number, now: Date): Promise<number> {
  const active = await scenarioRegistry(ctx).activeIds();
  if (!active.length) return 0;
  const rows = await ctx.db.transaction().execute(async (tx) => {
    const r = await claimDueCalls(tx, active, now, limit);
    await leaseCalls(tx, r.map((x) => x.id), new Date(now.getTime() + LEASE_MS));
    return r;
  });
  if (!rows.length) return 0;
  const secret = await webhookSecret(ctx);
  const queue = [...rows];
  const workers = Array.from({ length: Math.min(CONCURRENCY, rows.length) }, async () => {
    for (let row = queue.shift(); row; row = queue.shift()) await callAndAdvance(ctx, secret, row);
  });
  await Promise.all(workers);
  return rows.length;
}

async function callAndAdvance(ctx: AppContext, secret: string, row: InstanceRow): Promise<void> {
  const pending = (row.state as { pending?: Request | null })?.pending;
  const def = await scenarioRegistry(ctx).definition(row.scenario_id, row.version);
  const node = def?.nodes.find((n) => n.id === row.node_id);
  if (!pending || pending.type !== 'webhook' || !def) return;
  const t = typeof node?.config?.timeout === 'string' && parseDuration(node.config.timeout) ? durationMs(node.config.timeout) : WEBHOOK_TIMEOUT_MS;
  const result = await call(secret, row, pending, t, ctx.clock.now().getTime());
  const attempts = ((row.state as { attempts?: number })?.attempts ?? 0) + 1;
  const after: BatchAfter = { ledgerEvents: [], profiles: [], sent: false, calls: false };
  await ctx.db.transaction().execute(async (tx) => {
    const cur = await lockInstance(tx, row.id);
    // another worker took over (our lease ran out) or the scenario was stopped meanwhile
    if (!cur || cur.status !== 'calling' || cur.steps !== row.steps) return;
    const now = ctx.clock.now();
    if (!result.ok && result.retry && attempts < WEBHOOK_MAX_ATTEMPTS) {
      const wake = new Date(now.getTime() + WEBHOOK_BASE_BACKOFF_MS * 2 ** (attempts - 1));
      await retryCallLater(tx, cur, wake, { ...(cur.state as object), attempts, last_error: result.reason }, now);
      return;
    }
    const answer: Answer = result.ok ? { type: 'webhook', status: result.status, body: result.body } : { type: 'failed', reason: `webhook: ${result.reason}` };
    const events = await takeInstanceEvents(tx, [cur.id]);
    const o = await stepInstance(ctx, tx, def, cur, events.get(cur.id) ?? [], now, after.ledgerEvents, answer);
    if (o.profileChanged) after.profiles.push(cur.profile_id);
    after.sent = o.sends.length > 0;
    after.calls = o.calling;
    await writeOutcomes(ctx, tx, [o], now);
  });
  await afterCommit(ctx, after);
}

export function scenarioWebhookTask(ctx: AppContext): WorkTask {
  return { name: SCENARIO_WEBHOOK_TASK, batchSize: 200, idleMs: 500, run: (limit, now) => runDueCalls(ctx, limit, now) };
}
