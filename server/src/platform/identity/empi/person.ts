/** Reads the matching features of a FHIR Patient (name, birth date, sex, resident ID number, phone, address). */
import type { Patient } from '@medplum/fhirtypes';
import type { PersonRecord } from '../matching/index.js';

/** OID of the resident ID number in the national shared-document standard (WS/T 500). */
export const RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';

export function residentIdOf(patient: Patient): string | undefined {
  return patient.identifier?.find((i) => i.system === RESIDENT_ID_SYSTEM)?.value;
}

export function patientToPerson(patient: Patient): PersonRecord {
  const name = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  const address = patient.address?.[0];
  return {
    id: patient.id ?? '',
    name: name?.text ?? (name?.family || name?.given?.length ? `${name?.family ?? ''}${(name?.given ?? []).join('')}` : undefined),
    familyName: name?.family,
    givenName: name?.given?.join(''),
    birthDate: patient.birthDate,
    sex: patient.gender,
    idNumber: residentIdOf(patient),
    phone: patient.telecom?.find((t) => t.system === 'phone' || t.system === 'sms')?.value,
    address: address
      ? (address.text ?? [address.state, address.city, address.district, ...(address.line ?? [])].filter(Boolean).join(''))
      : undefined,
  };
}
