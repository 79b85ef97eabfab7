import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The built admin UI: `web/dist` at the project root (the same place from `src/api` and `dist/api`). */
export const webDist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

/** Where the UI is served from: RETENTA_WEB_DIR when set (a build kept elsewhere), else `web/dist`. */
export const webRoot = () => (process.env.RETENTA_WEB_DIR ? resolve(process.env.RETENTA_WEB_DIR) : webDist);

/** A path the single-page app answers itself: not the API, not a file name. */
export function isAppPath(url: string): boolean {
  const path = url.split('?')[0];
  if (path === '/api' || path.startsWith('/api/') || path.startsWith('/assets/')) return false;
  return extname(path) === '';
}

/**
 * Serves the admin UI at `/`: hashed assets cached for good, `index.html` for every app path (client-side
 * routes), and the API's problem+json 404 for everything else. Without a build, `/` says how to make one.
 */
export async function registerStatic(app: FastifyInstance, root = webRoot()) {
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The admin UI is not built. Run `npm run build`, then start again.\n'),
    );
    return;
  }
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: false,
      decorateReply: true,
      // Hashed asset names change with their content: cache them for good; everything else is revalidated.
      setHeaders(reply, file) {
        reply.header('cache-control', file.startsWith(join(root, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    const sendIndex = (_req: unknown, reply: { header: (k: string, v: string) => unknown; sendFile: (f: string) => unknown }) => {
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    };
    scope.get('/', { schema: { hide: true } }, sendIndex as never);
    scope.get('/*', { schema: { hide: true } }, (req, reply) => {
      if (req.method === 'GET' && isAppPath(req.url)) return sendIndex(req, reply);
      return reply.callNotFound();
    });
  });
}
