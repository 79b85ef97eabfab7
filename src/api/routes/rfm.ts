import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { toMajor } from '../../domain/money.js';
import { startJob } from '../../engine/jobs.js';
import { refreshRfm } from '../../engine/tasks/rfm.js';
import { getProfile } from '../../store/profiles.js';
import { rfmOf, rfmRefreshState } from '../../store/rfm.js';
import { notFound } from '../problem.js';
import { IdParams } from '../schemas/common.js';
import { RfmStatusView, RfmView } from '../schemas/segments.js';

/**
 * RFM scores: `GET /segments/rfm` (when they were computed, when next), `POST /segments/rfm/refresh`
 * (recompute now, as a job whose result counts the scored and changed profiles and the segment entries and
 * exits it caused) and `GET /profiles/{id}/rfm` (one profile's scores).
 */
export function rfmRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['segments'];

  app.get('/segments/rfm', { schema: { tags, summary: 'When RFM scores were last computed and when the scheduled refresh is next due', response: { 200: RfmStatusView } } }, async () => {
    const s = await rfmRefreshState(ctx.db);
    return { refreshed_at: s.refreshed_at?.toISOString() ?? null, next_refresh_at: s.next_at.toISOString(), scored: s.scored };
  });

  app.post(
    '/segments/rfm/refresh',
    {
      schema: {
        tags,
        summary: 'Recompute RFM scores now (a job; its result: refreshed_at, scored, changed, removed, segments, entered, exited)',
        response: { 202: Type.Object({ job_id: Type.String() }) },
      },
    },
    async (_req, reply) => reply.code(202).send({ job_id: await startJob(ctx, 'rfm.refresh', () => refreshRfm(ctx, true)) }),
  );

  app.get('/profiles/:id/rfm', { schema: { tags: ['profiles'], summary: "A profile's RFM scores (quintiles over the last 365 days of orders)", params: IdParams, response: { 200: RfmView } } }, async (req) => {
    const { id } = req.params as { id: string };
    if (!(await getProfile(ctx.db, id))) throw notFound('Profile');
    const s = await rfmOf(ctx.db, id);
    if (s) return { profile_id: id, r: s.r, f: s.f, m: s.m, last_order_at: s.last_order_at.toISOString(), orders: s.orders, monetary: toMajor(s.monetary), refreshed_at: s.refreshed_at.toISOString() };
    const state = await rfmRefreshState(ctx.db);
    return { profile_id: id, r: null, f: null, m: null, last_order_at: null, orders: 0, monetary: 0, refreshed_at: state.refreshed_at?.toISOString() ?? null };
  });
}
