import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ping } from '../../store/db.js';
import { migrationsCurrent } from '../../store/migrate.js';
import { problem } from '../problem.js';

export function healthRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await ping(ctx.db);
      if (await migrationsCurrent(ctx.db)) return { status: 'ready' };
      return reply.code(503).type('application/problem+json').send(JSON.stringify(problem(503, 'not-ready', 'Migrations are not applied yet.')));
    } catch (err) {
      return reply
        .code(503)
        .type('application/problem+json')
        .send(JSON.stringify(problem(503, 'not-ready', `The database is not reachable: ${(err as Error).message}`)));
    }
  });
}
