/**
 * Due and overdue follow-ups per village and doctor (随访提醒): the open due Tasks from the module's index joined with
 * the Task rows under the caller's access condition, so a user only lists residents in their scope.
 *
 *   GET /api/chronic/due?view=due|overdue|upcoming|all&programme=&organization=&practitioner=&limit=
 *     → { today, view, summary: [{ organization, practitioner, due, overdue, upcoming }], items: DueItem[] }
 * "due": the window has opened (due_start ≤ today), overdue included; "overdue": the window has closed (due_end <
 * today); "upcoming": opens within 30 days.
 */
import type { FastifyInstance } from 'fastify';
import type { Patient, Resource } from '@medplum/fhirtypes';
import { resolveScope } from '../../platform/access/filter.js';
import { principalOf } from '../../platform/auth/guard.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import { SqlParams } from '../../platform/fhir/sql.js';
import type { ModuleContext } from '../../platform/module.js';
import { addDays, ageOn } from './classify.js';
import { countyToday, type ChronicDeps } from './deps.js';
import { find, nameOf } from './fhir.js';
import { DUE_TEXT, PROGRAMME_TEXT, type DueKind } from './model.js';
import { PROGRAMMES, type Programme } from './rules.js';
import { DUE_COLUMNS, normalise, type DueRow } from './store.js';

export const DUE_VIEWS = ['due', 'overdue', 'upcoming', 'all'] as const;
export type DueView = (typeof DUE_VIEWS)[number];

export interface DueFilter {
  view: DueView;
  programme?: Programme;
  organization?: string;
  practitioner?: string;
  limit: number;
}

function viewCondition(view: DueView, today: string, params: SqlParams): string {
  // Parameters are added only when used: an unused one has no type PostgreSQL could infer.
  const t = () => params.add(today);
  switch (view) {
    case 'due':
      return `d.due_start <= ${t()}::date`;
    case 'overdue':
      return `d.due_end < ${t()}::date`;
    case 'upcoming':
      return `d.due_start > ${t()}::date AND d.due_start <= ${params.add(addDays(today, 30))}::date`;
    case 'all':
      return 'true';
  }
}

/** The institutions whose lists the caller sees: theirs and those below it (none: every visible one). */
async function scopeOf(repo: Repository, roles: string[], organizationId: string | undefined): Promise<string[] | undefined> {
  if (!organizationId) return undefined;
  return (await resolveScope(repo.db, { tenant: repo.tenant, roles, organizationId })).organizationRefs;
}

export async function dueList(repo: Repository, today: string, filter: DueFilter, subtree: string[] | undefined) {
  const params = new SqlParams([repo.tenant]);
  const where = ['d.tenant = $1', "d.status = 'open'"];
  if (subtree) where.push(`d.organization = ANY(${params.add(subtree)}::text[])`);
  if (filter.programme) where.push(`d.programme = ${params.add(filter.programme)}`);
  if (filter.organization) where.push(`d.organization = ${params.add(filter.organization)}`);
  if (filter.practitioner) where.push(`d.practitioner = ${params.add(filter.practitioner)}`);
  const access = repo.access.readCondition('Task', 'r', params);
  if (access) where.push(`(${access})`);
  const from = `chronic_due d JOIN "Task" r ON r.tenant = d.tenant AND r.id = d.task_id AND NOT r.deleted`;
  const summaryParams = new SqlParams([...params.values]);
  const t = summaryParams.add(today);
  const soon = summaryParams.add(addDays(today, 30));
  const summary = await repo.query<{
    organization: string | null;
    practitioner: string | null;
    due: string;
    overdue: string;
    upcoming: string;
  }>(
    `SELECT d.organization, d.practitioner,
            count(*) FILTER (WHERE d.due_start <= ${t}::date) AS due,
            count(*) FILTER (WHERE d.due_end < ${t}::date) AS overdue,
            count(*) FILTER (WHERE d.due_start > ${t}::date AND d.due_start <= ${soon}::date) AS upcoming
       FROM ${from} WHERE ${where.join(' AND ')}
      GROUP BY d.organization, d.practitioner ORDER BY d.organization, d.practitioner`,
    summaryParams.values,
  );
  where.push(viewCondition(filter.view, today, params));
  const rows = await repo.query<DueRow>(
    `SELECT ${DUE_COLUMNS.split(', ')
      .map((c) => `d.${c}`)
      .join(', ')} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY d.due_end, d.task_id LIMIT ${params.add(filter.limit)}`,
    params.values,
  );
  return { summary, rows: rows.map(normalise) };
}

export function worklistRoutes(ctx: ModuleContext, deps: ChronicDeps) {
  return (scope: FastifyInstance) => {
    scope.get('/api/chronic/due', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      const view = (q.view ?? 'due') as DueView;
      if (!DUE_VIEWS.includes(view)) throw badRequest(`'view' must be one of ${DUE_VIEWS.join(', ')}`, 'view');
      if (q.programme && !PROGRAMMES.includes(q.programme as Programme))
        throw badRequest(`'programme' must be one of ${PROGRAMMES.join(', ')}`, 'programme');
      for (const [k, re] of [
        ['organization', /^Organization\/[A-Za-z0-9\-.]{1,64}$/],
        ['practitioner', /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/],
      ] as const)
        if (q[k] && !re.test(q[k] as string))
          throw badRequest(`'${k}' must be '${k === 'organization' ? 'Organization' : 'Practitioner'}/<id>'`, k);
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest("'limit' must be 1–500", 'limit');
      const repo = await ctx.repositoryFor(request);
      const principal = principalOf(request);
      const today = countyToday(deps);
      const subtree = await scopeOf(repo, principal.roles, principal.organizationId);
      const { summary, rows } = await dueList(
        repo,
        today,
        { view, programme: q.programme as Programme | undefined, organization: q.organization, practitioner: q.practitioner, limit },
        subtree,
      );
      const patientIds = [...new Set(rows.map((r) => r.patient.slice('Patient/'.length)))];
      const patients = new Map<string, Patient>();
      for (let i = 0; i < patientIds.length; i += 100) {
        for (const p of await find<Patient>(repo, 'Patient', `_id=${patientIds.slice(i, i + 100).join(',')}`, 100))
          patients.set(`Patient/${p.id}`, p);
      }
      const refs = [...new Set([...summary, ...rows].flatMap((r) => [r.organization, r.practitioner]).filter((x): x is string => !!x))];
      const names = new Map<string, string>();
      for (const ref of refs) {
        const [type, id] = ref.split('/');
        const found = await find<Resource>(repo, type as 'Organization', `_id=${id}`, 1);
        const n = nameOf(found[0]);
        if (n) names.set(ref, n);
      }
      ctx.auditAccess(request, {
        action: 'read',
        resources: rows.map((r) => `Task/${r.task_id}`),
        patients: [...patients.keys()],
        detail: `chronic due list (${view})`,
      });
      return {
        today,
        view,
        summary: summary.map((s) => ({
          organization: s.organization,
          organizationName: s.organization ? (names.get(s.organization) ?? null) : null,
          practitioner: s.practitioner,
          practitionerName: s.practitioner ? (names.get(s.practitioner) ?? null) : null,
          due: Number(s.due),
          overdue: Number(s.overdue),
          upcoming: Number(s.upcoming),
        })),
        items: rows.map((r) => {
          const p = patients.get(r.patient);
          const shown = p ? (ctx.present(request, p) as Patient) : undefined;
          return {
            task: `Task/${r.task_id}`,
            episode: `EpisodeOfCare/${r.episode_id}`,
            patient: {
              reference: r.patient,
              name: nameOf(shown) ?? null,
              gender: shown?.gender ?? null,
              age: shown?.birthDate ? ageOn(shown.birthDate, today) : null,
            },
            programme: r.programme,
            programmeName: PROGRAMME_TEXT[r.programme].zh,
            kind: r.kind,
            kindName: DUE_TEXT[r.kind as DueKind],
            start: r.due_start,
            end: r.due_end,
            overdue: r.due_end < today,
            daysOverdue: r.due_end < today ? Math.round((Date.parse(today) - Date.parse(r.due_end)) / 86_400_000) : 0,
            organization: r.organization,
            organizationName: r.organization ? (names.get(r.organization) ?? null) : null,
            practitioner: r.practitioner,
            practitionerName: r.practitioner ? (names.get(r.practitioner) ?? null) : null,
          };
        }),
      };
    });
  };
}
