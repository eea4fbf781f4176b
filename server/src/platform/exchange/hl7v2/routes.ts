/**
 * HL7 v2 over HTTP and the message log:
 *
 * - POST /hl7/v2 — body: one ER7 message (application/hl7-v2, x-application/hl7-v2+er7 or
 *   text/plain), bytes as sent; character set from MSH-18. Answer: 200 with the ACK as the body, in
 *   the message's character set (the ACK code is in MSA-1 and in the X-HL7-Ack-Code header).
 *   Needs role `system` (HIS/LIS clients with OAuth2 client credentials) or `admin`.
 * - GET /hl7/v2/messages?status=AA|AE|AR|duplicate&sender=&control-id=&before=&limit= — the log,
 *   newest first, without the raw text. Role `admin`.
 * - GET /hl7/v2/messages/{id} — one entry with the decrypted raw text. Role `admin`.
 * - POST /hl7/v2/messages/{id}/replay — re-processes a logged message; answers the new outcome. Role `admin`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf, requireRole } from '../../auth/guard.js';
import { decodeInput } from './parser.js';
import type { LogEntry } from './message-log.js';
import type { Hl7Service, ProcessResult } from './service.js';

export interface Hl7RoutesDeps {
  service: Hl7Service;
  /** Largest message accepted over HTTP; default 16 MiB. */
  maxMessageBytes?: number;
  /** Called when an administrator reads a raw message (it holds personal data), for the audit trail. */
  onRawRead?: (request: FastifyRequest, entry: LogEntry) => void;
}

export const HL7_CONTENT_TYPES = ['application/hl7-v2', 'x-application/hl7-v2+er7', 'text/plain'];

const STATUS = new Set(['AA', 'AE', 'AR', 'duplicate']);

function one(q: unknown, key: string): string | undefined {
  const v = (q as Record<string, unknown> | undefined)?.[key];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof s === 'string' && s !== '' ? s : undefined;
}

function summary(r: ProcessResult): object {
  return {
    id: r.id,
    code: r.code,
    ack: r.ack,
    errors: r.errors,
    resources: r.resources,
    ...(r.duplicateOf ? { duplicateOf: r.duplicateOf } : {}),
  };
}

function badRequest(reply: FastifyReply, text: string): FastifyReply {
  return reply.code(400).send({ error: 'invalid_request', error_description: text });
}

export async function registerHl7Routes(app: FastifyInstance, deps: Hl7RoutesDeps): Promise<void> {
  const { service } = deps;
  // Encapsulated: the raw-bytes parsers (text/plain included) apply to these routes only.
  await app.register(async (scope) => {
    scope.removeContentTypeParser('text/plain');
    scope.addContentTypeParser(
      HL7_CONTENT_TYPES,
      { parseAs: 'buffer', bodyLimit: deps.maxMessageBytes ?? 16 * 1024 * 1024 },
      (_request, body, done) => done(null, body),
    );

    scope.post('/hl7/v2', { preHandler: requireRole('system', 'admin') }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
        return reply
          .code(415)
          .send({ error: 'invalid_request', error_description: `Send one HL7 v2 message as ${HL7_CONTENT_TYPES.join(', ')}` });
      }
      const principal = principalOf(request);
      const r = await service.process(request.body, { transport: 'http', peer: request.ip, tenant: principal.tenant });
      return reply.code(200).header('x-hl7-ack-code', r.code).type(`application/hl7-v2; charset=${r.charset}`).send(r.ackBytes);
    });

    scope.get('/hl7/v2/messages', { preHandler: requireRole('admin') }, async (request, reply) => {
      const q = request.query;
      const status = one(q, 'status');
      if (status && !STATUS.has(status)) return badRequest(reply, `status must be one of ${[...STATUS].join(', ')}`);
      const before = one(q, 'before');
      if (before && Number.isNaN(Date.parse(before))) return badRequest(reply, 'before must be a date-time (ISO 8601)');
      const limitText = one(q, 'limit');
      const limit = limitText ? Number(limitText) : 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) return badRequest(reply, 'limit must be 1–500');
      const messages = await service.list(principalOf(request).tenant, {
        status,
        sender: one(q, 'sender'),
        controlId: one(q, 'control-id'),
        before,
        limit,
      });
      const last = messages[messages.length - 1];
      return {
        messages,
        ...(messages.length === limit && last
          ? { next: `/hl7/v2/messages?before=${encodeURIComponent(last.receivedAt.toISOString())}` }
          : {}),
      };
    });

    scope.get<{ Params: { id: string } }>('/hl7/v2/messages/:id', { preHandler: requireRole('admin') }, async (request, reply) => {
      const entry = await service.get(principalOf(request).tenant, request.params.id);
      if (!entry) return reply.code(404).send({ error: 'not_found', error_description: 'No such message' });
      deps.onRawRead?.(request, entry);
      const { raw, ...rest } = entry;
      let text: string;
      try {
        text = decodeInput(raw).text;
      } catch {
        text = raw.toString('latin1');
      }
      return { ...rest, raw: text };
    });

    scope.post<{ Params: { id: string } }>('/hl7/v2/messages/:id/replay', { preHandler: requireRole('admin') }, async (request, reply) => {
      const principal = principalOf(request);
      const r = await service.replay(principal.tenant, request.params.id, principal.username ?? principal.subject);
      if (!r) return reply.code(404).send({ error: 'not_found', error_description: 'No such message' });
      return { ...summary(r), replayOf: request.params.id };
    });
  });
}
