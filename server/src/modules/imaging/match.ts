/**
 * Is this study the requested resident's? A study is tied to a resident through the resident index's rules, never by
 * the DICOM Patient ID alone (every hospital numbers its patients its own way, so IDs collide across institutions):
 *
 *   - a Patient ID that is a valid resident ID number decides: the same number → the resident; another → a conflict;
 *   - otherwise the header's name, birth date and sex are scored against the requested resident with the resident
 *     index's Fellegi–Sunter rules in force that day: only a "match" decision links; "review" or "non-match" go to the
 *     reconciliation queue, for a person to decide.
 */
import type { Patient } from '@medplum/fhirtypes';
import { validateIdNumber } from '../../platform/identity/id-number.js';
import { patientToPerson, residentIdOf } from '../../platform/identity/empi/index.js';
import { rulesOn } from '../../platform/identity/empi/candidates.js';
import { scorePair, type PersonRecord } from '../../platform/identity/matching/index.js';
import type { DicomPatient } from '../../platform/exchange/dicomweb/dicom.js';

export interface MatchOutcome {
  decision: 'match' | 'review' | 'non-match';
  reason: string;
  weight?: number;
}

export function dicomPerson(d: DicomPatient): PersonRecord {
  const check = d.patientId ? validateIdNumber(d.patientId) : undefined;
  const id = check?.valid ? check.idNumber : undefined;
  return {
    id: 'dicom',
    name: d.text,
    familyName: d.family,
    givenName: d.given,
    birthDate: d.birthDate,
    sex: d.gender,
    idNumber: id,
  };
}

export function matchStudy(patient: Patient, d: DicomPatient, day: string): MatchOutcome {
  const person = dicomPerson(d);
  const residentId = residentIdOf(patient);
  if (person.idNumber && residentId) {
    return person.idNumber === residentId
      ? { decision: 'match', reason: 'same resident ID number (身份证号一致)' }
      : { decision: 'non-match', reason: 'the study carries another resident ID number (影像中的身份证号与申请居民不同)' };
  }
  if (!person.name && !person.birthDate) {
    return { decision: 'non-match', reason: 'the study has no patient name or birth date (影像缺少患者姓名和出生日期)' };
  }
  const score = scorePair(patientToPerson(patient), person, { rules: rulesOn(day) });
  if (score.decision === 'match') return { decision: 'match', reason: `demographics match (weight ${score.weight})`, weight: score.weight };
  return {
    decision: score.decision === 'review' ? 'review' : 'non-match',
    reason:
      score.decision === 'review'
        ? `demographics only partly match the requested resident (weight ${score.weight}${score.cappedBy ? `, ${score.cappedBy}` : ''}) — 患者信息与申请居民不完全一致`
        : `demographics do not match the requested resident (weight ${score.weight}) — 患者信息与申请居民不符`,
    weight: score.weight,
  };
}

/** What the queue may keep of the header: a Patient ID that is a resident ID number is masked. */
export function maskedDemographics(d: DicomPatient): DicomPatient {
  const id = d.patientId;
  const masked = id && validateIdNumber(id).valid ? `${id.slice(0, 6)}********${id.slice(-4)}` : id;
  return { ...d, ...(masked ? { patientId: masked } : {}) };
}
