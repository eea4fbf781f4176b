/**
 * Indicators per managing institution and month, with numerator and denominator (docs/chronic.md gives the
 * arithmetic). For month M the window is the 12 months ending on M's last day (the national indicators are yearly):
 *
 *   under management   episodes started by the month's end and not finished before it (active at the month's end);
 *   规范管理率          under management with the follow-ups the rules ask for in the window: 4 a year, or
 *                      ceil(days enrolled in the window / 91.25) for a shorter enrolment; phone follow-ups do not count
 *                      (face-to-face only);
 *   血压控制率          hypertensive patients under management whose latest follow-up in the window was on target;
 *   血糖控制率          the same for diabetes (fasting glucose on target);
 *   HbA1c < 7 % rate   diabetics under management whose latest HbA1c in the window (any source) is below 7 %; the
 *                      number tested is given beside it;
 *   转诊后随访完成率     referral follow-up checks due in the month (due_end in M) fulfilled by their due date.
 * The caller sees institutions in their scope (their institution and those below it) and only episodes visible to
 * them (the access condition joins the EpisodeOfCare rows).
 *
 *   GET /api/chronic/indicators?month=YYYY-MM&organization=Organization/x → { month, window, rows: InstitutionRow[], total }
 */
import type { FastifyInstance } from 'fastify';
import type { Organization } from '@medplum/fhirtypes';
import { resolveScope } from '../../platform/access/filter.js';
import { principalOf } from '../../platform/auth/guard.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import { SqlParams } from '../../platform/fhir/sql.js';
import type { ModuleContext } from '../../platform/module.js';
import { addDays, addMonths } from './classify.js';
import { countyToday, type ChronicDeps } from './deps.js';
import { find, nameOf } from './fhir.js';
import { dayOf } from './store.js';

export interface Ratio {
  numerator: number;
  denominator: number;
  /** numerator / denominator, 4 decimals; null when the denominator is 0. */
  rate: number | null;
}

export interface IndicatorRow {
  organization: string | null;
  organizationName?: string | null;
  hypertension: { managed: number; standardManagement: Ratio; bpControl: Ratio };
  diabetes: { managed: number; standardManagement: Ratio; glucoseControl: Ratio; hba1cBelow7: Ratio & { tested: number } };
  referralFollowUp: Ratio;
}

const ratio = (numerator: number, denominator: number): Ratio => ({
  numerator,
  denominator,
  rate: denominator ? Math.round((numerator / denominator) * 10_000) / 10_000 : null,
});

interface EpisodeFacts {
  episode_id: string;
  organization: string | null;
  programme: string;
  start_date: string;
  followups: number;
  latest_controlled: boolean | null;
  latest_hba1c: number | null;
}

export function monthWindow(month: string): { start: string; end: string } {
  const first = `${month}-01`;
  const end = addDays(addMonths(first, 1), -1);
  return { start: addDays(addMonths(first, -11), 0), end };
}

/** Follow-ups the rules ask for in the window, for an episode enrolled on `start`. */
export function requiredFollowUps(start: string, window: { start: string; end: string }): number {
  const from = start > window.start ? start : window.start;
  const days = Math.round((Date.parse(window.end) - Date.parse(from)) / 86_400_000) + 1;
  return Math.min(4, Math.max(1, Math.ceil(days / 91.25)));
}

export async function computeIndicators(
  repo: Repository,
  month: string,
  subtree: string[] | undefined,
): Promise<{ rows: IndicatorRow[]; total: IndicatorRow }> {
  const w = monthWindow(month);
  const params = new SqlParams([repo.tenant]);
  const ws = params.add(w.start);
  const we = params.add(w.end);
  const wsTs = params.add(`${w.start}T00:00:00+08:00`);
  const weTs = params.add(`${addDays(w.end, 1)}T00:00:00+08:00`);
  const where = ['e.tenant = $1', `e.start_date <= ${we}::date`, `(e.status = 'active' OR e.end_date > ${we}::date)`];
  if (subtree) where.push(`e.organization = ANY(${params.add(subtree)}::text[])`);
  const access = repo.access.readCondition('EpisodeOfCare', 'r', params);
  if (access) where.push(`(${access})`);
  const facts = await repo.query<EpisodeFacts>(
    `WITH ep AS (
       SELECT e.episode_id, e.organization, e.programme, e.start_date, e.patient
         FROM chronic_episode e JOIN "EpisodeOfCare" r ON r.tenant = e.tenant AND r.id = e.episode_id AND NOT r.deleted
        WHERE ${where.join(' AND ')}
     ),
     fu AS (
       SELECT f.episode_id,
              count(*) FILTER (WHERE coalesce(enc.content::jsonb -> 'class' ->> 'code', 'AMB') <> 'VR') AS followups,
              (array_agg(f.controlled ORDER BY f.day DESC))[1] AS latest_controlled
         FROM chronic_followup f JOIN ep ON ep.episode_id = f.episode_id
         LEFT JOIN "Encounter" enc ON enc.tenant = f.tenant AND enc.id = f.encounter_id
        WHERE f.tenant = $1 AND f.day BETWEEN ${ws}::date AND ${we}::date
        GROUP BY f.episode_id
     ),
     a1c AS (
       SELECT ep.episode_id,
              (array_agg((o.content::jsonb -> 'valueQuantity' ->> 'value')::double precision ORDER BY o.p_date_lo DESC))[1] AS latest_hba1c
         FROM ep JOIN "Observation" o ON o.tenant = $1 AND NOT o.deleted AND o.p_subject && ARRAY[ep.patient]
          AND o.p_code && ARRAY['4548-4', 'http://loinc.org|4548-4'] AND o.p_date_lo >= ${wsTs}::timestamptz AND o.p_date_lo < ${weTs}::timestamptz
        WHERE ep.programme = 'diabetes'
        GROUP BY ep.episode_id
     )
     SELECT ep.episode_id, ep.organization, ep.programme, ep.start_date,
            coalesce(fu.followups, 0) AS followups, fu.latest_controlled, a1c.latest_hba1c
       FROM ep LEFT JOIN fu ON fu.episode_id = ep.episode_id LEFT JOIN a1c ON a1c.episode_id = ep.episode_id`,
    params.values,
  );

  const rp = new SqlParams([repo.tenant]);
  const mStart = rp.add(`${month}-01`);
  const mEnd = rp.add(w.end);
  const rwhere = [
    'd.tenant = $1',
    "d.kind = 'referral-check'",
    "d.status <> 'cancelled'",
    `d.due_end BETWEEN ${mStart}::date AND ${mEnd}::date`,
  ];
  if (subtree) rwhere.push(`d.organization = ANY(${rp.add(subtree)}::text[])`);
  const raccess = repo.access.readCondition('Task', 'r', rp);
  if (raccess) rwhere.push(`(${raccess})`);
  const checks = await repo.query<{ organization: string | null; due: string; done: string }>(
    `SELECT d.organization, count(*) AS due,
            count(*) FILTER (WHERE d.status = 'done' AND d.fulfilled_on <= d.due_end) AS done
       FROM chronic_due d JOIN "Task" r ON r.tenant = d.tenant AND r.id = d.task_id AND NOT r.deleted
      WHERE ${rwhere.join(' AND ')} GROUP BY d.organization`,
    rp.values,
  );

  const orgs = [...new Set([...facts.map((f) => f.organization), ...checks.map((c) => c.organization)])].sort((a, b) =>
    String(a).localeCompare(String(b)),
  );
  const rowFor = (org: string | null | undefined): IndicatorRow => {
    const mine = facts.filter((f) => org === undefined || f.organization === org);
    const of = (p: string) => mine.filter((f) => f.programme === p);
    const standard = (list: EpisodeFacts[]) => list.filter((f) => Number(f.followups) >= requiredFollowUps(dayOf(f.start_date), w)).length;
    const htn = of('hypertension');
    const dm = of('diabetes');
    const tested = dm.filter((f) => f.latest_hba1c !== null && f.latest_hba1c !== undefined);
    const check = checks.filter((c) => org === undefined || c.organization === org);
    return {
      organization: org ?? null,
      hypertension: {
        managed: htn.length,
        standardManagement: ratio(standard(htn), htn.length),
        bpControl: ratio(htn.filter((f) => f.latest_controlled === true).length, htn.length),
      },
      diabetes: {
        managed: dm.length,
        standardManagement: ratio(standard(dm), dm.length),
        glucoseControl: ratio(dm.filter((f) => f.latest_controlled === true).length, dm.length),
        hba1cBelow7: { ...ratio(tested.filter((f) => Number(f.latest_hba1c) < 7).length, dm.length), tested: tested.length },
      },
      referralFollowUp: ratio(
        check.reduce((n, c) => n + Number(c.done), 0),
        check.reduce((n, c) => n + Number(c.due), 0),
      ),
    };
  };
  return { rows: orgs.map((o) => rowFor(o)), total: rowFor(undefined) };
}

export function indicatorRoutes(ctx: ModuleContext, deps: ChronicDeps) {
  return (scope: FastifyInstance) => {
    scope.get('/api/chronic/indicators', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      const month = q.month ?? countyToday(deps).slice(0, 7);
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw badRequest("'month' must be YYYY-MM (月份格式应为 2026-12)", 'month');
      if (q.organization && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(q.organization))
        throw badRequest("'organization' must be 'Organization/<id>'", 'organization');
      const repo = await ctx.repositoryFor(request);
      const principal = principalOf(request);
      const mine = principal.organizationId
        ? (await resolveScope(repo.db, { tenant: repo.tenant, roles: principal.roles, organizationId: principal.organizationId }))
            .organizationRefs
        : undefined;
      let subtree = mine;
      if (q.organization) {
        const below = (
          await resolveScope(repo.db, { tenant: repo.tenant, roles: principal.roles, organizationId: q.organization.slice(13) })
        ).organizationRefs;
        subtree = mine ? below.filter((o) => mine.includes(o)) : below;
      }
      const { rows, total } = await computeIndicators(repo, month, subtree);
      for (const r of rows) {
        if (!r.organization) continue;
        const [org] = await find<Organization>(repo, 'Organization', `_id=${r.organization.slice(13)}`, 1);
        r.organizationName = nameOf(org) ?? null;
      }
      return { month, window: monthWindow(month), rows, total };
    });
  };
}
