/**
 * Recording a follow-up: in one transaction — checks (episode visible and active, date not in the future nor before
 * enrolment, one follow-up per episode and day, plausible readings), classification by the rule version in force on
 * the follow-up's date, the Encounter with its Observations and the classification Observation, completion of the due
 * Tasks it fulfils, the next due Task and the index rows. Nothing is written when any check fails.
 */
import type { Encounter, EpisodeOfCare, Observation, ObservationComponent, Patient } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { badRequest, conflict, notFound } from '../../platform/fhir/outcomes.js';
import { classify, CLASSIFICATION_TEXT, DECISION_TEXT, type Outcome } from './classify.js';
import { countyToday, type ChronicDeps } from './deps.js';
import { createDueTask, settleDue } from './due.js';
import { readRef } from './fhir.js';
import { checkForProgramme, type FollowUpInput } from './followup-input.js';
import {
  chronicCode,
  classificationConcept,
  dayTime,
  decisionConcept,
  encounterType,
  LIFESTYLE_SYSTEM,
  LOINC,
  LOINC_CODES,
  MODE_CLASS,
  ruleVersionExtension,
  SOURCE_EXTENSION,
  SYMPTOM_SYSTEM,
  UCUM,
  type DueKind,
  type FollowUpSource,
} from './model.js';
import { chinaDay, rulesInForce, type Programme } from './rules.js';
import { activeEpisodes, episodeRow, followUpOn, insertFollowUp, previousFollowUp, type DueRow, type EpisodeRow } from './store.js';

export interface Actor {
  practitioner?: string;
  organization?: string;
}

export interface RecordedFollowUp {
  encounter: string;
  episode: string;
  patient: string;
  programme: Programme;
  date: string;
  classification: { code: Outcome['classification']; zh: string; en: string; observation: string };
  ruleVersion: string;
  controlled: boolean;
  urgent: boolean;
  decision: { code: Outcome['decision']; zh: string; en: string };
  reasons: string[];
  nextDue: { start: string; end: string; kind: DueKind; task: string };
  fulfilled: string[];
}

const quantity = (value: number, unit: string, code: string) => ({ value, unit, system: UCUM, code });
const loinc = (code: string, display: string) => ({ coding: [{ system: LOINC, code, display }], text: display });

/** Resolves the episode named by the input and checks the caller may see it (their repository: 404 otherwise). */
export async function resolveEpisode(tx: Repository, input: Pick<FollowUpInput, 'episode' | 'patient' | 'programme'>): Promise<EpisodeRow> {
  let id = input.episode?.slice('EpisodeOfCare/'.length);
  if (!id) {
    const found = (await activeEpisodes(tx, input.patient as string)).find((e) => e.programme === input.programme);
    if (!found)
      throw notFound(
        `${input.patient} is not under ${input.programme} management (该居民未纳入${input.programme === 'diabetes' ? '糖尿病' : '高血压'}管理)`,
      );
    id = found.episode_id;
  }
  const visible = await readRef<EpisodeOfCare>(tx, `EpisodeOfCare/${id}`, 'EpisodeOfCare');
  const row = visible && (await episodeRow(tx, id, true));
  if (!row) throw notFound(`EpisodeOfCare/${id} not found or outside your scope (未找到该管理记录，或不在您的服务范围内)`);
  return row;
}

/** The observations of the form, each tied to the encounter. */
function observationsOf(
  input: FollowUpInput,
  base: Omit<Observation, 'resourceType' | 'status' | 'code'>,
  programme: Programme,
  rulesSymptoms: Map<string, string>,
): Observation[] {
  const r = input.readings;
  const out: Observation[] = [];
  const vital = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };
  const lab = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
  if (r.sbp !== undefined && r.dbp !== undefined) {
    out.push({
      ...base,
      resourceType: 'Observation',
      status: 'final',
      category: [vital],
      code: loinc(LOINC_CODES.bpPanel, '血压'),
      component: [
        { code: loinc(LOINC_CODES.sbp, '收缩压'), valueQuantity: quantity(r.sbp, 'mmHg', 'mm[Hg]') },
        { code: loinc(LOINC_CODES.dbp, '舒张压'), valueQuantity: quantity(r.dbp, 'mmHg', 'mm[Hg]') },
      ],
    });
  }
  const single = (code: string, display: string, value: number | undefined, unit: string, ucum: string, category = vital) => {
    if (value !== undefined)
      out.push({
        ...base,
        resourceType: 'Observation',
        status: 'final',
        category: [category],
        code: loinc(code, display),
        valueQuantity: quantity(value, unit, ucum),
      });
  };
  single(LOINC_CODES.glucose, '空腹血糖', r.glucose, 'mmol/L', 'mmol/L', lab);
  single(LOINC_CODES.hba1c, '糖化血红蛋白', r.hba1c, '%', '%', lab);
  single(LOINC_CODES.heartRate, '心率', r.heartRate, '次/分', '/min');
  single(LOINC_CODES.temperature, '体温', r.temperature, '℃', 'Cel');
  single(LOINC_CODES.weight, '体重', r.weight, 'kg', 'kg');
  single(LOINC_CODES.height, '身高', r.height, 'cm', 'cm');
  single(LOINC_CODES.waist, '腰围', r.waist, 'cm', 'cm');
  if (r.weight !== undefined && r.height !== undefined)
    single(LOINC_CODES.bmi, '体质指数', Math.round((r.weight / (r.height / 100) ** 2) * 10) / 10, 'kg/m2', 'kg/m2');

  // The rest of the national form: symptoms, lifestyle, adherence, adverse reaction, complication — one Observation.
  const components: ObservationComponent[] = [];
  const lc = (code: string, display: string) => ({ coding: [{ system: LIFESTYLE_SYSTEM, code, display }], text: display });
  for (const s of input.symptoms)
    components.push({
      code: { coding: [{ system: SYMPTOM_SYSTEM, code: s, display: rulesSymptoms.get(s) ?? s }], text: rulesSymptoms.get(s) ?? s },
      valueBoolean: true,
    });
  const l = input.lifestyle;
  const nums: [keyof typeof l, string, string][] = [
    ['smokingPerDay', '日吸烟量（支）', '{cigarettes}/d'],
    ['alcoholPerDay', '日饮酒量（两）', '{liang}/d'],
    ['exerciseTimesPerWeek', '运动（次/周）', '/wk'],
    ['exerciseMinutes', '运动（分钟/次）', 'min'],
    ['stapleGrams', '主食（克/天）', 'g/d'],
  ];
  for (const [k, display, unit] of nums) {
    const v = l[k];
    if (typeof v === 'number') components.push({ code: lc(k, display), valueQuantity: { value: v, unit, system: UCUM, code: unit } });
  }
  const words: Record<string, string> = { light: '轻', medium: '中', heavy: '重', good: '良好', fair: '一般', poor: '差' };
  for (const [k, display] of [
    ['salt', '摄盐情况'],
    ['psychology', '心理调整'],
    ['compliance', '遵医行为'],
  ] as const) {
    const v = l[k];
    if (v)
      components.push({
        code: lc(k, display),
        valueCodeableConcept: { coding: [{ system: LIFESTYLE_SYSTEM, code: v, display: words[v] }], text: words[v] },
      });
  }
  const adherenceText = { regular: '规律', intermittent: '间断', none: '不服药' };
  if (input.adherence)
    components.push({
      code: lc('adherence', '服药依从性'),
      valueCodeableConcept: {
        coding: [{ system: LIFESTYLE_SYSTEM, code: input.adherence, display: adherenceText[input.adherence] }],
        text: adherenceText[input.adherence],
      },
    });
  if (input.adverseReaction) components.push({ code: lc('adverse-reaction', '药物不良反应'), valueBoolean: input.adverseReaction.present });
  components.push({
    code: lc('complication', '并发症'),
    valueCodeableConcept: {
      coding: [{ system: LIFESTYLE_SYSTEM, code: input.complication }],
      text: { none: '无', stable: '无变化', new: '新发', worse: '加重' }[input.complication],
    },
  });
  const notes = [
    input.adverseReaction?.description && `不良反应：${input.adverseReaction.description}`,
    input.medication && `用药：${input.medication}`,
    input.note,
  ]
    .filter((x): x is string => !!x)
    .map((text) => ({ text }));
  out.push({
    ...base,
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'social-history' }] }],
    code: chronicCode(`${programme}-follow-up-form`, '随访记录 (follow-up form)'),
    component: components,
    ...(notes.length ? { note: notes } : {}),
  });
  return out;
}

export interface RecordOptions {
  source: FollowUpSource;
  actor: Actor;
  /** An existing Encounter (a credited clinic visit): no new Encounter; its readings are already in the record. */
  existingEncounter?: Encounter;
  /** The Observations of that visit the classification is derived from. */
  derivedFrom?: string[];
}

/** Records a follow-up (see the file comment). Throws 400/404/409 with nothing written. */
export async function recordFollowUp(
  repo: Repository,
  deps: ChronicDeps,
  input: FollowUpInput,
  options: RecordOptions,
): Promise<RecordedFollowUp> {
  const now = deps.clock.now();
  const today = countyToday(deps);
  const day = chinaDay(input.date);
  if (day > today || Date.parse(input.date.length === 10 ? `${input.date}T00:00:00+08:00` : input.date) > now.getTime() + 5 * 60_000)
    throw badRequest(`A follow-up cannot be dated in the future (随访日期 ${day} 晚于今天 ${today})`, 'date');
  const rules = rulesInForce(deps.rules, day);

  return repo.withTransaction(async (tx) => {
    const episode = await resolveEpisode(tx, input);
    if (episode.status !== 'active') throw conflict(`EpisodeOfCare/${episode.episode_id} is finished (该管理已结案，不能再随访)`);
    if (day < episode.start_date)
      throw badRequest(`The follow-up is dated before the enrolment (随访日期 ${day} 早于纳入管理日期 ${episode.start_date})`, 'date');
    checkForProgramme(input, episode.programme, rules);
    const same = await followUpOn(tx, episode.episode_id, day);
    if (same)
      throw badRequest(
        `A follow-up of this programme is already recorded on ${day}: Encounter/${same.encounter_id} (${day} 已有一次随访)`,
        'date',
      );
    const patient = (await tx.read('Patient', episode.patient.slice('Patient/'.length))) as Patient;
    if (!patient.birthDate)
      throw badRequest(`${episode.patient} has no birth date: the age-specific target cannot be chosen (居民缺少出生日期)`, 'patient');
    const previous = await previousFollowUp(tx, episode.episode_id, day);
    const outcome = classify(rules, {
      programme: episode.programme,
      date: day,
      birthDate: patient.birthDate,
      readings: input.readings,
      symptoms: input.symptoms,
      adverseReaction: input.adverseReaction?.present,
      complication: input.complication,
      previousControlled: previous?.controlled,
    });

    const when = input.date.length === 10 ? (day === today ? now.toISOString() : dayTime(day)) : input.date;
    const performer: { reference: string }[] = [options.actor.practitioner, options.actor.organization]
      .filter((r): r is string => !!r)
      .map((reference) => ({ reference }));
    let encounterRef: string;
    if (options.existingEncounter) {
      encounterRef = `Encounter/${options.existingEncounter.id}`;
    } else {
      const encounter = (
        await tx.create({
          resourceType: 'Encounter',
          status: 'finished',
          class: MODE_CLASS[input.mode],
          type: [encounterType(episode.programme)],
          subject: { reference: episode.patient },
          episodeOfCare: [{ reference: `EpisodeOfCare/${episode.episode_id}` }],
          ...(options.actor.practitioner ? { participant: [{ individual: { reference: options.actor.practitioner } }] } : {}),
          period: { start: when, end: when },
          ...((options.actor.organization ?? episode.organization)
            ? { serviceProvider: { reference: options.actor.organization ?? (episode.organization as string) } }
            : {}),
          extension: [{ url: SOURCE_EXTENSION, valueCode: options.source }],
        } satisfies Encounter)
      ).resource as Encounter;
      encounterRef = `Encounter/${encounter.id}`;
    }
    const base = {
      subject: { reference: episode.patient },
      encounter: { reference: encounterRef },
      effectiveDateTime: when,
      ...(performer.length ? { performer } : {}),
    };
    const symptomNames = new Map(rules.programmes[episode.programme].symptoms.map((s) => [s.code, s.zh]));
    const written: string[] = [];
    const measured = options.existingEncounter
      ? observationsOf({ ...input, readings: {} }, base, episode.programme, symptomNames).slice(-1)
      : observationsOf(input, base, episode.programme, symptomNames);
    for (const o of measured) written.push(`Observation/${(await tx.create(o)).resource.id}`);

    const kind: DueKind = outcome.decision === 'routine' ? 'routine' : outcome.decision === 'recheck' ? 'recheck' : 'referral-check';
    const classificationObs = (
      await tx.create({
        ...base,
        resourceType: 'Observation',
        status: 'final',
        extension: [ruleVersionExtension(outcome.ruleVersion), { url: SOURCE_EXTENSION, valueCode: options.source }],
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
        code: chronicCode(`${episode.programme}-classification`, '随访分类 (follow-up classification)'),
        focus: [{ reference: `EpisodeOfCare/${episode.episode_id}` }],
        valueCodeableConcept: classificationConcept(outcome.classification),
        method: { text: `规则版本 (rule version) ${outcome.ruleVersion}` },
        derivedFrom: [...(options.derivedFrom ?? []), ...written].map((reference) => ({ reference })),
        component: [
          { code: chronicCode('controlled', '血压/血糖达标 (on target)'), valueBoolean: outcome.controlled },
          { code: chronicCode('urgent', '危急情况 (urgent)'), valueBoolean: outcome.urgent },
          { code: chronicCode('decision', '处理 (next step)'), valueCodeableConcept: decisionConcept(outcome.decision) },
          { code: chronicCode('next-due', '下次随访日期 (next follow-up by)'), valueDateTime: outcome.nextDue.end },
        ],
        note: outcome.reasons.map((text) => ({ text })),
      } satisfies Observation)
    ).resource as Observation;

    const fulfilled = await settleDue(tx, episode.episode_id, { status: 'done', encounter: encounterRef, day });
    const due: DueRow = await createDueTask(tx, episode, kind, outcome.nextDue, now, `Observation/${classificationObs.id}`);
    await insertFollowUp(tx, {
      encounter_id: encounterRef.slice('Encounter/'.length),
      episode_id: episode.episode_id,
      patient: episode.patient,
      programme: episode.programme,
      day,
      classification: outcome.classification,
      controlled: outcome.controlled,
      decision: outcome.decision,
      rule_version: outcome.ruleVersion,
      classification_id: classificationObs.id as string,
      sbp: input.readings.sbp ?? null,
      dbp: input.readings.dbp ?? null,
      glucose: input.readings.glucose ?? null,
      hba1c: input.readings.hba1c ?? null,
      organization: options.actor.organization ?? episode.organization,
      practitioner: options.actor.practitioner ?? null,
      source: options.source,
      referral: null,
    });
    return {
      encounter: encounterRef,
      episode: `EpisodeOfCare/${episode.episode_id}`,
      patient: episode.patient,
      programme: episode.programme,
      date: day,
      classification: {
        code: outcome.classification,
        ...CLASSIFICATION_TEXT[outcome.classification],
        observation: `Observation/${classificationObs.id}`,
      },
      ruleVersion: outcome.ruleVersion,
      controlled: outcome.controlled,
      urgent: outcome.urgent,
      decision: { code: outcome.decision, ...DECISION_TEXT[outcome.decision] },
      reasons: outcome.reasons,
      nextDue: { start: due.due_start, end: due.due_end, kind, task: `Task/${due.task_id}` },
      fulfilled: fulfilled.map((id) => `Task/${id}`),
    };
  });
}
