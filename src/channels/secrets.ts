import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/db.js';
import { ensureAppSecret } from '../store/channels.js';

/**
 * The installation's secret key: from `RETENTA_SECRET_KEY` (any string, hashed to 256 bits), or, when unset,
 * a random key generated on first start and kept in the database (`app_secrets`). It encrypts channel and
 * hook secrets at rest and signs unsubscribe links.
 */
const keys = new WeakMap<Db, Promise<Buffer>>();

export function secretKey(db: Db, now: Date, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  let k = keys.get(db);
  if (!k) {
    const fromEnv = env.RETENTA_SECRET_KEY;
    k = fromEnv
      ? Promise.resolve(createHash('sha256').update(fromEnv).digest())
      : ensureAppSecret(db, 'secret_key', randomBytes(32).toString('base64'), now).then((v) => Buffer.from(v, 'base64'));
    k.catch(() => keys.delete(db));
    keys.set(db, k);
  }
  return k;
}

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
export function encryptSecret(key: Buffer, plain: object): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(JSON.stringify(plain), 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptSecret<T = Record<string, unknown>>(key: Buffer, sealed: string): T {
  const [v, iv, tag, body] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('unreadable secret');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8')) as T;
}

/** What the API shows of a secret: never the whole value, at most its last 4 characters of a long one. */
export function maskSecret(value: unknown): string {
  const s = String(value ?? '');
  return s.length >= 12 ? `****${s.slice(-4)}` : '****';
}

/** Masks the password of a URL such as `amqp://user:pass@host/vhost`. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return maskSecret(url);
  }
}
