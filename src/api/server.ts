import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AppContext } from '../context.js';
import { registerAuth, TokenCache } from './auth.js';
import { registerIdempotency } from './idempotency.js';
import { problem, ProblemError, type Problem } from './problem.js';
import { ProblemSchema } from './schemas/common.js';
import { bodyAjv, fieldErrors, queryAjv } from './validation.js';
import { healthRoutes } from './routes/health.js';
import { tokenRoutes } from './routes/tokens.js';
import { profileRoutes } from './routes/profiles.js';
import { eventRoutes } from './routes/events.js';
import { jobRoutes } from './routes/jobs.js';
import { loyaltyRoutes } from './routes/loyalty.js';
import { marketRoutes } from './routes/market.js';
import { templateRoutes } from './routes/templates.js';
import { channelRoutes } from './routes/channels.js';
import { messageRoutes } from './routes/messages.js';
import { hookRoutes } from './routes/hooks.js';
import { settingsRoutes } from './routes/settings.js';
import { unsubscribeRoutes } from './routes/unsubscribe.js';
import { trackingRoutes } from './routes/tracking.js';
import { registerStatic } from './static.js';
import { segmentRoutes } from './routes/segments.js';
import { promoRoutes } from './routes/promo.js';
import { promotionRoutes } from './routes/promotions.js';
import { checkoutRoutes } from './routes/checkout.js';
import { campaignRoutes } from './routes/campaigns.js';
import { scenarioRoutes } from './routes/scenarios.js';

export type Api = FastifyInstance;
export type Routes = (app: FastifyInstance, ctx: AppContext) => void | Promise<void>;

/** Every resource's routes, mounted under /api/v1. Each later module adds its line. */
const resources: Routes[] = [tokenRoutes, profileRoutes, eventRoutes, jobRoutes, marketRoutes, loyaltyRoutes, templateRoutes, channelRoutes, messageRoutes, hookRoutes, settingsRoutes, segmentRoutes, promoRoutes, promotionRoutes, checkoutRoutes, campaignRoutes, scenarioRoutes];

const PART_PREFIX: Record<string, string> = { body: '', querystring: 'query', params: 'params', headers: 'header' };

/** Stream-through parsers: file imports read the raw body themselves, in constant memory, past the JSON limit. */
const STREAMED_TYPES = ['text/csv', 'text/plain', 'application/xml', 'text/xml', 'application/octet-stream',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'];

export async function buildServer(ctx: AppContext): Promise<Api> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace' }),
    bodyLimit: ctx.config.bodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    ajv: { customOptions: { allErrors: true } },
  });

  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object),
  );

  const sendProblem = (reply: { code: (n: number) => unknown; type: (t: string) => unknown; send: (p: string) => unknown }, p: Problem) => {
    reply.code(p.status);
    reply.type('application/problem+json');
    return reply.send(JSON.stringify(p));
  };

  app.setErrorHandler((err: FastifyError & { validationContext?: string; code?: string }, req, reply) => {
    if (err instanceof ProblemError) return sendProblem(reply, err.toProblem());
    if (err.validation) {
      const prefix = PART_PREFIX[err.validationContext ?? 'body'] ?? '';
      return sendProblem(reply, problem(400, 'invalid-request', 'The request has invalid fields.', fieldErrors(err.validation as never, prefix)));
    }
    const pgCode = typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : null;
    if (pgCode?.startsWith('22'))
      return sendProblem(reply, problem(400, 'invalid-data', `The database refused a value: ${err.message}`));
    if (pgCode === '23505') return sendProblem(reply, problem(409, 'conflict', 'A record with these unique values exists already.'));
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const slug = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body-too-large' : 'bad-request';
      return sendProblem(reply, problem(status, slug, err.message));
    }
    req.log.error({ err }, 'request failed');
    return sendProblem(reply, problem(500, 'internal', 'Something went wrong on our side; the request was not completed.'));
  });

  app.setNotFoundHandler((req, reply) => sendProblem(reply, problem(404, 'not-found', `No route ${req.method} ${req.url.split('?')[0]}`)));

  app.addContentTypeParser(STREAMED_TYPES, (_req, payload, done) => done(null, payload));
  await app.register(multipart, { limits: { fileSize: 10 * 1024 ** 3, files: 1, fields: 20 } });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Retenta API', version: '1', description: 'Marketing automation and loyalty platform' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.addSchema(ProblemSchema);

  const cache = new TokenCache();
  registerAuth(app, ctx, cache);
  registerIdempotency(app, ctx);

  await app.register(async (scope) => healthRoutes(scope, ctx));
  await app.register(async (scope) => unsubscribeRoutes(scope, ctx));
  await app.register(async (scope) => trackingRoutes(scope, ctx));
  await registerStatic(app);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(
    async (v1) => {
      v1.decorate('tokenCache', cache);
      for (const r of resources) await r(v1, ctx);
    },
    { prefix: '/api/v1' },
  );
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    tokenCache: TokenCache;
  }
}
