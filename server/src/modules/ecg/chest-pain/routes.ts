/**
 * The chest-pain centre's routes (docs/ecg.md): the list, one record, and its milestones. Who sees a record: the
 * institutions on either side of its ECG case (requester, ECG centre), the chest-pain team, and the administrators
 * and managers; the EpisodeOfCare is read with the system repository after that check, each read audited.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EpisodeOfCare } from '@medplum/fhirtypes';
import { notFound } from '../../../platform/fhir/outcomes.js';
import type { ModuleContext } from '../../../platform/module.js';
import { caseScope, type CaseScope } from '../../reading/access.js';
import { whoIs } from '../../reading/case-routes.js';
import { parseEvent, recordEvent, recordView, type RecordRow } from './record.js';

const maySee = (r: RecordRow, s: CaseScope) =>
  s.all || [r.requester_org, r.ecg_centre, r.team_org].some((o) => !!o && s.subtree.includes(o));

export function registerChestPainRoutes(scope: FastifyInstance, ctx: ModuleContext): void {
  const load = async (request: FastifyRequest, id: string) => {
    const { repo, actor } = await whoIs(ctx, request);
    const system = ctx.systemRepository(repo.tenant);
    const rows = await system.query<RecordRow>('SELECT * FROM chest_pain_record WHERE tenant = $1 AND id = $2', [repo.tenant, id]);
    if (!rows[0] || !maySee(rows[0], await caseScope(repo, actor)))
      throw notFound(`Chest-pain record ${id} is not found or not yours to see (未找到该胸痛记录)`);
    return { repo, actor, system, row: rows[0] };
  };

  scope.get('/api/chest-pain', async (request) => {
    const q = request.query as Record<string, unknown>;
    const open = q.open === '1' || q.open === 'true';
    const { repo, actor } = await whoIs(ctx, request);
    const s = await caseScope(repo, actor);
    const system = ctx.systemRepository(repo.tenant);
    // The caller's records are chosen in the query, so the newest 200 are theirs (not the tenant's, then filtered).
    const mine = s.all ? '' : 'AND (requester_org = ANY($2::text[]) OR ecg_centre = ANY($2::text[]) OR team_org = ANY($2::text[]))';
    const rows = await system.query<RecordRow>(
      `SELECT * FROM chest_pain_record WHERE tenant = $1 ${mine} ${open ? "AND status = 'active'" : ''} ORDER BY opened_at DESC LIMIT 200`,
      s.all ? [repo.tenant] : [repo.tenant, s.subtree],
    );
    const items = [];
    for (const r of rows) items.push(recordView((await system.read('EpisodeOfCare', r.id)) as EpisodeOfCare, r, ctx.clock.now()));
    if (items.length)
      ctx.auditAccess(request, {
        action: 'read',
        resources: items.map((i) => `EpisodeOfCare/${i.id}`),
        patients: [...new Set(items.map((i) => i.patient))],
        detail: 'chest-pain list',
      });
    return { items };
  });

  scope.get('/api/chest-pain/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { system, row } = await load(request, id);
    const e = (await system.read('EpisodeOfCare', id)) as EpisodeOfCare;
    ctx.auditAccess(request, { action: 'read', resources: [`EpisodeOfCare/${id}`], patients: [row.patient], detail: 'chest-pain record' });
    return recordView(e, row, ctx.clock.now());
  });

  scope.post('/api/chest-pain/:id/events', async (request) => {
    const { id } = request.params as { id: string };
    const now = ctx.clock.now();
    const input = parseEvent(request.body, now);
    const { actor, system, row } = await load(request, id);
    const by = actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined;
    const e = await system.withTransaction((tx) => recordEvent(tx, id, input, by, now));
    ctx.auditAccess(request, {
      action: 'update',
      resources: [`EpisodeOfCare/${id}`],
      patients: [row.patient],
      detail: `chest-pain ${input.milestone} ${input.at}`,
    });
    return recordView(e, row, now);
  });
}
