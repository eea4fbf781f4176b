/**
 * Referrals go through the two-way referral module (modules/referral, docs/referral.md), never around it: its HTTP
 * API `POST /api/referrals` creates the ServiceRequest and the workflow Task. The call is made in-process
 * (Fastify inject) with the caller's own credentials, so the referral module applies its own checks, access and audit
 * for the doctor who recorded the follow-up; modules stay decoupled (neither imports the other's internals).
 *
 * It runs after the follow-up's transaction has committed: the follow-up is valid on its own, and a referral that
 * fails (the receiving institution refuses, the module is not installed) is reported in the answer and can be sent
 * again (POST /api/chronic/follow-ups/:id/referral) instead of losing the follow-up.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface ReferralRequest {
  direction: 'up';
  patient: string;
  to: string;
  reason: string;
  diagnosis: { code?: string; display: string }[];
  summary: string;
  urgency: 'urgent' | 'routine';
  /** A department of `to` ('Organization/<id>'), e.g. the county hospital's cardiology. */
  department?: string;
}

export type ReferralResult =
  | { status: 'created'; id: string; taskId?: string; serviceRequest?: string; to: string; urgency: 'urgent' | 'routine' }
  | { status: 'unavailable' | 'failed'; httpStatus?: number; message: string; to?: string; urgency: 'urgent' | 'routine' };

export interface ReferralPort {
  request(caller: FastifyRequest, body: ReferralRequest): Promise<ReferralResult>;
}

const REFERRAL_TIMEOUT_MS = 30_000;
const FORWARDED = ['authorization', 'x-test-tenant', 'x-break-glass-reason'];

export function httpReferralPort(app: FastifyInstance): ReferralPort {
  return {
    async request(caller, body) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      for (const h of FORWARDED) {
        const v = caller.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      const call = app.inject({ method: 'POST', url: '/api/referrals', headers, payload: JSON.stringify(body) });
      // Never leave the doctor waiting on the referral: the follow-up is saved; a referral that has not answered in time
      // is reported and can be sent again.
      let timer: NodeJS.Timeout | undefined;
      const res = await Promise.race([
        call,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('转诊模块未及时响应 (the referral module did not answer in time)')),
            REFERRAL_TIMEOUT_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(res.body) as Record<string, unknown>;
      } catch {
        /* not JSON: reported by status below */
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // { id: <ServiceRequest id>, referral: { task, state, … } } (docs/referral.md)
        const taskId = (json.referral as { task?: { id?: string } } | undefined)?.task?.id;
        return {
          status: 'created',
          id: String(json.id ?? ''),
          serviceRequest: `ServiceRequest/${String(json.id ?? '')}`,
          ...(taskId ? { taskId } : {}),
          to: body.to,
          urgency: body.urgency,
        };
      }
      const text =
        ((json.issue as { details?: { text?: string }; diagnostics?: string }[] | undefined)?.[0]?.details?.text ??
          (json.message as string | undefined)) ||
        res.body.slice(0, 300);
      // A 404 from the router itself (no such route) means the referral module is not installed in this server.
      const missing = res.statusCode === 404 && /Route POST:\/api\/referrals not found|not found/i.test(text) && !json.resourceType;
      return {
        status: missing ? 'unavailable' : 'failed',
        httpStatus: res.statusCode,
        message: missing ? '转诊模块未启用 (the referral module is not installed)' : text,
        to: body.to,
        urgency: body.urgency,
      };
    },
  };
}
