import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, maskSecret, maskUrl } from '../../../src/channels/secrets.js';

describe('channel secrets at rest', () => {
  it('round-trips through AES-256-GCM with a fresh IV each time, and refuses another key or a changed byte', () => {
    const key = randomBytes(32);
    const a = encryptSecret(key, { pass: 'hunter2', headers: { authorization: 'Bearer x' } });
    const b = encryptSecret(key, { pass: 'hunter2', headers: { authorization: 'Bearer x' } });
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(decryptSecret(key, a)).toEqual({ pass: 'hunter2', headers: { authorization: 'Bearer x' } });
    expect(() => decryptSecret(randomBytes(32), a)).toThrow();
    const parts = a.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 1;
    expect(() => decryptSecret(key, [parts[0], parts[1], parts[2], body.toString('base64url')].join('.'))).toThrow();
  });

  it('never shows a secret in full', () => {
    expect(maskSecret('short')).toBe('****');
    expect(maskSecret('a-long-api-token-1234')).toBe('****1234');
    expect(maskUrl('amqp://guest:guest@127.0.0.1:5672/vhost')).toBe('amqp://guest:****@127.0.0.1:5672/vhost');
  });
});
