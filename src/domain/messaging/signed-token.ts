import { createHmac, timingSafeEqual } from 'node:crypto';

/** A message id as 32 lower-case hex digits (the id part of the public links). */
export function hexOfId(messageId: string): string {
  return messageId.replace(/-/g, '').toLowerCase();
}

export function idOfHex(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The HMAC-SHA256 of `purpose:payload`, base64url, cut to 22 characters (132 bits). */
export function macOf(key: Buffer, purpose: string, payload: string): string {
  return createHmac('sha256', key).update(`${purpose}:${payload}`).digest('base64url').slice(0, 22);
}

/** Compares a given MAC with the expected one in constant time. */
export function macMatches(key: Buffer, purpose: string, payload: string, given: string): boolean {
  const expected = Buffer.from(macOf(key, purpose, payload));
  const got = Buffer.from(given);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
