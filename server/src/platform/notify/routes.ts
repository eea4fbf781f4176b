/**
 * The caller's inbox over HTTP (every route needs a token; a caller sees only notifications addressed to them):
 *
 *   GET  /api/inbox?unread=1&category=&limit=&before=   newest first
 *   GET  /api/inbox/count                                 { total, byCategory } of unread
 *   POST /api/inbox/read                                  { ids: [...] } or { all: true } → { updated }
 *   GET  /api/inbox/stream                                Server-Sent Events: `notification` events as they arrive,
 *                                                         a `count` event on connect, comments as heartbeats
 *
 * The web app reads the stream with fetch (it carries the bearer token in a header; EventSource cannot).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/service.js';
import { principalOf } from '../auth/guard.js';
import type { Notifier } from './notifier.js';

/** The recipient references that name this caller. */
export function recipientsOf(p: Principal): string[] {
  const list = [`user:${p.subject}`];
  if (p.practitionerId) list.push(`Practitioner/${p.practitionerId}`);
  if (p.patientId) list.push(`Patient/${p.patientId}`);
  // Notifications to an institution (an escalation with no named person to receive it) reach everyone working there.
  if (p.organizationId && !p.roles.includes('resident')) list.push(`Organization/${p.organizationId}`);
  return list;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function registerInboxRoutes(app: FastifyInstance, notifier: Notifier, heartbeatMs = 25_000): Promise<void> {
  const who = (request: FastifyRequest) => {
    const p = principalOf(request);
    return { tenant: p.tenant, recipients: recipientsOf(p) };
  };

  app.get('/api/inbox', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) return reply.code(400).send({ error: "'limit' must be 1–200" });
    const before = text(q.before);
    if (before && Number.isNaN(Date.parse(before))) return reply.code(400).send({ error: "'before' must be an instant" });
    const { tenant, recipients } = who(request);
    const items = await notifier.inbox(tenant, recipients, {
      unreadOnly: q.unread === '1' || q.unread === 'true',
      category: text(q.category),
      limit,
      before,
    });
    return { items, unread: await notifier.unreadCounts(tenant, recipients) };
  });

  app.get('/api/inbox/count', async (request) => {
    const { tenant, recipients } = who(request);
    return notifier.unreadCounts(tenant, recipients);
  });

  app.post('/api/inbox/read', async (request, reply) => {
    const body = (request.body ?? {}) as { ids?: unknown; all?: unknown };
    const { tenant, recipients } = who(request);
    if (body.all === true) return { updated: await notifier.markRead(tenant, recipients, 'all') };
    if (!Array.isArray(body.ids) || body.ids.length === 0 || !body.ids.every((i) => typeof i === 'string')) {
      return reply.code(400).send({ error: "Send { ids: ['…'] } or { all: true }" });
    }
    return { updated: await notifier.markRead(tenant, recipients, body.ids as string[]) };
  });

  app.get('/api/inbox/stream', async (request, reply) => {
    const { tenant, recipients } = who(request);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('count', await notifier.unreadCounts(tenant, recipients));
    const unlisten = notifier.listen(tenant, recipients, (n) => send('notification', n));
    const beat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    beat.unref();
    const close = () => {
      clearInterval(beat);
      unlisten();
    };
    request.raw.on('close', close);
    res.on('close', close);
  });
}
