import { answerOf, errorText, retryableStatus, type ChannelAdapter, type DeliveryResult, type OutgoingMessage } from './types.js';

export interface TelegramConfig {
  token: string;
  api_base?: string;
  timeout_ms?: number;
}

/** Telegram Bot API `sendMessage`; the recipient is the profile's chat id. */
export function telegramAdapter(config: TelegramConfig): ChannelAdapter {
  const base = (config.api_base ?? 'https://api.telegram.org').replace(/\/+$/, '');
  return {
    async deliver(msg: OutgoingMessage): Promise<DeliveryResult> {
      const parseMode = msg.extra.parse_mode as string | undefined;
      try {
        const res = await fetch(`${base}/bot${config.token}/sendMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: msg.to, text: msg.body, ...(parseMode ? { parse_mode: parseMode } : {}) }),
          signal: AbortSignal.timeout(config.timeout_ms ?? 10_000),
        });
        const answer = (await answerOf(res)) as { ok?: boolean; description?: string; result?: { message_id?: number } } | string;
        const response = { status: res.status, body: answer as unknown };
        if (res.ok && typeof answer === 'object' && answer.ok) return { ok: true, response: { status: res.status, message_id: answer.result?.message_id ?? null } };
        const description = typeof answer === 'object' ? answer.description : undefined;
        return { ok: false, retry: retryableStatus(res.status), reason: `HTTP ${res.status}${description ? `: ${description}` : ''}`, response };
      } catch (err) {
        return { ok: false, retry: true, reason: errorText(err), response: null };
      }
    },
    async close() {},
  };
}
