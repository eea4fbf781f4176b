/**
 * ADT (A01 admit, A03 discharge, A04 register, A08 update) → Patient + Encounter, and ADT^A40
 * (merge patient) → a merge instruction. Patient and Encounter are shared with the other mappers.
 *
 * | HL7                         | FHIR                                                                            |
 * |-----------------------------|---------------------------------------------------------------------------------|
 * | PID-3 (CX, repeating)       | Patient.identifier (system from CX-4; resident ID → urn:oid:2.16.156.10011.1.3) |
 * | PID-2, PID-4 (old versions) | Patient.identifier                                                              |
 * | PID-19 (when a resident ID) | Patient.identifier (resident ID)                                                |
 * | PID-5 (XPN, repeating)      | Patient.name (Chinese full names split; text keeps the whole name)              |
 * | PID-7                       | Patient.birthDate (+ extension patient-birthTime when a time is sent)           |
 * | PID-8                       | Patient.gender (M/F/O/U/A/N and GB/T 2261.1 1/2/0/9)                            |
 * | PID-11 (+ PID-12 county)    | Patient.address                                                                 |
 * | PID-13 / PID-14 / PID-40    | Patient.telecom (home / work)                                                   |
 * | PID-16                      | Patient.maritalStatus (table 0002 and GB/T 2261.2 → v3-MaritalStatus)           |
 * | PID-29 / PID-30             | Patient.deceasedDateTime / deceasedBoolean                                      |
 * | PV1-19 (else PV1-50)        | Encounter.identifier (type VN); without one: patient id + PV1-44,               |
 * |                             | else MSH-10 (so that at least a re-sent message is recognised)                  |
 * | PV1-2                       | Encounter.class (E→EMER, I→IMP, O→AMB, P→PRENC, R→AMB, B→IMP …)                 |
 * | event                       | Encounter.status: A01 in-progress, A03 finished, A04 arrived                    |
 * |                             | (in-progress once PV1-44 is set), A08 from the data (PV1-45 →                   |
 * |                             | finished, class P → planned, else in-progress)                                  |
 * | PV1-3                       | Encounter.location (Location, conditional create)                               |
 * | PV1-4                       | Encounter.type (v2-0007)                                                        |
 * | PV1-7 / 8 / 9 / 17          | Encounter.participant ATND / REF / CON / ADM (Practitioner)                     |
 * | PV1-10                      | Encounter.serviceType.text                                                      |
 * | PV1-14 / PV1-36             | Encounter.hospitalization.admitSource / dischargeDisposition                    |
 * | PV1-44 / PV1-45             | Encounter.period.start / end                                                    |
 * | MRG-1 (+ MRG-4)             | merge instruction: identifiers of the patient merged away                       |
 *
 * Requests: ADT writes Patient and Encounter with conditional update (PUT …?identifier=…), so a
 * re-sent or later A08 message updates the same resources; other messages only create them when
 * missing (POST with ifNoneExist) so that a lab result never overwrites registration data.
 * AL1, DG1, NK1, IN1 and OBX in ADT messages are not mapped.
 */
import type { Encounter, EncounterParticipant, Extension, HumanName, Identifier, Patient, Reference } from '@medplum/fhirtypes';
import {
  address,
  clean,
  codeableConcept,
  contactPoint,
  cxIdentifiers,
  identifierQuery,
  isChineseResidentId,
  locationRef,
  personName,
  practitionerRef,
  RESIDENT_ID_SYSTEM,
  v2IdentifierType,
  type MapContext,
} from './map-common.js';
import type { Hl7Segment } from './message.js';

const GENDER: Record<string, Patient['gender']> = {
  M: 'male',
  F: 'female',
  O: 'other',
  A: 'other',
  X: 'other',
  U: 'unknown',
  N: 'unknown',
  '1': 'male',
  '2': 'female',
  '0': 'unknown',
  '9': 'unknown',
  男: 'male',
  女: 'female',
};

const MARITAL_V3 = 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus';
const MARITAL: Record<string, [string, string]> = {
  A: ['L', 'Legally Separated'],
  E: ['L', 'Legally Separated'],
  B: ['U', 'unmarried'],
  C: ['T', 'Domestic partner'],
  G: ['T', 'Domestic partner'],
  P: ['T', 'Domestic partner'],
  R: ['T', 'Domestic partner'],
  D: ['D', 'Divorced'],
  I: ['I', 'Interlocutory'],
  M: ['M', 'Married'],
  N: ['A', 'Annulled'],
  S: ['S', 'Never Married'],
  W: ['W', 'Widowed'],
  '10': ['S', 'Never Married'],
  '20': ['M', 'Married'],
  '21': ['M', 'Married'],
  '22': ['M', 'Married'],
  '23': ['M', 'Married'],
  '30': ['W', 'Widowed'],
  '40': ['D', 'Divorced'],
};

export interface MappedPatient {
  patient: Patient;
  /** The identifier used for conditional requests and references. */
  key?: Identifier;
}

function dedupe(ids: Identifier[]): Identifier[] {
  const seen = new Set<string>();
  return ids.filter((i) => {
    const k = `${i.system}|${i.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Chooses the identifier that names this source system's patient record: a local one first. */
function keyIdentifier(ids: Identifier[]): Identifier | undefined {
  const local = ids.filter((i) => i.system !== RESIDENT_ID_SYSTEM);
  const preferred = local.find((i) => ['MR', 'PI', 'PT', 'PN'].includes(i.type?.coding?.[0]?.code ?? ''));
  return preferred ?? local[0] ?? ids[0];
}

export function patientIdentifiers(pid: Hl7Segment, ctx: MapContext): Identifier[] {
  const ids: Identifier[] = [];
  for (const rep of pid.field(3).values) ids.push(...cxIdentifiers(rep, ctx, 'id'));
  for (const f of [2, 4]) for (const rep of pid.field(f).values) ids.push(...cxIdentifiers(rep, ctx, 'id'));
  const ssn = pid.get(19).trim();
  if (ssn && isChineseResidentId(ssn)) ids.push(...cxIdentifiers(pid.field(19).rep(1), ctx, 'id'));
  return dedupe(ids);
}

export function mapPatient(pid: Hl7Segment, ctx: MapContext): MappedPatient {
  const identifier = patientIdentifiers(pid, ctx);
  const names = pid
    .field(5)
    .values.map((r) => personName(r))
    .filter((n): n is HumanName => !!n);
  const birth = pid.get(7).trim();
  const birthDate = ctx.date(birth);
  const extension: Extension[] = [];
  if (birth.length > 8 && birthDate) {
    const time = ctx.dateTime(birth);
    if (time) extension.push({ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: time });
  }
  const county = pid.get(12);
  const marital = MARITAL[pid.get(16).trim().toUpperCase()];
  const unknownMarital = ['T', 'U', '90'].includes(pid.get(16).trim().toUpperCase());
  const deathTime = ctx.dateTime(pid.get(29));
  const deathFlag = pid.get(30).trim().toUpperCase();
  const telecom = [
    ...pid.field(13).values.map((r) => contactPoint(r, 'home')),
    ...pid.field(14).values.map((r) => contactPoint(r, 'work')),
    ...pid.field(40).values.map((r) => contactPoint(r, 'home')),
  ];
  const patient = clean<Patient>({
    resourceType: 'Patient',
    identifier,
    name: names,
    gender: GENDER[pid.get(8).trim().toUpperCase()] ?? GENDER[pid.get(8).trim()],
    birthDate,
    _birthDate: extension.length ? { extension } : undefined,
    address: pid.field(11).values.map((r) => address(r, county)),
    telecom,
    maritalStatus: marital
      ? { coding: [{ system: MARITAL_V3, code: marital[0], display: marital[1] }] }
      : unknownMarital
        ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' }] }
        : undefined,
    deceasedDateTime: deathTime,
    deceasedBoolean: !deathTime && (deathFlag === 'Y' || deathFlag === 'N') ? deathFlag === 'Y' : undefined,
  } as Patient);
  return { patient, key: keyIdentifier(identifier) };
}

/**
 * Adds the patient of a PID segment to the bundle: conditional update for ADT (`PUT`), create-if-
 * missing otherwise (`POST`). Returns the reference to use in other resources.
 */
export function patientEntry(pid: Hl7Segment, ctx: MapContext, method: 'PUT' | 'POST'): { subject: Reference<Patient>; key?: Identifier } {
  const { patient, key } = mapPatient(pid, ctx);
  const name = patient.name?.[0];
  const display = name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  if (!key) {
    ctx.warn(`PID(${pid.occurrence}): no patient identifier; the patient is created without a condition`);
    return { subject: clean({ reference: ctx.builder.add(patient, 'POST'), display }) };
  }
  return { subject: clean({ reference: ctx.builder.add(patient, method, identifierQuery(key)), display }), key };
}

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CLASS: Record<string, [string, string]> = {
  E: ['EMER', 'emergency'],
  I: ['IMP', 'inpatient encounter'],
  O: ['AMB', 'ambulatory'],
  P: ['PRENC', 'pre-admission'],
  R: ['AMB', 'ambulatory'],
  B: ['IMP', 'inpatient encounter'],
  C: ['AMB', 'ambulatory'],
};

export function encounterClass(code: string): Encounter['class'] {
  const c = code.trim().toUpperCase();
  const m = CLASS[c];
  if (m) return { system: ACT_CODE, code: m[0], display: m[1] };
  if (c) return { system: 'http://terminology.hl7.org/CodeSystem/v2-0004', code: c };
  return { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' };
}

const PARTICIPANT: Array<[number, string, string]> = [
  [7, 'ATND', 'attender'],
  [8, 'REF', 'referrer'],
  [9, 'CON', 'consultant'],
  [17, 'ADM', 'admitter'],
];

/** Encounter.status for an ADT event (see the table at the top). */
export function encounterStatus(event: string, pv1: Hl7Segment): Encounter['status'] {
  const discharged = !pv1.field(45).isEmpty;
  switch (event) {
    case 'A01':
      return 'in-progress';
    case 'A03':
      return 'finished';
    case 'A04':
      return pv1.field(44).isEmpty ? 'arrived' : 'in-progress';
    default:
      if (discharged) return 'finished';
      if (pv1.get(2).trim().toUpperCase() === 'P') return 'planned';
      return 'in-progress';
  }
}

function visitIdentifier(pv1: Hl7Segment, ctx: MapContext, patientKey: Identifier | undefined): Identifier | undefined {
  for (const f of [19, 50]) {
    const rep = pv1.field(f).rep(1);
    const id = cxIdentifiers(rep, ctx, 'visit').find((i) => i.system !== RESIDENT_ID_SYSTEM);
    if (id) return { ...id, type: id.type ?? v2IdentifierType('VN') };
  }
  const admit = pv1.get(44).trim();
  if (patientKey?.value && admit) {
    ctx.warn('PV1-19 (visit number) is empty: the encounter is keyed by patient identifier and admit time');
    return { system: ctx.localSystem('visit-admit'), value: `${patientKey.value}/${admit}` };
  }
  if (ctx.msg.controlId) {
    // Only a re-send of this very message will find it again.
    ctx.warn('PV1 has neither a visit number nor an admit time: the encounter is keyed by the message control id');
    return { system: ctx.localSystem('visit-message'), value: `${ctx.msg.controlId}-${pv1.occurrence}` };
  }
  return undefined;
}

/**
 * Adds the encounter of a PV1 segment. `method` PUT (ADT) updates it, POST creates it when missing.
 * Returns undefined when there is nothing to identify the visit by.
 */
export function encounterEntry(
  pv1: Hl7Segment,
  ctx: MapContext,
  subject: Reference,
  patientKey: Identifier | undefined,
  status: Encounter['status'],
  method: 'PUT' | 'POST',
): Reference | undefined {
  const identifier = visitIdentifier(pv1, ctx, patientKey);
  const participant: EncounterParticipant[] = [];
  for (const [field, code, display] of PARTICIPANT) {
    for (const rep of pv1.field(field).values) {
      const individual = practitionerRef(rep, ctx);
      if (individual) {
        participant.push({
          type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code, display }] }],
          individual,
        });
      }
    }
  }
  const loc = locationRef(pv1.field(3).rep(1), ctx);
  const admitType = pv1.get(4).trim();
  const admitSource = pv1.get(14).trim();
  const disposition = pv1.get(36).trim();
  const encounter = clean<Encounter>({
    resourceType: 'Encounter',
    identifier: identifier ? [identifier] : undefined,
    status,
    class: encounterClass(pv1.get(2)),
    type: admitType ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0007', code: admitType }] }] : undefined,
    serviceType: pv1.get(10).trim() ? { text: pv1.get(10).trim() } : undefined,
    subject,
    participant,
    period: { start: ctx.dateTime(pv1.get(44)), end: ctx.dateTime(pv1.get(45)) },
    location: loc
      ? [{ location: loc, status: status === 'finished' ? 'completed' : status === 'planned' ? 'planned' : 'active' }]
      : undefined,
    hospitalization: {
      admitSource: admitSource ? codeableConcept(pv1.field(14).rep(1), ctx) : undefined,
      dischargeDisposition: disposition ? codeableConcept(pv1.field(36).rep(1), ctx) : undefined,
    },
  } as Encounter);
  if (!identifier) {
    if (method === 'PUT') {
      ctx.warn('PV1 has no visit number, admit time or message control id: the encounter is created unconditionally');
      return { reference: ctx.builder.add(encounter, 'POST') };
    }
    return undefined;
  }
  return { reference: ctx.builder.add(encounter, method, identifierQuery(identifier)) };
}

/** ADT^A01/A03/A04/A08 → transaction entries for Patient and Encounter. */
export function mapAdt(ctx: MapContext, event: string): void {
  const pid = ctx.msg.segment('PID');
  if (!pid) return;
  const { subject, key } = patientEntry(pid, ctx, 'PUT');
  const pv1 = ctx.msg.segment('PV1');
  if (pv1) encounterEntry(pv1, ctx, subject, key, encounterStatus(event, pv1), 'PUT');
}

/** One surviving patient and the identifiers merged into it (one PID/MRG pair of an A40). */
export interface PatientMerge {
  /** Identifiers of the surviving patient (PID-3 …). */
  surviving: Identifier[];
  /** Conditional reference to the surviving patient, e.g. `Patient?identifier=sys|123`. */
  survivingReference: string;
  /** Identifiers of the patient record(s) merged away (MRG-1, MRG-4). */
  merged: Identifier[];
  /** Conditional reference to the record merged away. */
  mergedReference: string;
  /** The surviving patient as described by PID, for updating it after the merge. */
  patient: Patient;
  /** MRG-3 prior patient account number and MRG-5 prior visit number, when sent. */
  priorAccount?: string;
  priorVisit?: string;
}

/** What to do for ADT^A40: merge each `merged` record into its `surviving` one. */
export interface MergeInstruction {
  kind: 'patient-merge';
  event: 'A40';
  /** MSH-10 of the message, for idempotency checks. */
  controlId: string;
  sender: string;
  merges: PatientMerge[];
}

export function mapMerge(ctx: MapContext): MergeInstruction {
  const merges: PatientMerge[] = [];
  const segs = ctx.msg.segments();
  segs.forEach((seg, i) => {
    if (seg.name !== 'PID') return;
    const mrg = segs.slice(i + 1).find((s) => s.name === 'MRG' || s.name === 'PID');
    if (!mrg || mrg.name !== 'MRG') {
      ctx.warn(`PID(${seg.occurrence}) has no MRG segment: nothing to merge`);
      return;
    }
    const { patient, key } = mapPatient(seg, ctx);
    const merged = dedupe([...mrg.field(1).values, ...mrg.field(4).values].flatMap((r) => cxIdentifiers(r, ctx, 'id')));
    const mergedKey = keyIdentifier(merged);
    if (!key || !mergedKey) {
      ctx.warn(`PID(${seg.occurrence})/MRG: surviving or merged identifier missing`);
      return;
    }
    merges.push(
      clean<PatientMerge>({
        surviving: patient.identifier ?? [],
        survivingReference: `Patient?${identifierQuery(key)}`,
        merged,
        mergedReference: `Patient?${identifierQuery(mergedKey)}`,
        patient,
        priorAccount: mrg.get(3).trim() || undefined,
        priorVisit: mrg.get(5).trim() || undefined,
      }),
    );
  });
  return { kind: 'patient-merge', event: 'A40', controlId: ctx.msg.controlId, sender: ctx.sender, merges };
}
