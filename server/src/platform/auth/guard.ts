/**
 * Every route requires a valid bearer token unless it is declared public. Public routes say so in their
 * route options (`config: { public: true }`): login, token refresh, health probes, FHIR metadata, static
 * files of the web app. A route inventory test checks that nothing else answers without a token.
 *
 * Unauthenticated requests to FHIR paths get an OperationOutcome; all others get the OAuth2 error form.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from './routes.js';
import { AuthError, type Principal } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set on every non-public route before its handler runs. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Reachable without a token (login, health, metadata, static assets). */
    public?: boolean;
  }
}

/** FHIR paths that are public although served by the FHIR catch-all route. */
const PUBLIC_FHIR_PATHS = new Set(['/fhir/R4/metadata']);

export function isPublicRequest(request: FastifyRequest): boolean {
  if (request.routeOptions.config?.public) return true;
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0]!.replace(/\/+$/, '');
  return PUBLIC_FHIR_PATHS.has(path);
}

function sendUnauthenticated(request: FastifyRequest, reply: FastifyReply, e: AuthError): FastifyReply {
  reply.code(e.statusCode).headers({ 'cache-control': 'no-store', ...e.headers });
  if (request.url.startsWith('/fhir/')) {
    return reply.type('application/fhir+json; charset=utf-8').send({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: e.statusCode === 401 ? 'login' : 'security', details: { text: e.description } }],
    });
  }
  return reply.send({ error: e.error, error_description: e.description });
}

/** The principal of an authenticated request; for code that runs only behind the guard. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AuthError(401, 'invalid_token', 'A bearer access token is required. 请先登录。');
  return request.principal;
}

export function registerAuthGuard(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRequest(request)) return;
    try {
      request.principal = await authenticator.authenticate(request);
    } catch (e) {
      if (e instanceof AuthError) return sendUnauthenticated(request, reply, e);
      throw e;
    }
  });
  // Answers to a signed-in caller are theirs alone (masked for their role): no shared or browser cache may keep them
  // and hand them to the next user of the same URL.
  app.addHook('onSend', async (request, reply) => {
    if (request.principal) reply.header('cache-control', 'no-store');
  });
}

/** A preHandler that lets only callers holding one of `roles` through (403 otherwise). */
export function requireRole(...roles: string[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const principal = principalOf(request);
    if (principal.roles.some((r) => roles.includes(r))) return undefined;
    const e = new AuthError(403, 'access_denied', `This needs one of the roles: ${roles.join(', ')}. 当前角色无权访问。`);
    return sendUnauthenticated(request, reply, e);
  };
}
