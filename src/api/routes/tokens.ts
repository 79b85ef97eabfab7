import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { pageOf } from '../../domain/cursor.js';
import { createToken, deleteToken, listTokens } from '../../store/tokens.js';
import { cursorAfter } from '../pagination.js';
import { notFound } from '../problem.js';
import { IdParams, Page, PageQuery } from '../schemas/common.js';

const Scope = Type.Union([Type.Literal('admin'), Type.Literal('write'), Type.Literal('read')]);
const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Scope),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export function tokenRoutes(app: FastifyInstance, ctx: AppContext) {
  const admin = { scope: 'admin' as const };
  app.post(
    '/tokens',
    {
      config: admin,
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the token value is shown this once',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), scopes: Type.Array(Scope, { minItems: 1, uniqueItems: true }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const body = req.body as { name: string; scopes: ('admin' | 'write' | 'read')[] };
      const t = await createToken(ctx.db, body.name, body.scopes, ctx.clock.now());
      return reply.code(201).send({ id: t.id, name: t.name, scopes: t.scopes, token: t.token, created_at: t.created_at });
    },
  );
  app.get(
    '/tokens',
    { config: admin, schema: { tags: ['tokens'], querystring: PageQuery, response: { 200: Page(TokenView) } } },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string };
      const limit = q.limit ?? 50;
      const rows = await listTokens(ctx.db, limit + 1, cursorAfter(q.cursor));
      return pageOf(rows, limit, (r) => [r.id]);
    },
  );
  app.delete('/tokens/:id', { config: admin, schema: { tags: ['tokens'], params: IdParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!(await deleteToken(ctx.db, id))) throw notFound('Token');
    app.tokenCache.clear();
    return reply.code(204).send();
  });
  app.get('/whoami', { schema: { tags: ['tokens'], summary: 'The calling token', response: { 200: TokenView } } }, async (req) => req.token);
}
