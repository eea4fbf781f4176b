/**
 * What Yiwang reads from a DICOM file itself: whether it is a DICOM Part 10 file at all (the 128-byte preamble and
 * "DICM"), and the patient's name, birth date and sex as Orthanc decoded them, turned into FHIR terms for matching.
 */
import type { InstanceTags } from './orthanc.js';

/** A DICOM Part 10 file starts with a 128-byte preamble followed by the magic "DICM". */
export function isDicomPart10(file: Buffer): boolean {
  return file.length > 132 && file.toString('latin1', 128, 132) === 'DICM';
}

export interface DicomPatient {
  /** Patient ID (0010,0020) and its issuer (0010,0021), as the sending institution wrote them. */
  patientId?: string;
  issuer?: string;
  family?: string;
  given?: string;
  /** Full name as one text (Chinese names have no space between family and given name). */
  text?: string;
  birthDate?: string;
  gender?: 'male' | 'female' | 'other' | 'unknown';
}

const HAN = /[\u3400-\u9fff]/;

/**
 * Person Name (PN): up to three component groups, alphabetic=ideographic=phonetic, each family^given^middle^prefix^suffix.
 * A Chinese name is usually in the ideographic group (or alone in the first); the ideographic one wins when it has Han
 * characters, because the resident index compares Chinese names.
 */
export function parsePersonName(pn: string | undefined): { family?: string; given?: string; text?: string } {
  if (!pn?.trim()) return {};
  const groups = pn.split('=');
  const chosen = groups.find((g) => HAN.test(g)) ?? groups[0] ?? '';
  const [family = '', given = '', middle = ''] = chosen.split('^').map((s) => s.trim());
  const givenAll = [given, middle].filter(Boolean).join(HAN.test(chosen) ? '' : ' ');
  const text = HAN.test(chosen) ? `${family}${givenAll}` : [family, givenAll].filter(Boolean).join(' ');
  return { ...(family ? { family } : {}), ...(givenAll ? { given: givenAll } : {}), ...(text ? { text } : {}) };
}

/** DA (YYYYMMDD) → FHIR date, or undefined when it is not a real calendar date. */
export function dicomDate(da: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da?.trim() ?? '');
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso) ? iso : undefined;
}

/** DA + TM → FHIR dateTime in China time (DICOM times are local to the modality). */
export function dicomDateTime(da: string | undefined, tm: string | undefined): string | undefined {
  const date = dicomDate(da);
  if (!date) return undefined;
  const t = /^(\d{2})(\d{2})?(\d{2})?/.exec(tm?.trim() ?? '');
  if (!t) return date;
  return `${date}T${t[1]}:${t[2] ?? '00'}:${t[3] ?? '00'}+08:00`;
}

export function dicomPatient(tags: InstanceTags): DicomPatient {
  const sex = tags.PatientSex?.trim().toUpperCase();
  const name = parsePersonName(tags.PatientName);
  return {
    ...(tags.PatientID?.trim() ? { patientId: tags.PatientID.trim() } : {}),
    ...(tags.IssuerOfPatientID?.trim() ? { issuer: tags.IssuerOfPatientID.trim() } : {}),
    ...name,
    ...(dicomDate(tags.PatientBirthDate) ? { birthDate: dicomDate(tags.PatientBirthDate) } : {}),
    ...(sex ? { gender: sex === 'M' ? 'male' : sex === 'F' ? 'female' : sex === 'O' ? 'other' : 'unknown' } : {}),
  };
}
