/**
 * Dead letters over HTTP, for administrators of the tenant (docs/events.md):
 *
 *   GET  /admin/events/dead-letters?limit=         failed deliveries that used up their attempts, newest first
 *   POST /admin/events/dead-letters/retry          { handler, seq }: a fresh set of attempts, after the cause was fixed
 */
import type { FastifyInstance } from 'fastify';
import { principalOf, requireRole } from '../auth/guard.js';
import { ROLES } from '../auth/roles.js';
import type { EventDispatcher } from './dispatcher.js';

export async function registerEventAdminRoutes(app: FastifyInstance, events: EventDispatcher): Promise<void> {
  const adminOnly = { preHandler: requireRole(ROLES.admin) };

  app.get('/admin/events/dead-letters', adminOnly, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return reply.code(400).send({ error: "'limit' must be an integer 1–1000" });
    const { tenant } = principalOf(request);
    return { items: await events.deadLetters(tenant, limit), stats: events.stats, transport: events.transportName };
  });

  app.post('/admin/events/dead-letters/retry', adminOnly, async (request, reply) => {
    const body = (request.body ?? {}) as { handler?: unknown; seq?: unknown };
    const handler = typeof body.handler === 'string' && body.handler !== '' ? body.handler : undefined;
    const seq = typeof body.seq === 'string' || typeof body.seq === 'number' ? String(body.seq) : undefined;
    if (!handler || !seq || !/^\d{1,18}$/.test(seq)) {
      return reply
        .code(400)
        .send({ error: "Send { handler: '<handler name>', seq: '<event seq>' } as listed by GET /admin/events/dead-letters" });
    }
    const { tenant } = principalOf(request);
    if (!(await events.retryDeadLetter(handler, seq, tenant))) {
      return reply.code(404).send({ error: `No dead letter of handler '${handler}' for event ${seq} in this tenant` });
    }
    return { retried: { handler, seq } };
  });
}
