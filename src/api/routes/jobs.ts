import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { getJob } from '../../store/jobs.js';
import { notFound } from '../problem.js';
import { IdParams } from '../schemas/common.js';

export function jobRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/jobs/:id', { schema: { tags: ['jobs'], summary: 'Progress and result of a long operation', params: IdParams } }, async (req) => {
    const job = await getJob(ctx.db, (req.params as { id: string }).id);
    if (!job) throw notFound('Job');
    return job;
  });
}
