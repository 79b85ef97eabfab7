import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppPath, registerStatic } from '../../src/api/static.js';
import { messageFor, placeError } from '../../web/src/api/errors.js';

describe('admin UI serving', () => {
  const root = mkdtempSync(join(tmpdir(), 'retenta-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function server(dir: string) {
    const app = Fastify();
    app.setNotFoundHandler((_req, reply) => reply.code(404).type('application/problem+json').send({ status: 404 }));
    app.get('/api/v1/things', async () => ({ items: [] }));
    await registerStatic(app, dir);
    return app;
  }

  it('tells app routes from API paths and files', () => {
    expect(isAppPath('/')).toBe(true);
    expect(isAppPath('/profiles/0194-abc?tab=timeline')).toBe(true);
    expect(isAppPath('/scenarios/new')).toBe(true);
    expect(isAppPath('/api/v1/nothing')).toBe(false);
    expect(isAppPath('/api')).toBe(false);
    expect(isAppPath('/assets/chunk')).toBe(false);
    expect(isAppPath('/favicon.ico')).toBe(false);
  });

  it('serves index.html for client routes, hashed assets cached for good, problem 404s for the rest', async () => {
    const app = await server(root);
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.headers['cache-control']).toBe('no-cache');
    const deep = await app.inject('/profiles/123');
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain('id="root"');
    const asset = await app.inject('/assets/index-abc123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await app.inject('/api/v1/things')).json()).toEqual({ items: [] });
    for (const url of ['/api/v1/nothing', '/assets/gone.js', '/robots.txt']) {
      const r = await app.inject(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type'], url).toContain('application/problem+json');
    }
    expect((await app.inject({ method: 'POST', url: '/profiles' })).statusCode).toBe(404);
    await app.close();
  });

  it('says how to build the UI when it is not built', async () => {
    const app = await server(join(root, 'missing'));
    const r = await app.inject('/');
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('npm run build');
    await app.close();
  });
});

describe('form error placement', () => {
  const fields = ['name', 'scopes', 'fields', 'fields_extra'];
  it('puts an error on the field its path names, nested paths on their parent', () => {
    expect(placeError('name', fields)).toBe('name');
    expect(placeError('query.name', fields)).toBe('name');
    expect(placeError('scopes.1', fields)).toBe('scopes');
    expect(placeError('fields.city', fields)).toBe('fields');
    expect(placeError('fields_extra.a', fields)).toBe('fields_extra');
    expect(placeError('profile.email', fields)).toBeUndefined();
    expect(placeError('(body)', fields)).toBeUndefined();
    expect(placeError('names', fields)).toBeUndefined();
  });
  it('keeps the inner part of a nested path in the message', () => {
    expect(messageFor('fields', 'fields.city', 'must be a string')).toBe('city: must be a string');
    expect(messageFor('name', 'body.name', 'is required')).toBe('is required');
  });
});
