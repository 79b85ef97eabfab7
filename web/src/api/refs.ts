/** A profile as the API references it: `{id}`, `{email}`, `{phone}` or `{external_id}`. */
export type ProfileRef = { id: string } | { email: string } | { phone: string } | { external_id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a person types to name a customer: an id, an email, a phone (starting with +) or an external id. */
export function toProfileRef(text: string): ProfileRef {
  const t = text.trim();
  if (UUID.test(t)) return { id: t };
  if (t.includes('@')) return { email: t };
  if (/^\+[\d\s()-]+$/.test(t)) return { phone: t };
  return { external_id: t };
}

/** The key a ref uses (`profile.email`), so an error at that path lands on the one input that typed it. */
export const refKey = (r: ProfileRef) => Object.keys(r)[0];
