import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ingestEvents, type EventInput } from '../../engine/ingest.js';
import { ProblemError } from '../problem.js';
import { EventAccepted, EventBatchBody, EventBatchResult, EventBody } from '../schemas/events.js';
import { compileBody, fieldErrors } from '../validation.js';

export function eventRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['events'];
  const validateItem = compileBody(EventBody);

  app.post(
    '/events',
    { schema: { tags, summary: 'Record an event; an event_id seen before is accepted once only', body: EventBody, response: { 202: EventAccepted } } },
    async (req, reply) => {
      const [outcome] = await ingestEvents(ctx, [req.body as EventInput]);
      if (outcome.kind === 'rejected') {
        const notFound = outcome.errors.some((e) => e.message.startsWith('no profile'));
        throw new ProblemError(notFound ? 404 : 400, notFound ? 'not-found' : 'invalid-request', outcome.errors[0].message, outcome.errors);
      }
      return reply.code(202).send(outcome.kind === 'stored' ? { id: outcome.id } : { id: outcome.id ?? '', duplicate: true });
    },
  );

  app.post(
    '/events/batch',
    {
      bodyLimit: 16 * 1024 * 1024,
      schema: { tags, summary: 'Record up to 1000 events; bad items are rejected one by one', body: EventBatchBody, response: { 200: EventBatchResult } },
    },
    async (req) => {
      const items = (req.body as { events: unknown[] }).events;
      const rejected: { index: number; errors: { path: string; message: string }[] }[] = [];
      const valid: EventInput[] = [];
      const positions: number[] = [];
      items.forEach((item, index) => {
        if (validateItem(item)) {
          valid.push(item as EventInput);
          positions.push(index);
        } else rejected.push({ index, errors: fieldErrors(validateItem.errors) });
      });
      let accepted = 0;
      let duplicates = 0;
      if (valid.length) {
        const outcomes = await ingestEvents(ctx, valid);
        outcomes.forEach((o, j) => {
          if (o.kind === 'stored') accepted++;
          else if (o.kind === 'duplicate') duplicates++;
          else rejected.push({ index: positions[j], errors: o.errors });
        });
      }
      rejected.sort((a, b) => a.index - b.index);
      return { accepted, duplicates, rejected };
    },
  );
}
