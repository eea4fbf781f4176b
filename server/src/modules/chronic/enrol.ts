/**
 * The registry (慢病管理登记): a confirmed patient is enrolled in a programme as an EpisodeOfCare with the diagnosis
 * (Condition), risk grade, managing institution and responsible team (CareTeam: village doctor + township GP + county
 * specialist); the first follow-up is planned as a due Task. Leaving management (moved / died / lost) finishes the
 * episode with the reason and cancels what is still due. Each is one transaction.
 */
import type { CareTeam, Condition, Encounter, EpisodeOfCare, Patient, PractitionerRole } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { badRequest, conflict, notFound } from '../../platform/fhir/outcomes.js';
import { addDays, addMonths } from './classify.js';
import { countyToday, type ChronicDeps } from './deps.js';
import { createDueTask, settleDue } from './due.js';
import { find, parentOrganization, readRef } from './fhir.js';
import {
  ENCOUNTER_TYPE_SYSTEM,
  episodeType,
  EXIT_REASON_EXTENSION,
  EXIT_REASONS,
  EXIT_TEXT,
  ICD10,
  PROGRAMME_TEXT,
  RISK_GRADE_EXTENSION,
  RISK_GRADES,
  RISK_TEXT,
  type ExitReason,
  type RiskGrade,
} from './model.js';
import { ageOn } from './classify.js';
import { PROGRAMMES, rulesInForce, type Programme } from './rules.js';
import { activeEpisodes, episodeRow, upsertEpisode, type DueRow, type EpisodeRow } from './store.js';

export interface EnrolInput {
  patient: string;
  programme: Programme;
  /** YYYY-MM-DD (default today). */
  start?: string;
  riskGrade?: RiskGrade;
  /** An existing problem-list Condition ('Condition/x'); otherwise one is found or recorded. */
  diagnosis?: string;
  team?: { villageDoctor?: string; townshipGp?: string; specialist?: string };
  organization?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const PRACTITIONER = /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/;

function str(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(`'${name}' must be a string`, name);
  return v;
}

export function parseEnrolInput(body: unknown): EnrolInput {
  if (!body || typeof body !== 'object') throw badRequest('The body must be a JSON object (请求体应为JSON对象)');
  const b = body as Record<string, unknown>;
  const patient = str(b.patient, 'patient');
  if (!patient || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient))
    throw badRequest("'patient' must be 'Patient/<id>' (请选择居民)", 'patient');
  if (!PROGRAMMES.includes(b.programme as Programme))
    throw badRequest(`'programme' must be one of ${PROGRAMMES.join(', ')} (管理类别：高血压或糖尿病)`, 'programme');
  const start = str(b.start, 'start');
  if (start && (!DAY.test(start) || Number.isNaN(Date.parse(start)))) throw badRequest("'start' must be a date YYYY-MM-DD", 'start');
  const riskGrade = str(b.riskGrade, 'riskGrade');
  if (riskGrade && !RISK_GRADES.includes(riskGrade as RiskGrade))
    throw badRequest(`'riskGrade' must be one of ${RISK_GRADES.join(', ')} (危险分层)`, 'riskGrade');
  const diagnosis = str(b.diagnosis, 'diagnosis');
  if (diagnosis && !/^Condition\/[A-Za-z0-9\-.]{1,64}$/.test(diagnosis))
    throw badRequest("'diagnosis' must be 'Condition/<id>'", 'diagnosis');
  const teamIn = (b.team ?? {}) as Record<string, unknown>;
  const team: EnrolInput['team'] = {};
  for (const k of ['villageDoctor', 'townshipGp', 'specialist'] as const) {
    const v = str(teamIn[k], `team.${k}`);
    if (v && !PRACTITIONER.test(v)) throw badRequest(`'team.${k}' must be 'Practitioner/<id>'`, `team.${k}`);
    if (v) team[k] = v;
  }
  const organization = str(b.organization, 'organization');
  if (organization && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(organization))
    throw badRequest("'organization' must be 'Organization/<id>'", 'organization');
  return {
    patient,
    programme: b.programme as Programme,
    start,
    riskGrade: riskGrade as RiskGrade | undefined,
    diagnosis,
    team,
    organization,
  };
}

/** The first practitioner holding `role` at `organization` (or, with `anywhere`, at any institution). */
async function staffWithRole(
  repo: Repository,
  role: string,
  organization: string | undefined,
  specialty?: RegExp,
): Promise<string | undefined> {
  const query = `role=urn:yiwang:role|${role}${organization ? `&organization=${organization}` : ''}`;
  const roles = await find<PractitionerRole>(repo, 'PractitionerRole', query, 50);
  const pick = (specialty && roles.find((r) => r.specialty?.some((s) => specialty.test(s.text ?? '')))) || roles[0];
  return pick?.practitioner?.reference;
}

/** A problem-list Condition of the programme for the patient, if one is recorded. */
export async function programmeCondition(
  repo: Repository,
  patient: string,
  programme: Programme,
  prefixes: string[],
): Promise<Condition | undefined> {
  const list = await find<Condition>(repo, 'Condition', `patient=${patient}&category=problem-list-item`, 100);
  void programme;
  return list.find(
    (c) =>
      c.clinicalStatus?.coding?.some((x) => x.code === 'active') !== false &&
      c.code?.coding?.some((x) => x.system === ICD10 && prefixes.some((p) => x.code?.startsWith(p))),
  );
}

/** The day of the latest follow-up Encounter of the programme already in the record (e.g. before the module existed). */
async function lastFollowUpDay(repo: Repository, patient: string, programme: Programme): Promise<string | undefined> {
  const encounters = await find<Encounter>(repo, 'Encounter', `patient=${patient}&_sort=-date`, 200);
  const text = PROGRAMME_TEXT[programme].followUp;
  const match = encounters.find((e) =>
    e.type?.some(
      (t) => t.text === text || t.coding?.some((c) => c.system === ENCOUNTER_TYPE_SYSTEM && c.code === `${programme}-follow-up`),
    ),
  );
  const start = match?.period?.start;
  return start ? new Date(Date.parse(start) + 8 * 3600_000).toISOString().slice(0, 10) : undefined;
}

export interface Enrolment {
  episode: EpisodeOfCare;
  row: EpisodeRow;
  due: DueRow;
  created: boolean;
}

/**
 * Enrols a patient (in `repo`'s transaction). `ifEnrolled: 'conflict'` refuses a second active enrolment in the same
 * programme (a user's request); 'return' hands back the existing one (the automatic enrolment from the problem list,
 * which must be idempotent).
 */
export async function enrol(
  repo: Repository,
  deps: ChronicDeps,
  input: EnrolInput,
  ifEnrolled: 'conflict' | 'return' = 'conflict',
): Promise<Enrolment> {
  const today = countyToday(deps);
  const now = deps.clock.now();
  return repo.withTransaction(async (tx) => {
    const patient = await readRef<Patient>(tx, input.patient, 'Patient');
    if (!patient) throw notFound(`${input.patient} not found or outside your scope (未找到该居民，或不在您的服务范围内)`);
    const start = input.start ?? today;
    if (start > today) throw badRequest(`The enrolment date ${start} is in the future (登记日期不能晚于今天)`, 'start');
    const rules = rulesInForce(deps.rules, start);
    const prog = rules.programmes[input.programme];
    if (patient.birthDate && ageOn(patient.birthDate, start) < prog.minAge)
      throw badRequest(
        `${prog.name.zh}面向${prog.minAge}岁及以上居民 (the programme is for residents aged ${prog.minAge} and over)`,
        'patient',
      );
    // Serialise enrolments of one resident: the unique index would refuse the second, this makes it a clear answer.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`chronic:${tx.tenant}:${input.patient}`]);
    const existing = (await activeEpisodes(tx, input.patient)).find((e) => e.programme === input.programme);
    if (existing) {
      if (ifEnrolled === 'conflict')
        throw conflict(
          `${input.patient} is already enrolled in ${input.programme} (EpisodeOfCare/${existing.episode_id}) — 该居民已在管理中`,
        );
      const episode = (await tx.read('EpisodeOfCare', existing.episode_id)) as EpisodeOfCare;
      return { episode, row: existing, due: undefined as unknown as DueRow, created: false };
    }

    let condition: Condition | undefined;
    if (input.diagnosis) {
      condition = await readRef<Condition>(tx, input.diagnosis, 'Condition');
      if (!condition || condition.subject?.reference !== input.patient)
        throw badRequest(`${input.diagnosis} is not a diagnosis of ${input.patient} (诊断不属于该居民)`, 'diagnosis');
    } else {
      condition = await programmeCondition(tx, input.patient, input.programme, prog.condition.prefixes);
    }
    if (!condition) {
      condition = (
        await tx.create({
          resourceType: 'Condition',
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
          verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
          category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
          code: {
            coding: [{ system: ICD10, code: PROGRAMME_TEXT[input.programme].icd, display: PROGRAMME_TEXT[input.programme].icdText }],
            text: PROGRAMME_TEXT[input.programme].icdText,
          },
          subject: { reference: input.patient },
          recordedDate: start,
        } satisfies Condition)
      ).resource as Condition;
    }

    const organization = input.organization ?? patient.managingOrganization?.reference;
    const villageDoctor =
      input.team?.villageDoctor ?? patient.generalPractitioner?.find((g) => g.reference?.startsWith('Practitioner/'))?.reference;
    const township = await parentOrganization(tx, organization);
    const townshipGp = input.team?.townshipGp ?? (await staffWithRole(tx, 'township-doctor', township));
    const specialist =
      input.team?.specialist ??
      (await staffWithRole(tx, 'county-specialist', undefined, input.programme === 'hypertension' ? /心血管|心内/ : /内分泌/));

    const participant = (ref: string | undefined, zh: string, en: string) =>
      ref ? [{ role: [{ text: `${zh} (${en})` }], member: { reference: ref } }] : [];
    const team = (
      await tx.create({
        resourceType: 'CareTeam',
        status: 'active',
        name: `${PROGRAMME_TEXT[input.programme].zh}团队`,
        subject: { reference: input.patient },
        period: { start },
        ...(organization ? { managingOrganization: [{ reference: organization }] } : {}),
        participant: [
          ...participant(villageDoctor, '乡村医生', 'village doctor'),
          ...participant(townshipGp, '乡镇全科医生', 'township GP'),
          ...participant(specialist, '县级专科医生', 'county specialist'),
        ],
      } satisfies CareTeam)
    ).resource as CareTeam;

    const episode = (
      await tx.create({
        resourceType: 'EpisodeOfCare',
        status: 'active',
        type: [episodeType(input.programme)],
        diagnosis: [
          {
            condition: { reference: `Condition/${condition.id}` },
            role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/diagnosis-role', code: 'CC', display: 'Chief complaint' }] },
            rank: 1,
          },
        ],
        patient: { reference: input.patient },
        ...(organization ? { managingOrganization: { reference: organization } } : {}),
        period: { start },
        ...(villageDoctor ? { careManager: { reference: villageDoctor } } : {}),
        team: [{ reference: `CareTeam/${team.id}` }],
        ...(input.riskGrade
          ? {
              extension: [
                {
                  url: RISK_GRADE_EXTENSION,
                  valueCodeableConcept: { coding: [{ code: input.riskGrade, display: RISK_TEXT[input.riskGrade] }] },
                },
              ],
            }
          : {}),
      } satisfies EpisodeOfCare)
    ).resource as EpisodeOfCare;

    const row: EpisodeRow = {
      episode_id: episode.id as string,
      patient: input.patient,
      programme: input.programme,
      status: 'active',
      organization: organization ?? null,
      village_doctor: villageDoctor ?? null,
      township_gp: townshipGp ?? null,
      specialist: specialist ?? null,
      birth_date: patient.birthDate ?? null,
      start_date: start,
      end_date: null,
      exit_reason: null,
    };
    await upsertEpisode(tx, row);
    // The first follow-up: 3 months after one already in the record, else within the recheck interval of enrolment.
    const last = await lastFollowUpDay(tx, input.patient, input.programme);
    const due =
      last && last <= today
        ? await createDueTask(
            tx,
            row,
            'routine',
            (() => {
              const end = addMonths(last, rules.intervals.routine.months);
              return { start: addDays(end, -rules.intervals.routine.windowDays), end };
            })(),
            now,
          )
        : await createDueTask(tx, row, 'first', { start, end: addDays(start, rules.intervals.recheck.days) }, now);
    return { episode, row, due, created: true };
  });
}

export function parseExit(body: unknown): { reason: ExitReason; date?: string; note?: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (!EXIT_REASONS.includes(b.reason as ExitReason))
    throw badRequest(`'reason' must be one of ${EXIT_REASONS.join(', ')} (迁出 / 死亡 / 失访)`, 'reason');
  const date = str(b.date, 'date');
  if (date && (!DAY.test(date) || Number.isNaN(Date.parse(date)))) throw badRequest("'date' must be a date YYYY-MM-DD", 'date');
  return { reason: b.reason as ExitReason, date, note: str(b.note, 'note') };
}

/** Ends management: the episode finished with the reason; open due Tasks cancelled. */
export async function closeEpisode(
  repo: Repository,
  deps: ChronicDeps,
  episodeId: string,
  exit: { reason: ExitReason; date?: string; note?: string },
) {
  const today = countyToday(deps);
  return repo.withTransaction(async (tx) => {
    const episode = await readRef<EpisodeOfCare>(tx, `EpisodeOfCare/${episodeId}`, 'EpisodeOfCare');
    const row = await episodeRow(tx, episodeId, true);
    if (!episode || !row) throw notFound(`EpisodeOfCare/${episodeId} is not a chronic enrolment you can see (未找到该管理记录)`);
    if (row.status !== 'active') throw conflict(`EpisodeOfCare/${episodeId} is already finished (该管理已结案)`);
    const day = exit.date ?? today;
    if (day > today) throw badRequest('The date is in the future (日期不能晚于今天)', 'date');
    if (day < row.start_date) throw badRequest(`The date is before the enrolment (${row.start_date}) (日期早于登记日期)`, 'date');
    const written = (
      await tx.update('EpisodeOfCare', episodeId, {
        ...episode,
        status: 'finished',
        period: { ...(episode.period ?? {}), end: day },
        extension: [
          ...(episode.extension ?? []).filter((e) => e.url !== EXIT_REASON_EXTENSION),
          {
            url: EXIT_REASON_EXTENSION,
            valueCodeableConcept: {
              coding: [{ code: exit.reason, display: EXIT_TEXT[exit.reason] }],
              text: exit.note ?? EXIT_TEXT[exit.reason],
            },
          },
        ],
      })
    ).resource as EpisodeOfCare;
    await upsertEpisode(tx, { ...row, status: 'finished', end_date: day, exit_reason: exit.reason });
    const cancelled = await settleDue(tx, episodeId, { status: 'cancelled', reason: `结案：${EXIT_TEXT[exit.reason]}`, day });
    return { episode: written, cancelled };
  });
}
