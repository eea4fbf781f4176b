/**
 * The web app (web/dist, built by Vite) served by the same process and port as the API, and the module list
 * the app builds its navigation from (`GET /api/modules`, behind the global auth guard).
 *
 * Static files and the single-page-app fallback are public routes: the files hold no data, every API call they make
 * needs a token. Paths of the API (`/fhir`, `/auth`, `/admin`, `/api`, `/me`, …) never fall back to index.html.
 * Client-side routes must therefore not start with an API segment (the admin pages live at /manage/*).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth/guard.js';
import { MODULES, modulesFor, type ModuleInfo } from '../../modules.js';

/** web/dist of the repository: server/{src,dist}/platform/web → four levels up. */
export const DEFAULT_WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'web', 'dist');

/** First path segments of the API: never answered with the app's index.html. */
const API_SEGMENTS = new Set(['fhir', 'auth', 'admin', 'api', 'me', 'oauth2', 'hl7', 'empi', 'bulk', 'healthz', 'readyz']);

export interface WebOptions {
  /** Directory of the built app (default: web/dist, or YIWANG_WEB_DIR). */
  root?: string;
  modules?: readonly ModuleInfo[];
}

export async function registerWebRoutes(app: FastifyInstance, options: WebOptions = {}): Promise<void> {
  const root = resolve(options.root ?? process.env['YIWANG_WEB_DIR'] ?? DEFAULT_WEB_ROOT);
  const modules = options.modules ?? MODULES;

  app.get('/api/modules', async (request) => ({ modules: modulesFor(principalOf(request).roles, modules) }));

  await app.register(fastifyStatic, { root, serve: false });
  app.get('/*', { config: { public: true } }, async (request, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return reply.code(400).send({ error: 'invalid_request', error_description: 'Malformed percent-encoding in the path' });
    }
    if (API_SEGMENTS.has(path.split('/')[1] ?? '')) {
      return reply.code(404).send({ error: 'not_found', error_description: `No route ${request.method} ${path}` });
    }
    if (!existsSync(join(root, 'index.html'))) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built yet: run `npm run build` (or `npm start`). 网页应用尚未构建。');
    }
    const file = resolve(root, '.' + path);
    const inside = file === root || file.startsWith(root + sep);
    if (inside && path !== '/' && existsSync(file) && statSync(file).isFile()) {
      // Vite puts content hashes in asset names: they never change.
      const immutable = path.startsWith('/assets/');
      return reply
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .sendFile(path.slice(1), root, { cacheControl: false });
    }
    // A page of the app (client-side route): index.html, never cached so a new build is picked up.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });
  });
}
