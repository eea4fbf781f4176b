/**
 * A stored DICOM study as a FHIR ImagingStudy: identifier urn:dicom:uid, the resident, the request (basedOn), series
 * and instances with their UIDs and SOP classes. Later uploads of the same study add series and instances (union by
 * UID), so a re-sent image never doubles.
 */
import type { Identifier, ImagingStudy, ImagingStudySeries } from '@medplum/fhirtypes';
import { validateIdNumber } from '../../platform/identity/id-number.js';
import { dicomDateTime } from '../../platform/exchange/dicomweb/dicom.js';
import type { InstanceTags } from '../../platform/exchange/dicomweb/orthanc.js';
import { studyIdentifier, SYSTEMS } from './model.js';

export interface InstanceInfo {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  sopClass: string;
  modality: string;
  seriesNumber?: number;
  seriesDescription?: string;
  instanceNumber?: number;
  studyDescription?: string;
  started?: string;
  accession?: string;
  bodyPart?: string;
}

const int = (v: string | undefined): number | undefined => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

export function instanceInfo(tags: InstanceTags): InstanceInfo {
  return {
    studyUid: (tags.StudyInstanceUID ?? '').trim(),
    seriesUid: (tags.SeriesInstanceUID ?? '').trim(),
    sopUid: (tags.SOPInstanceUID ?? '').trim(),
    sopClass: (tags.SOPClassUID ?? '').trim(),
    modality: (tags.Modality ?? '').trim().toUpperCase(),
    ...(int(tags.SeriesNumber) !== undefined ? { seriesNumber: int(tags.SeriesNumber) } : {}),
    ...(tags.SeriesDescription?.trim() ? { seriesDescription: tags.SeriesDescription.trim() } : {}),
    ...(int(tags.InstanceNumber) !== undefined ? { instanceNumber: int(tags.InstanceNumber) } : {}),
    ...(tags.StudyDescription?.trim() ? { studyDescription: tags.StudyDescription.trim() } : {}),
    ...(dicomDateTime(tags.StudyDate, tags.StudyTime) ? { started: dicomDateTime(tags.StudyDate, tags.StudyTime) } : {}),
    ...(tags.AccessionNumber?.trim() ? { accession: tags.AccessionNumber.trim() } : {}),
    ...(tags.BodyPartExamined?.trim() ? { bodyPart: tags.BodyPartExamined.trim() } : {}),
  };
}

const modalityCoding = (code: string) => ({ system: SYSTEMS.dicomModality, code });

/** The ImagingStudy for `instances`, merged into `existing` when the study is already in the record. */
export function buildImagingStudy(
  instances: InstanceInfo[],
  ctx: { patient: string; serviceRequest: string; referrer?: string; existing?: ImagingStudy; note?: string; sourcePatientId?: Identifier },
): ImagingStudy {
  const first = instances[0]!;
  const series = new Map<string, ImagingStudySeries>();
  for (const s of ctx.existing?.series ?? []) series.set(s.uid, { ...s, instance: [...(s.instance ?? [])] });
  for (const i of instances) {
    const s: ImagingStudySeries = series.get(i.seriesUid) ?? {
      uid: i.seriesUid,
      ...(i.seriesNumber !== undefined ? { number: i.seriesNumber } : {}),
      modality: modalityCoding(i.modality),
      ...(i.seriesDescription ? { description: i.seriesDescription } : {}),
      instance: [],
    };
    if (!s.instance?.some((x) => x.uid === i.sopUid)) {
      s.instance = [
        ...(s.instance ?? []),
        {
          uid: i.sopUid,
          sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${i.sopClass}` },
          ...(i.instanceNumber !== undefined ? { number: i.instanceNumber } : {}),
        },
      ];
    }
    s.numberOfInstances = s.instance?.length ?? 0;
    series.set(i.seriesUid, s);
  }
  const all = [...series.values()].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  const modalities = [...new Set(all.map((s) => s.modality.code as string))];
  // The sending hospital's own Patient ID, kept for tracing (never used to link: hospitals number patients their own way).
  const sources = (ctx.existing?.extension ?? []).filter((e) => e.url === SOURCE_PATIENT_ID_EXT);
  if (ctx.sourcePatientId && !sources.some((e) => sameIdentifier(e.valueIdentifier, ctx.sourcePatientId)))
    sources.push({ url: SOURCE_PATIENT_ID_EXT, valueIdentifier: ctx.sourcePatientId });
  const basedOn = new Set([...(ctx.existing?.basedOn ?? []).map((b) => b.reference as string), ctx.serviceRequest]);
  return {
    resourceType: 'ImagingStudy',
    ...(ctx.existing?.id ? { id: ctx.existing.id } : {}),
    ...(sources.length ? { extension: sources } : {}),
    identifier: [studyIdentifier(first.studyUid), ...(first.accession ? [{ system: SYSTEMS.accession, value: first.accession }] : [])],
    status: 'available',
    modality: modalities.map(modalityCoding),
    subject: { reference: ctx.patient },
    ...(first.started ? { started: first.started } : ctx.existing?.started ? { started: ctx.existing.started } : {}),
    basedOn: [...basedOn].map((reference) => ({ reference })),
    ...(ctx.referrer ? { referrer: { reference: ctx.referrer } } : {}),
    numberOfSeries: all.length,
    numberOfInstances: all.reduce((n, s) => n + (s.numberOfInstances ?? 0), 0),
    ...(first.studyDescription ? { description: first.studyDescription } : {}),
    ...(ctx.note ? { note: [{ text: ctx.note }] } : {}),
    series: all,
  };
}

export const SOURCE_PATIENT_ID_EXT = 'https://yiwang.cn/fhir/StructureDefinition/source-patient-id';

const sameIdentifier = (a: Identifier | undefined, b: Identifier | undefined) => !!a && !!b && a.system === b.system && a.value === b.value;

/**
 * The DICOM Patient ID (0010,0020) as an identifier scoped by its issuer (0010,0021) or, without one, by the uploading
 * institution — so "12345" of one hospital never equals "12345" of another. A resident ID number is not kept here: it
 * is the resident's own identifier, already in the (protected) record.
 */
export function sourcePatientIdentifier(d: { patientId?: string; issuer?: string }, uploader: string | undefined): Identifier | undefined {
  const value = d.patientId?.trim();
  if (!value || validateIdNumber(value).valid) return undefined;
  const issuer = d.issuer?.trim();
  if (!issuer && !uploader) return undefined;
  return {
    system: issuer ? `urn:yiwang:dicom-issuer:${encodeURIComponent(issuer)}` : `urn:yiwang:dicom-patient-id:${uploader}`,
    value,
    ...(uploader ? { assigner: { reference: uploader } } : {}),
  };
}
