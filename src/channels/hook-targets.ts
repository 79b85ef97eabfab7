import amqplib from 'amqplib';
import { answerOf, errorText, retryableStatus } from './types.js';

/** What every action hook message carries. */
export interface HookMessage {
  event_id: string;
  event_type: string;
  event_date: string;
  profile_id: string;
  event_data: Record<string, unknown>;
}

export type HookResult = { ok: true } | { ok: false; retry: boolean; reason: string };

export interface HookTarget {
  /** Delivers one batch; all or nothing from the platform's point of view. */
  send(batch: HookMessage[]): Promise<HookResult>;
  close(): Promise<void>;
}

export interface HttpHookConfig {
  url: string;
  headers?: Record<string, string>;
  batch_size?: number;
  timeout_ms?: number;
}

/** Posts `{events: [...]}` batches as JSON; a 2xx answer is success. */
export function httpHookTarget(config: HttpHookConfig): HookTarget {
  return {
    async send(batch) {
      try {
        const res = await fetch(config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': batch.map((m) => m.event_id).join(',').slice(0, 200), ...(config.headers ?? {}) },
          body: JSON.stringify({ events: batch }),
          signal: AbortSignal.timeout(config.timeout_ms ?? 10_000),
        });
        if (res.ok) {
          await res.arrayBuffer().catch(() => undefined);
          return { ok: true };
        }
        const answer = await answerOf(res);
        return { ok: false, retry: retryableStatus(res.status) || res.status === 404, reason: `HTTP ${res.status}: ${JSON.stringify(answer).slice(0, 300)}` };
      } catch (err) {
        return { ok: false, retry: true, reason: errorText(err) };
      }
    },
    async close() {},
  };
}

export interface RabbitHookConfig {
  url: string;
  exchange: string;
  routing_key: string;
}

/**
 * One persistent message per event on a confirm channel; the batch counts as delivered when the broker
 * has confirmed every message. A lost connection is dropped and opened again on the next batch.
 */
export function rabbitHookTarget(config: RabbitHookConfig): HookTarget {
  let conn: amqplib.ChannelModel | null = null;
  let channel: amqplib.ConfirmChannel | null = null;
  const reset = () => {
    const c = conn;
    conn = null;
    channel = null;
    c?.close().catch(() => undefined);
  };
  async function open(): Promise<amqplib.ConfirmChannel> {
    if (channel) return channel;
    const c = await amqplib.connect(config.url, { timeout: 10_000 });
    c.on('error', () => undefined);
    c.on('close', () => {
      if (conn === c) {
        conn = null;
        channel = null;
      }
    });
    const ch = await c.createConfirmChannel();
    ch.on('error', () => undefined);
    ch.on('close', () => {
      if (channel === ch) channel = null;
    });
    conn = c;
    channel = ch;
    return ch;
  }
  return {
    async send(batch) {
      try {
        const ch = await open();
        for (const m of batch) {
          ch.publish(config.exchange, config.routing_key, Buffer.from(JSON.stringify(m)), {
            persistent: true,
            messageId: m.event_id,
            type: m.event_type,
            contentType: 'application/json',
            timestamp: Math.floor(new Date(m.event_date).getTime() / 1000),
          });
        }
        await ch.waitForConfirms();
        return { ok: true };
      } catch (err) {
        reset();
        return { ok: false, retry: true, reason: errorText(err) };
      }
    },
    async close() {
      reset();
    },
  };
}
