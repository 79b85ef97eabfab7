import type { AppContext } from '../context.js';
import { httpHookTarget, rabbitHookTarget, type HookMessage, type HookTarget, type HttpHookConfig, type RabbitHookConfig } from '../channels/hook-targets.js';
import { decryptSecret, secretKey } from '../channels/secrets.js';
import { durationMs, parseDuration } from '../domain/duration.js';
import {
  claimDueDeliveries,
  flushHookIfFull,
  listHooks,
  markDelivered,
  markRetry,
  type HookDeliveryRow,
  type HookRow,
} from '../store/hooks.js';
import type { StoredEvent } from '../store/events.js';

export const HOOK_DELIVERY_TASK = 'hook-delivery';
const LEASE_MS = 2 * 60_000;
const CACHE_MS = 5_000;
export const HOOK_MAX_ATTEMPTS = 20;
export const HOOK_BASE_BACKOFF_MS = 5_000;
export const HOOK_MAX_BACKOFF_MS = 3_600_000;

/** Target settings shared by every hook: batch size, flush interval, timeout. */
export interface HookTargetSettings {
  batch_size?: number;
  flush_interval?: string;
  timeout?: string;
}

/**
 * Action hooks of one process: every stored event becomes a durable delivery per hook that wants it (written
 * by the database in the event's own transaction), which the work loop sends in batches, at least once,
 * with back-off.
 */
export class Hooks {
  private cache: { rows: HookRow[]; at: number } | null = null;
  private targets = new Map<string, { stamp: number; target: HookTarget }>();
  private unsubscribe: (() => void) | null = null;

  constructor(readonly ctx: AppContext) {}

  start(): void {
    this.unsubscribe ??= this.ctx.bus.on('events', async (events) => {
      await this.onEvents(events);
    });
  }

  invalidate(): void {
    this.cache = null;
  }

  private async hooks(): Promise<HookRow[]> {
    const t = Date.now();
    if (this.cache && t - this.cache.at < CACHE_MS) return this.cache.rows;
    const rows = await listHooks(this.ctx.db, true);
    this.cache = { rows, at: t };
    return rows;
  }

  /**
   * After events commit: the database has already queued their deliveries (a trigger on the events table, in
   * the inserting transaction), so this only wakes the delivery task and makes a hook's batch due at once
   * when it is full before its flush interval.
   */
  async onEvents(events: StoredEvent[]): Promise<number> {
    const hooks = await this.hooks();
    const touched = hooks.filter((h) => events.some((e) => h.events.includes(e.name) || h.events.includes('*')));
    if (!touched.length) return 0;
    const now = this.ctx.clock.now();
    for (const h of touched) if (flushMs(h.target as HookTargetSettings) > 0) await flushHookIfFull(this.ctx.db, h.id, batchSize(h), now);
    await this.ctx.work.announce(HOOK_DELIVERY_TASK);
    return touched.length;
  }

  private async targetFor(hook: HookRow): Promise<HookTarget> {
    const stamp = new Date(hook.updated_at).getTime();
    const hit = this.targets.get(hook.id);
    if (hit && hit.stamp === stamp) return hit.target;
    if (hit) await hit.target.close().catch(() => undefined);
    const secrets = hook.secrets ? decryptSecret<Record<string, unknown>>(await secretKey(this.ctx.db, this.ctx.clock.now()), hook.secrets) : {};
    const config = { ...hook.target, ...secrets };
    const timeout = (hook.target as HookTargetSettings).timeout;
    const target =
      hook.target_type === 'rabbitmq'
        ? rabbitHookTarget(config as unknown as RabbitHookConfig)
        : httpHookTarget({ ...(config as unknown as HttpHookConfig), timeout_ms: timeout && parseDuration(timeout) ? durationMs(timeout) : 10_000 });
    this.targets.set(hook.id, { stamp, target });
    return target;
  }

  /** One round: claims due deliveries, sends them per hook in batches, records success or the retry. */
  async deliverDue(limit: number, now: Date): Promise<number> {
    const claimed = await this.ctx.db.transaction().execute((tx) => claimDueDeliveries(tx, now, limit, new Date(now.getTime() + LEASE_MS)));
    if (!claimed.length) return 0;
    const all = await listHooks(this.ctx.db, false);
    const hooks = new Map(all.map((h) => [h.id, h]));
    const byHook = new Map<string, HookDeliveryRow[]>();
    for (const d of claimed) byHook.set(d.hook_id, [...(byHook.get(d.hook_id) ?? []), d]);
    await Promise.all(
      [...byHook].map(async ([hookId, deliveries]) => {
        const hook = hooks.get(hookId);
        if (!hook || !hook.active) {
          await markRetry(this.ctx.db, deliveries.map((d) => d.id), 'the hook is paused or gone', null);
          return;
        }
        const target = await this.targetFor(hook);
        const size = hook.target_type === 'rabbitmq' ? 100 : batchSize(hook);
        for (let i = 0; i < deliveries.length; i += size) {
          const batch = deliveries.slice(i, i + size);
          const r = await target.send(batch.map(toHookMessage));
          const at = this.ctx.clock.now();
          if (r.ok) await markDelivered(this.ctx.db, batch.map((d) => d.id), at);
          else {
            const attempts = Math.max(...batch.map((d) => d.attempts));
            const retryAt = attempts < HOOK_MAX_ATTEMPTS ? new Date(at.getTime() + hookBackoffMs(attempts)) : null;
            await markRetry(this.ctx.db, batch.map((d) => d.id), r.reason, retryAt);
          }
        }
      }),
    );
    return claimed.length;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const all = [...this.targets.values()];
    this.targets.clear();
    await Promise.all(all.map((t) => t.target.close().catch(() => undefined)));
  }
}

export function hookBackoffMs(attempts: number): number {
  return Math.min(HOOK_MAX_BACKOFF_MS, HOOK_BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

function batchSize(h: HookRow): number {
  return Math.max(1, Math.min(1000, Number((h.target as HookTargetSettings).batch_size ?? 100)));
}

function flushMs(t: HookTargetSettings): number {
  return t.flush_interval && parseDuration(t.flush_interval) ? durationMs(t.flush_interval) : 0;
}

function toHookMessage(d: HookDeliveryRow): HookMessage {
  return {
    event_id: d.event_id,
    event_type: d.event_type,
    event_date: new Date(d.event_date).toISOString(),
    profile_id: d.profile_id,
    event_data: d.event_data ?? {},
  };
}

const services = new WeakMap<AppContext, Hooks>();
export function hooks(ctx: AppContext): Hooks {
  let h = services.get(ctx);
  if (!h) {
    h = new Hooks(ctx);
    services.set(ctx, h);
  }
  return h;
}
