import { createHmac, timingSafeEqual } from 'node:crypto';

/** A signed, per-message unsubscribe token: `<message id hex>.<HMAC-SHA256 prefix>`, URL-safe. */
export function signUnsubscribeToken(key: Buffer, messageId: string): string {
  const id = messageId.replace(/-/g, '').toLowerCase();
  return `${id}.${mac(key, id)}`;
}

/** The message id a token names, or null when the token is malformed or its signature does not match. */
export function verifyUnsubscribeToken(key: Buffer, token: string): string | null {
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return null;
  const expected = Buffer.from(mac(key, m[1]));
  const given = Buffer.from(m[2]);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const h = m[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function mac(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(`unsubscribe:${id}`).digest('base64url').slice(0, 22);
}
