/** A message as an adapter delivers it. `id` doubles as the dedupe key handed to the provider. */
export interface OutgoingMessage {
  id: string;
  channel: string;
  to: string;
  subject: string | null;
  body: string;
  text: string;
  extra: Record<string, unknown>;
  unsubscribeUrl: string | null;
}

/** `retry` false means the provider refused for good (bad address, bad token): no point trying again. */
export type DeliveryResult =
  | { ok: true; response: Record<string, unknown> }
  | { ok: false; retry: boolean; reason: string; response: Record<string, unknown> | null };

export interface ChannelAdapter {
  deliver(msg: OutgoingMessage): Promise<DeliveryResult>;
  close(): Promise<void>;
}

export function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return [e?.code, e?.message ?? String(err), cause && cause !== e?.code ? `(${cause})` : ''].filter(Boolean).join(' ').slice(0, 1000);
}

/** Reads a provider's answer body without failing on size or encoding. */
export async function answerOf(res: Response): Promise<unknown> {
  const text = (await res.text()).slice(0, 4000);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** 408, 425, 429 and 5xx are worth retrying; other 4xx are final. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
