import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** Emails are matched case-insensitively: the stored match key is the trimmed, lower-cased address. */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim();
  // One @, something on each side, a dot in the domain, no spaces: the shape every mail system accepts.
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) return null;
  return email.toLowerCase();
}

/** Phones are stored in E.164. Input may carry spaces, dashes and brackets but must include the country code. */
export function normalizePhone(raw: string): string | null {
  const text = raw.trim();
  const withPlus = text.startsWith('+') ? text : text.startsWith('00') ? `+${text.slice(2)}` : `+${text}`;
  const parsed = parsePhoneNumberFromString(withPlus);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}
