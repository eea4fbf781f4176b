/**
 * A stored DICOM study as a FHIR ImagingStudy: identifier urn:dicom:uid, the resident, the request (basedOn), series
 * and instances with their UIDs and SOP classes. Later uploads of the same study add series and instances (union by
 * UID), so a re-sent image never doubles.
 */
import type { ImagingStudy, ImagingStudySeries } from '@medplum/fhirtypes';
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
  ctx: { patient: string; serviceRequest: string; referrer?: string; existing?: ImagingStudy; note?: string },
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
  const basedOn = new Set([...(ctx.existing?.basedOn ?? []).map((b) => b.reference as string), ctx.serviceRequest]);
  return {
    resourceType: 'ImagingStudy',
    ...(ctx.existing?.id ? { id: ctx.existing.id } : {}),
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
