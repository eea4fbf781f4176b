/**
 * Event handlers (every committed write, delivered at least once; each is idempotent):
 *  - enrolment from the problem list: a confirmed, active hypertension / type-2 diabetes problem of a resident old
 *    enough enrols them (once) — so residents diagnosed anywhere, and those of the demo county, are on the registry;
 *  - screening (机会性筛查): a raised BP or fasting glucose of a resident ≥ 35 who is not under management and has no such
 *    diagnosis flags them for confirmation (a Flag and a workflow Task for the family doctor, once per programme);
 *  - home readings: a managed patient's out-of-range home readings (enough of them within the window) raise a task
 *    for the family doctor, once while it is open.
 */
import type { Condition, Flag, Observation, Patient } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ResourceEvent } from '../../platform/events/types.js';
import { SYSTEM_ACTOR } from '../../platform/workflow/actor.js';
import { addDays, ageOn, meetsTarget, targetFor } from './classify.js';
import { countyToday, type ChronicDeps } from './deps.js';
import { enrol, programmeCondition } from './enrol.js';
import { find } from './fhir.js';
import { CHRONIC_SYSTEM, HOME_READING_SYSTEM, ICD10, PROGRAMME_TEXT } from './model.js';
import { readingsOf, type ObservedReadings } from './readings.js';
import { chinaDay, PROGRAMMES, rulesInForce, type Programme } from './rules.js';
import { activeEpisodes } from './store.js';

export const SCREENING_WORKFLOW = 'chronic-screening';
export const HOME_WORKFLOW = 'chronic-home-readings';
export const SCREENING_FLAG_CODE = (p: Programme) => `suspected-${p}`;

const isProblem = (c: Condition) =>
  c.category?.some((x) => x.coding?.some((y) => y.code === 'problem-list-item')) &&
  c.verificationStatus?.coding?.some((x) => x.code === 'confirmed') &&
  c.clinicalStatus?.coding?.some((x) => x.code === 'active');

export async function onCondition(deps: ChronicDeps, repo: Repository, event: ResourceEvent): Promise<void> {
  const c = (await repo.read('Condition', event.id).catch(() => undefined)) as Condition | undefined;
  if (!c || !isProblem(c) || !c.subject?.reference?.startsWith('Patient/')) return;
  const today = countyToday(deps);
  const rules = rulesInForce(deps.rules, today);
  for (const programme of PROGRAMMES) {
    const prefixes = rules.programmes[programme].condition.prefixes;
    if (!c.code?.coding?.some((x) => x.system === ICD10 && prefixes.some((p) => x.code?.startsWith(p)))) continue;
    const patient = (await repo.read('Patient', c.subject.reference.slice(8)).catch(() => undefined)) as Patient | undefined;
    if (!patient?.birthDate || ageOn(patient.birthDate, today) < rules.programmes[programme].minAge) continue;
    if ((await activeEpisodes(repo, c.subject.reference)).some((e) => e.programme === programme)) continue;
    const recorded = c.recordedDate ?? c.onsetDateTime;
    const start = recorded && chinaDay(recorded) <= today ? chinaDay(recorded) : today;
    const startOk = ageOn(patient.birthDate, start) >= rules.programmes[programme].minAge ? start : today;
    await enrol(repo, deps, { patient: c.subject.reference, programme, start: startOk, diagnosis: `Condition/${c.id}` }, 'return');
  }
}

/** Which programmes a reading is raised for, by the screening thresholds in force on its date. */
export function raisedFor(deps: ChronicDeps, r: ObservedReadings, day: string): Programme[] {
  const s = rulesInForce(deps.rules, day).screening;
  const out: Programme[] = [];
  if ((r.sbp ?? 0) >= s.sbpAtLeast || (r.dbp ?? 0) >= s.dbpAtLeast) out.push('hypertension');
  if ((r.glucose ?? 0) >= s.fastingGlucoseAtLeast) out.push('diabetes');
  return out;
}

const isHome = (o: Observation) => o.category?.some((c) => c.coding?.some((x) => x.system === HOME_READING_SYSTEM && x.code === 'home'));

export async function onObservation(deps: ChronicDeps, repo: Repository, event: ResourceEvent): Promise<void> {
  const o = (await repo.read('Observation', event.id).catch(() => undefined)) as Observation | undefined;
  const subject = o?.subject?.reference;
  if (!o || !subject?.startsWith('Patient/')) return;
  const readings = readingsOf(o);
  if (readings.sbp === undefined && readings.glucose === undefined) return;
  const day = chinaDay(o.effectiveDateTime ?? o.issued ?? event.occurredAt);
  const episodes = await activeEpisodes(repo, subject);
  if (isHome(o) && episodes.length) await homeTrend(deps, repo, subject, o, day);
  const raised = raisedFor(deps, readings, day).filter((p) => !episodes.some((e) => e.programme === p));
  if (!raised.length) return;
  const patient = (await repo.read('Patient', subject.slice(8)).catch(() => undefined)) as Patient | undefined;
  const rules = rulesInForce(deps.rules, day);
  if (!patient?.birthDate || ageOn(patient.birthDate, day) < rules.screening.minAge) return;
  for (const programme of raised) await flagForConfirmation(deps, repo, patient, programme, o, readings);
}

async function flagForConfirmation(
  deps: ChronicDeps,
  repo: Repository,
  patient: Patient,
  programme: Programme,
  o: Observation,
  r: ObservedReadings,
): Promise<void> {
  const subject = `Patient/${patient.id}`;
  const rules = rulesInForce(deps.rules, countyToday(deps));
  if (await programmeCondition(repo, subject, programme, rules.programmes[programme].condition.prefixes)) return;
  const code = SCREENING_FLAG_CODE(programme);
  await repo.withTransaction(async (tx) => {
    // One open flag per resident and programme, whichever delivery or reading comes first.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`chronic-screen:${tx.tenant}:${subject}:${programme}`]);
    const flags = await find<Flag>(tx, 'Flag', `patient=${subject}`, 200);
    const open = flags.filter((f) => f.status === 'active' && f.code?.coding?.some((c) => c.system === CHRONIC_SYSTEM && c.code === code));
    if (open.length) return;
    const value = programme === 'hypertension' ? `血压 ${r.sbp}/${r.dbp} mmHg` : `血糖 ${r.glucose} mmol/L`;
    const owner =
      patient.generalPractitioner?.find((g) => g.reference?.startsWith('Practitioner/'))?.reference ??
      patient.managingOrganization?.reference;
    const flag = (
      await tx.create({
        resourceType: 'Flag',
        status: 'active',
        category: [{ coding: [{ system: CHRONIC_SYSTEM, code: 'chronic-screening', display: '慢病筛查' }] }],
        code: {
          coding: [{ system: CHRONIC_SYSTEM, code, display: `疑似${PROGRAMME_TEXT[programme].icdText}` }],
          text: `疑似${PROGRAMME_TEXT[programme].icdText}，待确诊（${value}）`,
        },
        subject: { reference: subject },
        period: { start: o.effectiveDateTime ?? new Date(deps.clock.now()).toISOString() },
        extension: [
          { url: 'https://yiwang.cn/fhir/StructureDefinition/flag-evidence', valueReference: { reference: `Observation/${o.id}` } },
        ],
        ...(patient.managingOrganization ? { author: patient.managingOrganization } : {}),
      } satisfies Flag)
    ).resource as Flag;
    if (!owner) return;
    await deps.workflows.start(tx, SYSTEM_ACTOR, {
      workflow: SCREENING_WORKFLOW,
      focus: `Flag/${flag.id}`,
      for: subject,
      owner,
      ...(patient.managingOrganization?.reference
        ? { requesterOrganization: patient.managingOrganization.reference, requester: patient.managingOrganization.reference }
        : {}),
      description: `${value}：疑似${PROGRAMME_TEXT[programme].icdText}，请复测确诊（35岁以上机会性筛查）— raised reading, confirm the diagnosis`,
    });
  });
}

/** Out-of-range home readings of a managed patient within the window → one open task for the family doctor. */
async function homeTrend(deps: ChronicDeps, repo: Repository, subject: string, latest: Observation, day: string): Promise<void> {
  const rules = rulesInForce(deps.rules, day);
  const episodes = await activeEpisodes(repo, subject);
  const since = addDays(day, -rules.homeReadings.windowDays + 1);
  const home = await find<Observation>(repo, 'Observation', `patient=${subject}&category=${HOME_READING_SYSTEM}|home&date=ge${since}`, 200);
  const out = home.filter((o) => {
    const r = readingsOf(o);
    const oDay = chinaDay(o.effectiveDateTime ?? '');
    return episodes.some((e) => {
      const age = e.birth_date ? ageOn(e.birth_date, oDay) : 40;
      const target = targetFor(rules, e.programme, age);
      const urgent = rules.programmes[e.programme].urgent;
      if (e.programme === 'hypertension' && r.sbp !== undefined) return meetsTarget(target, r) === false;
      if (e.programme === 'diabetes' && r.glucose !== undefined)
        return meetsTarget(target, r) === false || (urgent.glucoseAtMost !== undefined && r.glucose <= urgent.glucoseAtMost);
      return false;
    });
  });
  if (out.length < rules.homeReadings.outOfRangeAtLeast) return;
  const owner = episodes.find((e) => e.village_doctor)?.village_doctor ?? episodes[0]?.organization;
  if (!owner) return;
  await repo.withTransaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`chronic-home:${tx.tenant}:${subject}`]);
    const open = await tx.query<{ task_id: string }>(
      `SELECT task_id FROM workflow_task WHERE tenant = $1 AND workflow = $2 AND patient = $3 AND NOT final LIMIT 1`,
      [tx.tenant, HOME_WORKFLOW, subject],
    );
    if (open.length) return;
    await deps.workflows.start(tx, SYSTEM_ACTOR, {
      workflow: HOME_WORKFLOW,
      focus: `Observation/${latest.id}`,
      for: subject,
      owner,
      ...(episodes[0]?.organization ? { requesterOrganization: episodes[0].organization, requester: episodes[0].organization } : {}),
      description: `近${rules.homeReadings.windowDays}天家庭自测 ${out.length} 次超出目标，请联系居民 — ${out.length} out-of-range home readings in ${rules.homeReadings.windowDays} days`,
      input: out.slice(0, 10).map((o) => ({ type: { text: 'reading' }, valueReference: { reference: `Observation/${o.id}` } })),
    });
  });
}
