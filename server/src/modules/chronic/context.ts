/**
 * Prevention inside care (医防融合) at the point of care: for one resident, what the clinic screen shows — the
 * programmes they are in with the last follow-up and what is due, the values to pre-fill the form with (latest
 * readings, current medicines), clinic visits anywhere with a BP/glucose that can be credited as a follow-up, and the
 * prompts of what else is due (annual check, HbA1c, BP screening, vaccines) from dated prompt data.
 */
import type { Encounter, Immunization, MedicationRequest, Observation, Patient } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { loadDatedFrom } from '../reading/dated.js';
import { addDays, addMonths, ageOn } from './classify.js';
import { find } from './fhir.js';
import { ENCOUNTER_TYPE_SYSTEM, LOINC_CODES } from './model.js';
import { mergeReadings, readingsOf, type ObservedReadings } from './readings.js';
import { chinaDay, type Programme } from './rules.js';
import type { EpisodeRow } from './store.js';

export interface PromptItem {
  id: string;
  zh: string;
  en: string;
  when: { enrolled?: boolean; minAge?: number; programme?: Programme; notEnrolled?: Programme };
  everyMonths?: number;
  once?: boolean;
  evidence: { encounterText?: string[]; observationCodes?: string[]; vaccineText?: string[] };
}
export interface PromptVersion {
  version: string;
  effective: string;
  items: PromptItem[];
}

export function loadPrompts(): PromptVersion[] {
  return loadDatedFrom<PromptVersion>(import.meta.url, 'prompts', (v, file) => {
    for (const i of v.items ?? [])
      if (!i.id || !i.zh || !i.en || (!i.everyMonths && !i.once))
        throw new Error(`chronic prompts ${file}: item '${i.id}' needs id, zh, en and everyMonths or once`);
  });
}

export interface Prompt {
  id: string;
  zh: string;
  en: string;
  /** The last time it was done (YYYY-MM-DD), if ever. */
  last?: string;
}

export interface Creditable {
  encounter: string;
  date: string;
  organization?: string;
  readings: ObservedReadings;
  observations: string[];
  /** Episodes (programmes) this visit can be credited to. */
  episodes: { id: string; programme: Programme }[];
}

const dayOfEncounter = (e: Encounter) => chinaDay(e.period?.start ?? e.meta?.lastUpdated ?? '1970-01-01');
const isFollowUpEncounter = (e: Encounter) =>
  e.type?.some(
    (t) => t.text?.includes('随访') || t.coding?.some((c) => c.system === ENCOUNTER_TYPE_SYSTEM && c.code?.endsWith('-follow-up')),
  );

/** Clinic visits of the last `days` days with a BP or glucose reading, not follow-ups themselves and not yet credited. */
export async function creditableVisits(
  repo: Repository,
  patient: string,
  episodes: EpisodeRow[],
  today: string,
  days = 90,
): Promise<Creditable[]> {
  if (!episodes.length) return [];
  const since = addDays(today, -days);
  const encounters = (await find<Encounter>(repo, 'Encounter', `patient=${patient}&date=ge${since}`, 100)).filter(
    (e) => !isFollowUpEncounter(e),
  );
  if (!encounters.length) return [];
  const credited = new Set(
    (
      await repo.query<{ encounter_id: string }>('SELECT encounter_id FROM chronic_followup WHERE tenant = $1 AND patient = $2', [
        repo.tenant,
        patient,
      ])
    ).map((r) => r.encounter_id),
  );
  const days_ = await repo.query<{ episode_id: string; day: unknown }>(
    'SELECT episode_id, day FROM chronic_followup WHERE tenant = $1 AND patient = $2',
    [repo.tenant, patient],
  );
  const taken = new Set(
    days_.map((d) => `${d.episode_id}:${chinaDay(d.day instanceof Date ? d.day.toISOString() : String(d.day).slice(0, 10))}`),
  );
  const out: Creditable[] = [];
  for (const e of encounters) {
    if (credited.has(e.id as string)) continue;
    const obs = await find<Observation>(repo, 'Observation', `encounter=Encounter/${e.id}`, 50);
    const withReadings = obs.filter((o) => Object.keys(readingsOf(o)).length);
    const readings = mergeReadings(withReadings);
    const date = dayOfEncounter(e);
    const fits = episodes.filter(
      (ep) =>
        date >= ep.start_date &&
        !taken.has(`${ep.episode_id}:${date}`) &&
        (ep.programme === 'hypertension' ? readings.sbp !== undefined && readings.dbp !== undefined : readings.glucose !== undefined),
    );
    if (!fits.length) continue;
    out.push({
      encounter: `Encounter/${e.id}`,
      date,
      ...(e.serviceProvider?.reference ? { organization: e.serviceProvider.reference } : {}),
      readings,
      observations: withReadings.map((o) => `Observation/${o.id}`),
      episodes: fits.map((f) => ({ id: f.episode_id, programme: f.programme })),
    });
  }
  return out.sort((a, b) => b.date.localeCompare(a.date));
}

/** What else is due for this resident, by the prompt data in force today. */
export async function duePrompts(
  repo: Repository,
  versions: PromptVersion[],
  patient: Patient,
  episodes: EpisodeRow[],
  today: string,
): Promise<Prompt[]> {
  const v = versions.filter((x) => x.effective <= today).pop();
  if (!v || !patient.birthDate) return [];
  const age = ageOn(patient.birthDate, today);
  const ref = `Patient/${patient.id}`;
  const encounters = await find<Encounter>(repo, 'Encounter', `patient=${ref}&_sort=-date`, 200);
  const observations = await find<Observation>(repo, 'Observation', `patient=${ref}&_sort=-date`, 300);
  const immunizations = await find<Immunization>(repo, 'Immunization', `patient=${ref}`, 200);
  const out: Prompt[] = [];
  for (const item of v.items) {
    const w = item.when;
    if (w.minAge !== undefined && age < w.minAge) continue;
    if (w.enrolled && !episodes.length) continue;
    if (w.programme && !episodes.some((e) => e.programme === w.programme)) continue;
    if (w.notEnrolled && episodes.some((e) => e.programme === w.notEnrolled)) continue;
    const dates: string[] = [];
    for (const e of encounters)
      if (item.evidence.encounterText?.some((t) => e.type?.some((x) => x.text?.includes(t)))) dates.push(dayOfEncounter(e));
    for (const o of observations)
      if (item.evidence.observationCodes?.some((c) => o.code?.coding?.some((x) => x.code === c)))
        dates.push(chinaDay(o.effectiveDateTime ?? '1970-01-01'));
    for (const i of immunizations) {
      const text = [i.vaccineCode?.text, ...(i.vaccineCode?.coding ?? []).map((c) => c.display)].join(' ').toLowerCase();
      if (item.evidence.vaccineText?.some((t) => text.includes(t.toLowerCase())))
        dates.push(chinaDay(i.occurrenceDateTime ?? '1970-01-01'));
    }
    const last = dates.sort().pop();
    const due = item.once ? !last : !last || addMonths(last, item.everyMonths as number) <= today;
    if (due) out.push({ id: item.id, zh: item.zh, en: item.en, ...(last ? { last } : {}) });
  }
  return out;
}

/** Values to pre-fill the follow-up form with: the latest readings and body measures, and current medicines. */
export async function prefill(
  repo: Repository,
  patient: string,
): Promise<{ readings: ObservedReadings & { weight?: number; height?: number; waist?: number }; medication: string[] }> {
  const observations = await find<Observation>(repo, 'Observation', `patient=${patient}&_sort=-date`, 200);
  const readings: ObservedReadings & { weight?: number; height?: number; waist?: number } = { ...mergeReadings(observations) };
  const latest = (code: string) =>
    observations
      .filter((o) => o.code?.coding?.some((c) => c.code === code))
      .sort((a, b) => (b.effectiveDateTime ?? '').localeCompare(a.effectiveDateTime ?? ''))[0]?.valueQuantity?.value;
  for (const [k, code] of [
    ['weight', LOINC_CODES.weight],
    ['height', LOINC_CODES.height],
    ['waist', LOINC_CODES.waist],
  ] as const) {
    const v = latest(code);
    if (typeof v === 'number') readings[k] = v;
  }
  const meds = await find<MedicationRequest>(repo, 'MedicationRequest', `patient=${patient}&status=active`, 50);
  const medication = [
    ...new Set(
      meds
        .map((m) => m.medicationCodeableConcept?.text ?? m.medicationCodeableConcept?.coding?.[0]?.display)
        .filter((x): x is string => !!x),
    ),
  ];
  return { readings, medication };
}
