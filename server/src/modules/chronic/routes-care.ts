/**
 * Routes at the point of care and from devices:
 *
 *   GET  /api/chronic/patients/:id/context   { patient, episodes, prefill, creditable, prompts, rules, guidance }
 *   POST /api/chronic/credits                { episode, encounter, symptoms?, adherence?, lifestyle?, adverseReaction?,
 *                                              complication?, note? } → 201 RecordedFollowUp & { referral? }
 *   POST /api/chronic/home-readings          { patient, device?: { id, name }, readings: [{ type: 'bp', sbp, dbp,
 *                                              heartRate?, at } | { type: 'glucose', value, at }] } → 201 { observations }
 * Screening confirmations are workflow tasks ('chronic-screening'): POST /api/tasks/:id/transition confirm | dismiss.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Encounter, Observation, Patient } from '@medplum/fhirtypes';
import { badRequest, notFound } from '../../platform/fhir/outcomes.js';
import { zonedInstant } from '../../platform/fhir/input.js';
import type { ModuleContext } from '../../platform/module.js';
import { creditableVisits, duePrompts, loadPrompts, prefill } from './context.js';
import { countyToday, type ChronicDeps } from './deps.js';
import { find, readRef } from './fhir.js';
import { recordFollowUp } from './followup.js';
import { checkPlausible, parseFollowUpInput } from './followup-input.js';
import { guidanceInForce } from './guidance.js';
import { HOME_READING_SYSTEM, LOINC, LOINC_CODES, UCUM } from './model.js';
import { mergeReadings, readingsOf } from './readings.js';
import { sendReferral } from './refer.js';
import { actorOfRequest, duplicateAsBadRequest, summariseEpisode } from './routes.js';
import { chinaDay, rulesInForce } from './rules.js';
import { activeEpisodes, episodeRow, followUps, openDue, type EpisodeRow } from './store.js';

export function careRoutes(ctx: ModuleContext, deps: ChronicDeps) {
  const prompts = loadPrompts();
  return (scope: FastifyInstance) => {
    scope.get('/api/chronic/patients/:id/context', async (request) => {
      const { id } = request.params as { id: string };
      const repo = await ctx.repositoryFor(request);
      const patient = await readRef<Patient>(repo, `Patient/${id}`, 'Patient');
      if (!patient) throw notFound(`Patient/${id} not found or outside your scope (未找到该居民，或不在您的服务范围内)`);
      const today = countyToday(deps);
      const ref = `Patient/${id}`;
      const episodes = await activeEpisodes(repo, ref);
      const withFollowUps = [];
      for (const e of episodes) {
        const list = await followUps(repo, e.episode_id);
        const due = await repo.query<Record<string, unknown>>(
          `SELECT task_id, kind, due_start, due_end FROM chronic_due WHERE tenant = $1 AND episode_id = $2 AND status = 'open' ORDER BY due_end`,
          [repo.tenant, e.episode_id],
        );
        withFollowUps.push({
          ...summariseEpisode(e),
          lastFollowUp: list[list.length - 1] ?? null,
          followUps: list.length,
          due: due.map((d) => {
            const end = chinaDay(String(d.due_end instanceof Date ? d.due_end.toISOString() : d.due_end).slice(0, 10));
            return {
              task: `Task/${String(d.task_id)}`,
              kind: d.kind,
              start: chinaDay(String(d.due_start instanceof Date ? d.due_start.toISOString() : d.due_start).slice(0, 10)),
              end,
              overdue: end < today,
            };
          }),
        });
      }
      const rules = rulesInForce(deps.rules, today);
      ctx.auditAccess(request, { action: 'read', resources: [ref], patients: [ref], detail: 'chronic point-of-care context' });
      return {
        patient: ctx.present(request, patient),
        today,
        episodes: withFollowUps,
        prefill: await prefill(repo, ref),
        creditable: await creditableVisits(repo, ref, episodes, today),
        prompts: await duePrompts(repo, prompts, patient, episodes, today),
        rules: {
          version: rules.version,
          programmes: Object.fromEntries(
            Object.entries(rules.programmes).map(([k, p]) => [
              k,
              { name: p.name, symptoms: p.symptoms, targets: p.targets, urgent: p.urgent },
            ]),
          ),
          plausible: rules.plausible,
        },
        guidance: guidanceInForce(deps.guidance, today),
      };
    });

    scope.post('/api/chronic/credits', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const encounterRef = typeof body.encounter === 'string' ? body.encounter : '';
      if (!/^Encounter\/[A-Za-z0-9\-.]{1,64}$/.test(encounterRef))
        throw badRequest("'encounter' must be 'Encounter/<id>' (请选择要计为随访的就诊)", 'encounter');
      if (body.confirm !== true)
        throw badRequest("The doctor's confirmation is required: 'confirm': true (需医生确认后计为随访)", 'confirm');
      const repo = await ctx.repositoryFor(request);
      const encounter = await readRef<Encounter>(repo, encounterRef, 'Encounter');
      if (!encounter) throw notFound(`${encounterRef} not found or outside your scope (未找到该就诊)`);
      const observations = (await find<Observation>(repo, 'Observation', `encounter=${encounterRef}`, 50)).filter(
        (o) => Object.keys(readingsOf(o)).length,
      );
      const readings = mergeReadings(observations);
      if (readings.sbp === undefined && readings.glucose === undefined)
        throw badRequest(`${encounterRef} has no blood pressure or glucose reading (该就诊没有血压或血糖记录，不能计为随访)`, 'encounter');
      const input = parseFollowUpInput({
        ...body,
        date: encounter.period?.start ?? '',
        vitals: { sbp: readings.sbp, dbp: readings.dbp, heartRate: readings.heartRate },
        glucose: readings.glucose,
        hba1c: readings.hba1c,
        encounter: undefined,
      });
      if (input.patient && encounter.subject?.reference !== input.patient)
        throw badRequest('The visit is not of this resident (就诊不属于该居民)', 'encounter');
      const actor = actorOfRequest(request);
      const recorded = await recordFollowUp(repo, deps, input, {
        source: 'credited-visit',
        actor,
        existingEncounter: encounter,
        derivedFrom: observations.map((o) => `Observation/${o.id}`),
      }).catch(duplicateAsBadRequest);
      const episode = (await episodeRow(repo, recorded.episode.slice('EpisodeOfCare/'.length))) as EpisodeRow;
      if (episode.patient !== encounter.subject?.reference)
        throw badRequest('The visit is not of this resident (就诊不属于该居民)', 'encounter');
      const referral = await sendReferral(request, repo, deps, recorded, episode, actor.organization);
      return reply.code(201).send({ ...recorded, credited: encounterRef, ...(referral ? { referral } : {}) });
    });

    scope.post('/api/chronic/home-readings', async (request, reply) => homeReadings(request, reply));

    async function homeReadings(request: FastifyRequest, reply: { code(n: number): { send(b: unknown): unknown } }) {
      const b = (request.body ?? {}) as Record<string, unknown>;
      const patient = typeof b.patient === 'string' ? b.patient : '';
      if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) throw badRequest("'patient' must be 'Patient/<id>'", 'patient');
      if (!Array.isArray(b.readings) || !b.readings.length || b.readings.length > 100)
        throw badRequest("'readings' must list 1–100 readings (读数列表)", 'readings');
      const device = (b.device ?? {}) as { id?: unknown; name?: unknown };
      const deviceText = [device.name, device.id].filter((x) => typeof x === 'string' && x).join(' ');
      const now = deps.clock.now();
      const resources: Observation[] = b.readings.map((raw: unknown, i: number) => {
        const r = (raw ?? {}) as Record<string, unknown>;
        const at = zonedInstant(r.at, `readings[${i}].at`);
        if (Date.parse(at) > now.getTime() + 5 * 60_000)
          throw badRequest(`'readings[${i}].at' is in the future (测量时间晚于当前时间)`, `readings[${i}].at`);
        const rules = rulesInForce(deps.rules, at);
        const n = (k: string) =>
          r[k] === undefined ? undefined : typeof r[k] === 'number' && Number.isFinite(r[k]) ? (r[k] as number) : NaN;
        const category = [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/observation-category',
                code: r.type === 'glucose' ? 'laboratory' : 'vital-signs',
              },
            ],
          },
          { coding: [{ system: HOME_READING_SYSTEM, code: 'home', display: '居民自测' }] },
        ];
        const base = {
          resourceType: 'Observation' as const,
          status: 'final' as const,
          category,
          subject: { reference: patient },
          effectiveDateTime: at,
          ...(deviceText ? { device: { display: deviceText } } : {}),
        };
        if (r.type === 'bp') {
          const sbp = n('sbp');
          const dbp = n('dbp');
          const hr = n('heartRate');
          if (sbp === undefined || dbp === undefined || Number.isNaN(sbp) || Number.isNaN(dbp) || (hr !== undefined && Number.isNaN(hr)))
            throw badRequest(`'readings[${i}]' needs numbers sbp and dbp`, `readings[${i}]`);
          checkPlausible(rules, { sbp, dbp, ...(hr !== undefined ? { heartRate: hr } : {}) });
          return {
            ...base,
            code: { coding: [{ system: LOINC, code: LOINC_CODES.bpPanel, display: '血压' }], text: '血压（家庭自测）' },
            component: [
              {
                code: { coding: [{ system: LOINC, code: LOINC_CODES.sbp, display: '收缩压' }] },
                valueQuantity: { value: sbp, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
              },
              {
                code: { coding: [{ system: LOINC, code: LOINC_CODES.dbp, display: '舒张压' }] },
                valueQuantity: { value: dbp, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
              },
              ...(hr !== undefined
                ? [
                    {
                      code: { coding: [{ system: LOINC, code: LOINC_CODES.heartRate, display: '心率' }] },
                      valueQuantity: { value: hr, unit: '/min', system: UCUM, code: '/min' },
                    },
                  ]
                : []),
            ],
          } satisfies Observation;
        }
        if (r.type === 'glucose') {
          const value = n('value');
          if (value === undefined || Number.isNaN(value))
            throw badRequest(`'readings[${i}].value' must be a number (mmol/L)`, `readings[${i}].value`);
          checkPlausible(rules, { glucose: value });
          return {
            ...base,
            code: { coding: [{ system: LOINC, code: LOINC_CODES.glucose, display: '空腹血糖' }], text: '血糖（家庭自测）' },
            valueQuantity: { value, unit: 'mmol/L', system: UCUM, code: 'mmol/L' },
          } satisfies Observation;
        }
        throw badRequest(`'readings[${i}].type' must be 'bp' or 'glucose'`, `readings[${i}].type`);
      });
      const repo = await ctx.repositoryFor(request);
      if (!(await readRef(repo, patient, 'Patient'))) throw notFound(`${patient} not found or outside your scope (未找到该居民)`);
      const ids = await repo.withTransaction(async (tx) => {
        const out: string[] = [];
        for (const o of resources) out.push(`Observation/${(await tx.create(o)).resource.id}`);
        return out;
      });
      ctx.auditAccess(request, { action: 'create', resources: ids, patients: [patient], detail: 'chronic home readings' });
      return reply.code(201).send({ observations: ids });
    }
  };
}

export { openDue };
