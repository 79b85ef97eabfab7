import type { Template } from 'liquidjs';
import { liquid } from '../domain/messaging/template.js';
import { answerOf, errorText, retryableStatus, type ChannelAdapter, type DeliveryResult, type OutgoingMessage } from './types.js';

export interface HttpProviderConfig {
  url: string;
  method?: 'POST' | 'PUT';
  headers?: Record<string, string>;
  /** Liquid rendered with `to`, `text`, `body`, `subject`, `title`, `url`, `message_id`; JSON by default. */
  body_template?: string;
  timeout_ms?: number;
}

/**
 * SMS and push through any HTTP gateway: the body template decides the shape the gateway expects.
 * Every request carries `Idempotency-Key: <message id>` so a retried delivery can be deduplicated.
 */
export function httpProviderAdapter(config: HttpProviderConfig): ChannelAdapter {
  const tpl: Template[] | null = config.body_template ? liquid.parse(config.body_template) : null;
  return {
    async deliver(msg: OutgoingMessage): Promise<DeliveryResult> {
      const vars = {
        message_id: msg.id,
        to: msg.to,
        text: msg.text,
        body: msg.body,
        subject: msg.subject ?? '',
        title: msg.extra.title ?? msg.subject ?? '',
        url: msg.extra.url ?? '',
        channel: msg.channel,
      };
      let payload: string;
      if (tpl) {
        // `{{ text | json }}` gives a quoted JSON string; `{{ text | json_escape }}` the escaped inside.
        payload = await liquid.render(tpl, vars);
      } else payload = JSON.stringify(vars);
      try {
        const res = await fetch(config.url, {
          method: config.method ?? 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': msg.id, ...(config.headers ?? {}) },
          body: payload,
          signal: AbortSignal.timeout(config.timeout_ms ?? 10_000),
        });
        const answer = await answerOf(res);
        const response = { status: res.status, body: answer };
        if (res.ok) return { ok: true, response };
        return { ok: false, retry: retryableStatus(res.status), reason: `HTTP ${res.status}`, response };
      } catch (err) {
        return { ok: false, retry: true, reason: errorText(err), response: null };
      }
    },
    async close() {},
  };
}
