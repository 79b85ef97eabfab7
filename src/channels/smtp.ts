import nodemailer, { type Transporter } from 'nodemailer';
import { errorText, type ChannelAdapter, type DeliveryResult, type OutgoingMessage } from './types.js';

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  pass?: string;
  from: string;
  /** Accept self-signed certificates (test and internal relays only). */
  tls_insecure?: boolean;
  pool_size?: number;
}

/** Email over SMTP through one pooled nodemailer transport per channel. */
export function smtpAdapter(config: SmtpConfig): ChannelAdapter {
  const transport: Transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: config.pool_size ?? 5,
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.user ? { user: config.user, pass: config.pass ?? '' } : undefined,
    tls: config.tls_insecure ? { rejectUnauthorized: false } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async deliver(msg: OutgoingMessage): Promise<DeliveryResult> {
      const headers: Record<string, string> = { 'X-Retenta-Message-Id': msg.id };
      if (msg.unsubscribeUrl) {
        headers['List-Unsubscribe'] = `<${msg.unsubscribeUrl}>`;
        headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
      }
      const isHtml = msg.body !== msg.text;
      try {
        const info = await transport.sendMail({
          from: (msg.extra.from as string | undefined) || config.from,
          to: msg.to,
          subject: msg.subject ?? '',
          ...(isHtml ? { html: msg.body, text: msg.text } : { text: msg.text }),
          messageId: `<${msg.id}@retenta>`,
          headers,
        });
        return { ok: true, response: { message_id: info.messageId, response: info.response, accepted: info.accepted, rejected: info.rejected } };
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        const response = { response_code: code ?? null, response: (err as { response?: string }).response ?? null };
        // 5xx from the server is a refusal for good; 4xx and connection problems are worth another try.
        return { ok: false, retry: !(code && code >= 500), reason: errorText(err), response };
      }
    },
    async close() {
      transport.close();
    },
  };
}
