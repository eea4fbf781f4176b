/**
 * HTTP API of chronic disease management (docs/chronic.md). Every route needs a token; residents' data is read and
 * written through the caller's repository (their access policy compiled into every query, audited). Errors are FHIR
 * OperationOutcomes: 400 bad input (nothing written), 404 not visible, 409 state conflict.
 *
 *   POST /api/chronic/enrolments                      EnrolInput → 201 EpisodeSummary
 *   GET  /api/chronic/enrolments?patient=Patient/x    { items: EpisodeSummary[] }
 *   GET  /api/chronic/enrolments/:id                  EpisodeSummary & { followUps, due }
 *   POST /api/chronic/enrolments/:id/close            { reason: moved|died|lost, date?, note? } → EpisodeSummary
 *   POST /api/chronic/follow-ups                      follow-up form → 201 RecordedFollowUp & { referral? }
 *   POST /api/chronic/follow-ups/:encounter/referral  sends a referral again (when the first attempt failed)
 *   GET  /api/chronic/rules?date=                     the rules and guidance in force on a date
 * and the routes of credit.ts, home-readings.ts, worklist.ts and indicators.ts (registered from there).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EpisodeOfCare } from '@medplum/fhirtypes';
import { principalOf } from '../../platform/auth/guard.js';
import { badRequest, FhirError, notFound } from '../../platform/fhir/outcomes.js';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import type { ModuleContext } from '../../platform/module.js';
import { countyToday, type ChronicDeps } from './deps.js';
import { closeEpisode, enrol, parseEnrolInput, parseExit } from './enrol.js';
import { readRef } from './fhir.js';
import { recordFollowUp, type Actor } from './followup.js';
import { parseFollowUpInput } from './followup-input.js';
import { guidanceInForce } from './guidance.js';
import { EXIT_TEXT, RISK_GRADE_EXTENSION, type ExitReason } from './model.js';
import { needsReferral, sendReferral } from './refer.js';
import { rulesInForce } from './rules.js';
import { episodeRow, followUpRow, followUps, normalise, type EpisodeRow } from './store.js';

export function actorOfRequest(request: FastifyRequest): Actor {
  const p = principalOf(request);
  return {
    practitioner: p.practitionerId ? `Practitioner/${p.practitionerId}` : undefined,
    organization: p.organizationId ? `Organization/${p.organizationId}` : undefined,
  };
}

/** A unique-index violation (a concurrent duplicate) is the same refusal as the duplicate found by the check. */
export function duplicateAsBadRequest(err: unknown): never {
  const code = (err as { code?: string })?.code;
  if (code === '23505') throw badRequest('该日已有一次随访，或该居民已在管理中 — a duplicate follow-up or enrolment', 'date');
  throw err;
}

export interface EpisodeSummary {
  id: string;
  patient: string;
  programme: string;
  status: string;
  organization: string | null;
  team: { villageDoctor: string | null; townshipGp: string | null; specialist: string | null };
  riskGrade?: string;
  start: string;
  end: string | null;
  exitReason: { code: ExitReason; zh: string } | null;
}

export function summariseEpisode(row: EpisodeRow, episode?: EpisodeOfCare): EpisodeSummary {
  const risk = episode?.extension?.find((e) => e.url === RISK_GRADE_EXTENSION)?.valueCodeableConcept?.coding?.[0]?.code;
  return {
    id: row.episode_id,
    patient: row.patient,
    programme: row.programme,
    status: row.status,
    organization: row.organization,
    team: { villageDoctor: row.village_doctor, townshipGp: row.township_gp, specialist: row.specialist },
    ...(risk ? { riskGrade: risk } : {}),
    start: row.start_date,
    end: row.end_date,
    exitReason: row.exit_reason ? { code: row.exit_reason, zh: EXIT_TEXT[row.exit_reason] } : null,
  };
}

export async function registerChronicRoutes(
  app: FastifyInstance,
  ctx: ModuleContext,
  deps: ChronicDeps,
  more: ((scope: FastifyInstance) => void)[] = [],
): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));
    // FHIR clients post application/fhir+json; the module's JSON bodies are accepted under either type.
    if (!scope.hasContentTypeParser('application/fhir+json')) {
      scope.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_req, body, done) => {
        try {
          done(null, body === '' ? undefined : JSON.parse(body as string));
        } catch {
          done(badRequest('The body is not valid JSON (请求体不是有效的JSON)'), undefined);
        }
      });
    }

    scope.post('/api/chronic/enrolments', async (request, reply) => {
      const input = parseEnrolInput(request.body);
      const repo = await ctx.repositoryFor(request);
      const result = await enrol(repo, deps, input).catch(duplicateAsBadRequest);
      ctx.auditAccess(request, {
        action: 'create',
        resources: [`EpisodeOfCare/${result.row.episode_id}`],
        patients: [input.patient],
        detail: 'chronic enrolment',
      });
      return reply.code(201).send({
        ...summariseEpisode(result.row, result.episode),
        due: { task: `Task/${result.due.task_id}`, kind: result.due.kind, start: result.due.due_start, end: result.due.due_end },
      });
    });

    scope.get('/api/chronic/enrolments', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      if (!q.patient || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(q.patient)) throw badRequest("'patient' must be 'Patient/<id>'", 'patient');
      const repo = await ctx.repositoryFor(request);
      if (!(await readRef(repo, q.patient, 'Patient'))) throw notFound(`${q.patient} not found or outside your scope (未找到该居民)`);
      const rows = await repo.query<{ episode_id: string }>(
        'SELECT episode_id FROM chronic_episode WHERE tenant = $1 AND patient = $2 ORDER BY start_date',
        [repo.tenant, q.patient],
      );
      const items: EpisodeSummary[] = [];
      for (const { episode_id } of rows) {
        const episode = await readRef<EpisodeOfCare>(repo, `EpisodeOfCare/${episode_id}`, 'EpisodeOfCare');
        const row = episode && (await episodeRow(repo, episode_id));
        if (row) items.push(summariseEpisode(row, episode));
      }
      ctx.auditAccess(request, {
        action: 'read',
        resources: items.map((i) => `EpisodeOfCare/${i.id}`),
        patients: [q.patient],
        detail: 'chronic enrolments',
      });
      return { items };
    });

    scope.get('/api/chronic/enrolments/:id', async (request) => {
      const { id } = request.params as { id: string };
      const repo = await ctx.repositoryFor(request);
      const episode = await readRef<EpisodeOfCare>(repo, `EpisodeOfCare/${id}`, 'EpisodeOfCare');
      const row = episode && (await episodeRow(repo, id));
      if (!row) throw notFound(`EpisodeOfCare/${id} not found or outside your scope (未找到该管理记录)`);
      const due = await repo.query<Record<string, unknown>>(
        `SELECT task_id, kind, due_start, due_end, status, fulfilled_by FROM chronic_due WHERE tenant = $1 AND episode_id = $2 ORDER BY created_on, due_end`,
        [repo.tenant, id],
      );
      ctx.auditAccess(request, {
        action: 'read',
        resources: [`EpisodeOfCare/${id}`],
        patients: [row.patient],
        detail: 'chronic enrolment',
      });
      return {
        ...summariseEpisode(row, episode),
        followUps: await followUps(repo, id),
        due: due.map((d) => normalise(d)),
      };
    });

    scope.post('/api/chronic/enrolments/:id/close', async (request) => {
      const { id } = request.params as { id: string };
      const exit = parseExit(request.body);
      const repo = await ctx.repositoryFor(request);
      const { episode, cancelled } = await closeEpisode(repo, deps, id, exit);
      const row = await episodeRow(repo, id);
      return { ...summariseEpisode(row as EpisodeRow, episode), cancelled: cancelled.map((t) => `Task/${t}`) };
    });

    scope.post('/api/chronic/follow-ups', async (request, reply) => {
      const input = parseFollowUpInput(request.body);
      if (input.creditEncounter) throw badRequest('Credit a clinic visit with POST /api/chronic/credits (用“计为随访”)', 'creditEncounter');
      const repo = await ctx.repositoryFor(request);
      const actor = actorOfRequest(request);
      const recorded = await recordFollowUp(repo, deps, input, { source: 'form', actor }).catch(duplicateAsBadRequest);
      const episode = (await episodeRow(repo, recorded.episode.slice('EpisodeOfCare/'.length))) as EpisodeRow;
      const referral = await sendReferral(request, repo, deps, recorded, episode, actor.organization);
      return reply.code(201).send({ ...recorded, ...(referral ? { referral } : {}) });
    });

    scope.post('/api/chronic/follow-ups/:encounter/referral', async (request) => {
      const { encounter } = request.params as { encounter: string };
      const repo = await ctx.repositoryFor(request);
      const row = await followUpRow(repo, encounter);
      const visible = row && (await readRef(repo, `Observation/${row.classification_id}`, 'Observation'));
      if (!row || !visible) throw notFound(`No follow-up Encounter/${encounter} in your scope (未找到该随访)`);
      needsReferral(row.decision);
      if (row.referral)
        throw new FhirError(409, [
          { severity: 'error', code: 'conflict', details: { text: `已转诊 (already referred: ${row.referral})` } },
        ]);
      const episode = (await episodeRow(repo, row.episode_id)) as EpisodeRow;
      const urgent = row.decision === 'urgent-referral';
      const referral = await sendReferral(
        request,
        repo,
        deps,
        {
          encounter: `Encounter/${encounter}`,
          episode: `EpisodeOfCare/${row.episode_id}`,
          patient: row.patient,
          programme: row.programme,
          date: row.day,
          classification: {
            code: row.classification as never,
            zh: row.classification,
            en: row.classification,
            observation: `Observation/${row.classification_id}`,
          },
          ruleVersion: row.rule_version,
          controlled: row.controlled,
          urgent,
          decision: { code: row.decision as never, zh: '', en: '' },
          reasons: [],
          nextDue: { start: row.day, end: row.day, kind: 'referral-check', task: '' },
          fulfilled: [],
        },
        episode,
        actorOfRequest(request).organization,
      );
      return { referral };
    });

    scope.get('/api/chronic/rules', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      const date = q.date ?? countyToday(deps);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw badRequest("'date' must be YYYY-MM-DD", 'date');
      return { rules: rulesInForce(deps.rules, date), guidance: guidanceInForce(deps.guidance, date) };
    });

    for (const add of more) add(scope);
  });
}
