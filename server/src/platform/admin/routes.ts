/**
 * Administration over HTTP: user accounts and roles, the audit trail (search, export, verification),
 * the break-glass report for the privacy officer, and each resident's "who accessed my record".
 * Institutions and staff are FHIR Organization / Practitioner / PractitionerRole, maintained through the
 * FHIR API by administrators (the access policy allows registry writes to them only).
 *
 *   GET    /admin/users                    list (no secrets)
 *   POST   /admin/users                    {username,password,roles,displayName?,organizationId?,practitionerId?,patientId?}
 *   PATCH  /admin/users/{id}               {roles?, status?: 'active'|'disabled'}
 *   POST   /admin/users/{id}/password      {password}   new password, sessions end
 *   POST   /admin/users/{id}/unlock
 *   GET    /admin/audit?patient=&user=&action=&from=&to=&count=&cursor=
 *   GET    /admin/audit/export?…           NDJSON of FHIR AuditEvents
 *   GET    /admin/audit/verify             the SM3 hash chain of the county
 *   POST   /admin/signing-keys/retire      {signer: 'Practitioner/x'}   retire an SM2 signing key
 *   GET    /admin/break-glass?from=&to=    break-glass accesses (紧急授权报告)
 *   GET    /me/access-log                  a resident: who accessed my record (谁查看了我的档案)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import type { AuditTrail } from '../audit/trail.js';
import { ACCESS_ACTIONS, SECURITY_ACTIONS, type AuditAction, type AuditFilter } from '../audit/types.js';
import { principalOf, requireRole } from '../auth/guard.js';
import { PasswordPolicyError } from '../auth/password.js';
import { ROLES } from '../auth/roles.js';
import { retireKey } from '../signature/keys.js';
import {
  createUser,
  disableUser,
  enableUser,
  findUser,
  listUsers,
  publicUser,
  setPassword,
  setUserRoles,
  unlockUser,
  UserAdminError,
} from '../auth/store.js';

export interface AdminDeps {
  db: Database;
  audit: AuditTrail;
  /** Tells the audit trail about administrative changes (policy-change events). */
  onChange?: (request: FastifyRequest, detail: string) => void;
}

class BadRequest extends Error {
  readonly statusCode = 400;
}

function str(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function date(q: Record<string, unknown>, key: string): Date | undefined {
  const v = str(q, key);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new BadRequest(`'${key}' must be a date or instant (e.g. 2026-11-01)`);
  return d;
}

const ACTIONS = new Set<string>([...ACCESS_ACTIONS, ...SECURITY_ACTIONS]);

function auditFilter(tenant: string, q: Record<string, unknown>): AuditFilter {
  const actions = str(q, 'action')?.split(',');
  const bad = actions?.filter((a) => !ACTIONS.has(a));
  if (bad?.length) throw new BadRequest(`Unknown audit action(s): ${bad.join(', ')}`);
  const count = str(q, 'count');
  if (count !== undefined && !/^\d{1,4}$/.test(count)) throw new BadRequest("'count' must be a number up to 1000");
  return {
    tenant,
    patientId: str(q, 'patient'),
    userId: str(q, 'user'),
    action: actions as AuditAction[] | undefined,
    from: date(q, 'from'),
    to: date(q, 'to'),
    count: count === undefined ? undefined : Number(count),
    cursor: str(q, 'cursor'),
  };
}

function body(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: code, error_description: message });
}

export async function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { db, audit } = deps;
  await app.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      if (error instanceof UserAdminError) return sendError(reply, error.code === 'not-found' ? 404 : 400, error.code, error.message);
      if (error instanceof PasswordPolicyError) return sendError(reply, 400, 'invalid_password', error.message);
      if (error instanceof BadRequest) return sendError(reply, 400, 'invalid_request', error.message);
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return sendError(reply, status, 'invalid_request', (error as Error).message);
      request.log.error({ err: error }, 'admin: internal error');
      return sendError(reply, 500, 'server_error', 'Internal error. 服务器内部错误。');
    });

    const adminOnly = { preHandler: requireRole(ROLES.admin) };

    scope.get('/admin/users', adminOnly, async (request) => {
      return { users: await listUsers(db, principalOf(request).tenant) };
    });

    scope.post('/admin/users', adminOnly, async (request, reply) => {
      const b = body(request);
      const text = (k: string) => (typeof b[k] === 'string' && b[k] !== '' ? (b[k] as string) : undefined);
      if (!Array.isArray(b.roles) || !b.roles.every((r) => typeof r === 'string'))
        throw new BadRequest("'roles' must be a list of role names");
      const user = await createUser(db, principalOf(request).tenant, {
        username: text('username') ?? '',
        password: text('password') ?? '',
        roles: b.roles as string[],
        displayName: text('displayName'),
        organizationId: text('organizationId'),
        practitionerId: text('practitionerId'),
        patientId: text('patientId'),
      });
      deps.onChange?.(request, `user ${user.username} created with roles ${user.roles.join(',')}`);
      return reply.code(201).send(user);
    });

    scope.patch('/admin/users/:id', adminOnly, async (request) => {
      const { id } = request.params as { id: string };
      const tenant = principalOf(request).tenant;
      const b = body(request);
      if (b.roles !== undefined) {
        if (!Array.isArray(b.roles) || !b.roles.every((r) => typeof r === 'string')) throw new BadRequest("'roles' must be a list");
        await setUserRoles(db, tenant, id, b.roles as string[]);
        deps.onChange?.(request, `user ${id} roles set to ${(b.roles as string[]).join(',')}`);
      }
      if (b.status !== undefined) {
        if (b.status === 'disabled') await disableUser(db, tenant, id);
        else if (b.status === 'active') await enableUser(db, tenant, id);
        else throw new BadRequest("'status' must be 'active' or 'disabled'");
        deps.onChange?.(request, `user ${id} ${b.status}`);
      }
      const user = await findUser(db, tenant, id);
      if (!user) throw new UserAdminError('not-found', `no user '${id}'`);
      return publicUser(user);
    });

    scope.post('/admin/users/:id/password', adminOnly, async (request, reply) => {
      const { id } = request.params as { id: string };
      const password = body(request).password;
      if (typeof password !== 'string') throw new BadRequest("'password' is required");
      await setPassword(db, principalOf(request).tenant, id, password);
      deps.onChange?.(request, `user ${id} password reset by an administrator`);
      return reply.code(204).send();
    });

    scope.post('/admin/users/:id/unlock', adminOnly, async (request, reply) => {
      const { id } = request.params as { id: string };
      await unlockUser(db, principalOf(request).tenant, id);
      deps.onChange?.(request, `user ${id} unlocked`);
      return reply.code(204).send();
    });

    scope.get('/admin/audit', adminOnly, async (request) =>
      audit.query(auditFilter(principalOf(request).tenant, request.query as Record<string, unknown>)),
    );

    scope.get('/admin/audit/export', adminOnly, async (request, reply) => {
      const filter = auditFilter(principalOf(request).tenant, request.query as Record<string, unknown>);
      const lines: string[] = [];
      await audit.exportNdjson(filter, (line) => void lines.push(line));
      return reply
        .type('application/fhir+ndjson')
        .header('content-disposition', 'attachment; filename="audit.ndjson"')
        .send(lines.join(''));
    });

    scope.get('/admin/audit/verify', adminOnly, async (request) => {
      await audit.flush();
      return audit.verify(principalOf(request).tenant);
    });

    // A practitioner's SM2 key is retired (lost device, staff leaving): old signatures still verify, the next one gets a new key.
    scope.post('/admin/signing-keys/retire', adminOnly, async (request) => {
      const signer = body(request).signer;
      if (typeof signer !== 'string' || !/^Practitioner\/[A-Za-z0-9\-.]{1,64}$/.test(signer)) {
        throw new BadRequest("'signer' must be a Practitioner reference (Practitioner/<id>)");
      }
      const retired = await retireKey(db, principalOf(request).tenant, signer);
      if (retired) deps.onChange?.(request, `signing key of ${signer} retired`);
      return { signer, retired };
    });

    scope.get('/admin/break-glass', adminOnly, async (request) => {
      const filter = auditFilter(principalOf(request).tenant, request.query as Record<string, unknown>);
      await audit.flush();
      return audit.query({ ...filter, breakGlass: true });
    });

    scope.get('/me/access-log', async (request, reply) => {
      const principal = principalOf(request);
      if (!principal.patientId)
        return sendError(reply, 403, 'access_denied', 'Only a resident account has an own record. 仅居民账户可查看。');
      const q = request.query as Record<string, unknown>;
      await audit.flush();
      return audit.accessesOfResident(principal.tenant, principal.patientId, {
        from: date(q, 'from'),
        to: date(q, 'to'),
        cursor: str(q, 'cursor'),
        excludeUserId: `Patient/${principal.patientId}`,
      });
    });
  });
}
