import { hexOfId, idOfHex, macMatches, macOf } from './signed-token.js';

/** A signed, per-message unsubscribe token: `<message id hex>.<HMAC-SHA256 prefix>`, URL-safe. */
export function signUnsubscribeToken(key: Buffer, messageId: string): string {
  const id = hexOfId(messageId);
  return `${id}.${macOf(key, 'unsubscribe', id)}`;
}

/** The message id a token names, or null when the token is malformed or its signature does not match. */
export function verifyUnsubscribeToken(key: Buffer, token: string): string | null {
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m || !macMatches(key, 'unsubscribe', m[1], m[2])) return null;
  return idOfHex(m[1]);
}
