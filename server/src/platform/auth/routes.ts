/**
 * HTTP routes of the authentication subsystem (Fastify plugin) and the authenticator the FHIR routes use.
 *
 * POST /auth/login     {"username","password"[,"totp"]}      → {"access_token","refresh_token","expires_in","token_type":"Bearer"}
 * POST /auth/refresh   {"refresh_token"}                      → new pair (the old refresh token is spent)
 * POST /auth/logout    Bearer token (or {"refresh_token"})    → 204; the session's tokens stop working at once
 * GET  /auth/me        Bearer token                           → the principal
 * POST /auth/totp/setup   Bearer token                       → {"secret","otpauth_uri"}
 * POST /auth/totp/enable  Bearer token, {"code"}             → 204
 * POST /auth/password  Bearer token, {"current_password","new_password"} → 204; every session of the user ends
 * POST /oauth2/token   grant_type=client_credentials (form or JSON; client by HTTP Basic or body)
 * Errors: {"error": code, "error_description": message} (OAuth2 style), never a stack trace.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { warmUpPasswordTiming } from './password.js';
import { ensureBootstrapAdmin } from './store.js';
import { AuthError, AuthService, type AuthDeps, type Principal } from './service.js';

export interface Authenticator {
  /** The principal of a request with a valid bearer token; throws an AuthError with statusCode 401 otherwise. */
  authenticate(request: FastifyRequest): Promise<Principal>;
  service: AuthService;
}

export function createAuthenticator(deps: AuthDeps): Authenticator {
  const service = new AuthService(deps);
  return { authenticate: (request) => service.authenticate(request), service };
}

function body(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function sendError(reply: FastifyReply, e: AuthError): FastifyReply {
  return reply
    .code(e.statusCode)
    .headers({ 'cache-control': 'no-store', ...e.headers })
    .send({ error: e.error, error_description: e.description });
}

/** Client id and secret from HTTP Basic (RFC 6749 §2.3.1: form-urlencoded, then base64) or from the body. */
function clientCredentials(request: FastifyRequest, b: Record<string, unknown>): { id: unknown; secret: unknown; basic: boolean } {
  const h = request.headers.authorization;
  const m = typeof h === 'string' ? /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(h) : null;
  if (m) {
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { id: undefined, secret: undefined, basic: true };
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    return { id: dec(decoded.slice(0, colon)), secret: dec(decoded.slice(colon + 1)), basic: true };
  }
  return { id: b.client_id, secret: b.client_secret, basic: false };
}

export async function registerAuthRoutes(
  app: FastifyInstance,
  deps: AuthDeps,
  authenticator: Authenticator = createAuthenticator(deps),
): Promise<Authenticator> {
  const service = authenticator.service;
  // Behind the app's guard the principal is already there; mounted alone (tests), the routes authenticate themselves.
  const who = async (request: FastifyRequest): Promise<Principal> => request.principal ?? service.authenticate(request);
  void warmUpPasswordTiming();
  if (deps.config.bootstrapAdminPassword) {
    const created = await ensureBootstrapAdmin(deps.db, deps.config.tenant, deps.config.bootstrapAdminPassword);
    if (created) app.log.info(`auth: created the user 'admin' for tenant ${deps.config.tenant}`);
  }

  // Encapsulated: the form parser and the OAuth2 error format apply to these routes only.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, text, done) => {
      done(null, Object.fromEntries(new URLSearchParams(text as string)));
    });
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof AuthError) return sendError(reply, error);
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) {
        request.log.error({ err: error }, 'auth: internal error');
        return sendError(reply, new AuthError(500, 'server_error', 'Internal error. 服务器内部错误。'));
      }
      return sendError(reply, new AuthError(status, 'invalid_request', error.message));
    });
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
    });

    scope.post('/auth/login', { config: { public: true } }, async (request) => {
      const b = body(request);
      return service.login({ tenant: service.tenantOf(request), username: b.username, password: b.password, totp: b.totp, ip: request.ip });
    });

    scope.post('/auth/refresh', { config: { public: true } }, async (request) => {
      return service.refresh({ tenant: service.tenantOf(request), refreshToken: body(request).refresh_token, ip: request.ip });
    });

    scope.post('/auth/logout', { config: { public: true } }, async (request, reply) => {
      const refreshToken = body(request).refresh_token;
      if (!request.headers.authorization && typeof refreshToken === 'string' && refreshToken) {
        await service.logoutByRefreshToken(service.tenantOf(request), refreshToken, request.ip);
      } else {
        await service.logout(await service.authenticate(request), request.ip);
      }
      return reply.code(204).send();
    });

    scope.get('/auth/me', async (request) => await who(request));

    scope.post('/auth/totp/setup', async (request) => service.totpSetup(await who(request)));

    scope.post('/auth/totp/enable', async (request, reply) => {
      const principal = await who(request);
      await service.totpEnable(principal, body(request).code, request.ip);
      return reply.code(204).send();
    });

    scope.post('/auth/password', async (request, reply) => {
      const principal = await who(request);
      const b = body(request);
      await service.changePassword(principal, b.current_password, b.new_password, request.ip);
      return reply.code(204).send();
    });

    // SMART App Launch discovery: where tokens come from and what scopes mean (public, like the CapabilityStatement).
    scope.get('/fhir/R4/.well-known/smart-configuration', { config: { public: true } }, async (request) => {
      const base = `${request.protocol}://${request.host}`;
      return {
        issuer: deps.config.issuer,
        token_endpoint: `${base}/oauth2/token`,
        // Users sign in at /auth/login and refresh at /auth/refresh; the OAuth2 token endpoint serves systems.
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['system/*.cruds', 'system/*.rs', 'system/*.read', 'system/*.write', 'user/*.cruds', 'patient/*.rs'],
        capabilities: ['client-confidential-symmetric', 'permission-v1', 'permission-v2'],
      };
    });

    scope.post('/oauth2/token', { config: { public: true } }, async (request) => {
      const b = body(request);
      if (b.grant_type !== 'client_credentials') {
        throw new AuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported here.');
      }
      const c = clientCredentials(request, b);
      return service.clientCredentials({
        tenant: service.tenantOf(request),
        clientId: c.id,
        clientSecret: c.secret,
        scope: b.scope,
        ip: request.ip,
        basic: c.basic,
      });
    });
  });
  return authenticator;
}
