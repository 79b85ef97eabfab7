import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { findTokenByValue, hashToken, type Scope, type TokenRecord } from '../store/tokens.js';
import { ProblemError } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    token?: TokenRecord;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; by default `read` for GET/HEAD and `write` for everything else. `public` skips auth. */
    scope?: Scope | 'public';
  }
}

const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

export function hasScope(token: TokenRecord, needed: Scope): boolean {
  return token.scopes.some((s) => RANK[s] >= RANK[needed]);
}

/** Token lookups are cached briefly per process; revocation in this process clears the cache at once. */
export class TokenCache {
  private entries = new Map<string, { token: TokenRecord | null; until: number }>();
  constructor(private ttlMs = 5_000) {}
  get(hash: string, now: number) {
    const e = this.entries.get(hash);
    return e && e.until > now ? e : undefined;
  }
  set(hash: string, token: TokenRecord | null, now: number) {
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(hash, { token, until: now + this.ttlMs });
  }
  clear() {
    this.entries.clear();
  }
}

export function registerAuth(app: FastifyInstance, ctx: AppContext, cache: TokenCache) {
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (!req.url.startsWith('/api/v1/')) return;
    const configured = req.routeOptions.config?.scope;
    if (configured === 'public') return;
    const needed: Scope = configured ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new ProblemError(401, 'unauthorized', 'An Authorization: Bearer <token> header is required.');
    const value = m[1];
    const hash = hashToken(value);
    const now = Date.now();
    let token = cache.get(hash, now)?.token;
    if (token === undefined) {
      token = (await findTokenByValue(ctx.db, value)) ?? null;
      cache.set(hash, token, now);
    }
    if (!token) throw new ProblemError(401, 'unauthorized', 'The token is not valid.');
    if (!hasScope(token, needed)) throw new ProblemError(403, 'forbidden', `This needs the ${needed} scope.`);
    req.token = token;
  });
}
