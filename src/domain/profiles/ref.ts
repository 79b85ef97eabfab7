import { normalizeEmail, normalizePhone } from './contact.js';

/** `{"profile": {"id"|"email"|"phone"|"external_id": …}}`: how every endpoint names a profile. */
export type ProfileRefInput = { id?: string; email?: string; phone?: string; external_id?: string };
export type ProfileRef =
  | { kind: 'id'; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'phone'; value: string }
  | { kind: 'external_id'; value: string };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

/** Checks a reference and normalises its value; returns the problem as text when it is not usable. */
export function parseProfileRef(input: ProfileRefInput): ProfileRef | string {
  const keys = (['id', 'email', 'phone', 'external_id'] as const).filter((k) => input[k] !== undefined);
  if (keys.length !== 1) return 'must name the profile by exactly one of id, email, phone, external_id';
  const kind = keys[0];
  const raw = String(input[kind]);
  switch (kind) {
    case 'id':
      return isUuid(raw) ? { kind, value: raw.toLowerCase() } : 'id must be a UUID';
    case 'email': {
      const v = normalizeEmail(raw);
      return v ? { kind, value: v } : 'email is not a valid address';
    }
    case 'phone': {
      const v = normalizePhone(raw);
      return v ? { kind, value: v } : 'phone is not a valid number with country code';
    }
    case 'external_id':
      return raw.length > 0 && raw.length <= 200 ? { kind, value: raw } : 'external_id must be 1–200 characters';
  }
}
